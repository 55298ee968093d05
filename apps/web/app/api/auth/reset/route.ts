import type { NextRequest } from "next/server";
import { z } from "zod";
import { NewPassword, consumeReset } from "@/lib/account.ts";
import { db } from "@/lib/db.ts";
import { back, beginMutation, fail } from "@/lib/mutation.ts";

const Form = z.object({ token: z.string().max(100), password: NewPassword });

/** Sets a new password with a one-time link (then every session of the account ends). */
export async function POST(req: NextRequest) {
  const m = await beginMutation(req, { requireUser: false, errorPath: "/reset" });
  if (m instanceof Response) return m;
  const form = Form.safeParse(m.fields);
  if (!form.success) {
    const token = typeof m.fields.token === "string" && /^[A-Za-z0-9_-]{43}$/.test(m.fields.token) ? m.fields.token : "";
    return fail(req, false, 400, "errInvalidInput", `/reset?token=${token}`, form.error.issues.map((i) => i.message).join("; "));
  }
  if (!(await consumeReset(await db(), form.data.token, form.data.password))) return back(req, "/reset", { err: "errResetInvalid" });
  return back(req, "/signin", { msg: "passwordResetDone" });
}
