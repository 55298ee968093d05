import type { Response } from "express";
import type { z } from "zod";

/** "path: message; path: message" from a zod error, for 400 answers that say what was wrong. */
export function issuesText(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.length > 0 ? i.path.join(".") : "body"}: ${i.message}`).join("; ");
}

/** Every error answer of the API has this shape. */
export function problem(res: Response, status: number, error: string, message: string): void {
  res.status(status).json({ error, message });
}
