import { createSession } from "@tfm/db";
import type { NextRequest } from "next/server";
import { z } from "zod";
import { NewPassword, changePassword } from "@/lib/account.ts";
import { db } from "@/lib/db.ts";
import { back, beginMutation, fail } from "@/lib/mutation.ts";
import { SESSION_COOKIE, cookieOptions } from "@/lib/security.ts";

const Form = z.object({ current: z.string().min(1, "enter your current password").max(200), password: NewPassword });

/** Changes the signed-in account's password; every other session ends, this browser gets a new one. */
export async function POST(req: NextRequest) {
  const m = await beginMutation(req, { requireUser: true, errorPath: "/account" });
  if (m instanceof Response) return m;
  if (m.user === null) return back(req, "/signin");
  const form = Form.safeParse(m.fields);
  if (!form.success) return fail(req, false, 400, "errInvalidInput", "/account", form.error.issues.map((i) => i.message).join("; "));
  const database = await db();
  if ((await changePassword(database, m.user.id, form.data.current, form.data.password)) !== "ok") return back(req, "/account", { err: "errWrongPassword" });
  const session = await createSession(database, m.user.id);
  const res = back(req, "/account", { msg: "passwordChanged" });
  res.cookies.set(SESSION_COOKIE, session.token, cookieOptions(req, process.env, Math.floor((session.expiresAt.getTime() - Date.now()) / 1000)));
  return res;
}
