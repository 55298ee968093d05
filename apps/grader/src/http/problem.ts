import { timingSafeEqual } from "node:crypto";
import type { Request, Response } from "express";
import { z } from "zod";

/** Whether the request carries `Authorization: Bearer <token>` (always true when no token is configured). */
export function authorised(req: Request, token: string | undefined): boolean {
  if (token === undefined) return true;
  const given = Buffer.from(req.get("authorization") ?? "");
  const wanted = Buffer.from(`Bearer ${token}`);
  return given.length === wanted.length && timingSafeEqual(given, wanted);
}

export function unauthorised(res: Response): void {
  problem(res, 401, "unauthorized", "send the grader token as 'Authorization: Bearer <token>'", "採点サーバーのトークンを 'Authorization: Bearer <token>' で送ってください");
}

const JA = z.locales.ja();

/** "path: message; path: message" from a zod error, for 400 answers that say what was wrong. */
export function issuesText(error: z.ZodError, whole = "body"): string {
  return error.issues.map((i) => `${i.path.length > 0 ? i.path.join(".") : whole}: ${i.message}`).join("; ");
}

const JAPANESE = /[\u3040-\u30ff\u4e00-\u9fff]/;

function valueAt(input: unknown, path: PropertyKey[]): unknown {
  let v = input;
  for (const key of path) {
    if (typeof v !== "object" || v === null || !Object.hasOwn(v, key)) return undefined;
    v = (v as Record<PropertyKey, unknown>)[key];
  }
  return v;
}

/**
 * The same issues in Japanese: the input is validated again with zod's Japanese messages. A schema's
 * own message (written in English) wins over the locale, so such an issue gets zod's Japanese wording
 * of its kind, followed by the schema's English words.
 */
export function issuesTextJa(schema: z.ZodType, input: unknown, error: z.ZodError): string {
  const again = schema.safeParse(input, { error: JA.localeError });
  const issues = (again.success ? error : again.error).issues;
  return issues
    .map((i) => {
      let message = i.message;
      if (!JAPANESE.test(message)) {
        const generic = JA.localeError({ ...i, input: valueAt(input, i.path) } as unknown as Parameters<typeof JA.localeError>[0]);
        const text = typeof generic === "string" ? generic : generic?.message;
        message = text === undefined ? `入力が正しくありません (${message})` : `${text} (${message})`;
      }
      return `${i.path.length > 0 ? i.path.join(".") : "本文"}: ${message}`;
    })
    .join("; ");
}

/**
 * Every error answer of the API has this shape: a stable code, the English message (`message`) and
 * the Japanese one (`messageJa`), both saying what was wrong.
 */
export function problem(res: Response, status: number, error: string, message: string, messageJa: string): void {
  res.status(status).json({ error, message, messageJa });
}

/** 400 for a body or query that failed its schema, in both languages. */
export function invalidRequest(res: Response, schema: z.ZodType, input: unknown, error: z.ZodError): void {
  problem(res, 400, "invalid_request", issuesText(error), issuesTextJa(schema, input, error));
}
