import { ConflictError, NotFoundError, createSession, createUser, hashPassword, joinClass } from "@tfm/db";
import type { NextRequest } from "next/server";
import { SignUpForm } from "@/lib/auth-forms.ts";
import { db } from "@/lib/db.ts";
import { back, beginMutation } from "@/lib/mutation.ts";
import { PRESESSION_COOKIE, SESSION_COOKIE, cookieOptions } from "@/lib/security.ts";

export async function POST(req: NextRequest) {
  const m = await beginMutation(req, { requireUser: false, errorPath: "/signup" });
  if (m instanceof Response) return m;
  const parsed = SignUpForm.safeParse(m.fields);
  if (!parsed.success) return back(req, "/signup", { err: "errInvalidInput", detail: parsed.error.issues.map((i) => i.message).join("; ") });
  const form = parsed.data;
  const database = await db();
  let user;
  try {
    user = await createUser(database, { email: form.email, displayName: form.displayName, passwordHash: await hashPassword(form.password), locale: m.lang });
  } catch (e) {
    if (e instanceof ConflictError) return back(req, "/signup", { err: "errEmailTaken" });
    throw e;
  }
  const session = await createSession(database, user.id);
  let target = back(req, "/exercises");
  if (form.inviteCode !== undefined) {
    try {
      const cls = await joinClass(database, { userId: user.id, inviteCode: form.inviteCode });
      target = back(req, "/classes", { msg: "joined", name: cls.name });
    } catch (e) {
      if (!(e instanceof NotFoundError)) throw e;
      target = back(req, "/classes", { err: "errInviteUnknown" });
    }
  }
  target.cookies.set(SESSION_COOKIE, session.token, cookieOptions(req, process.env, Math.floor((session.expiresAt.getTime() - Date.now()) / 1000)));
  target.cookies.delete(PRESESSION_COOKIE);
  return target;
}
