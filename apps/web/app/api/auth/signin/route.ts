import { createSession, findUserByEmail, verifyPassword } from "@tfm/db";
import type { NextRequest } from "next/server";
import { SignInForm } from "@/lib/auth-forms.ts";
import { db } from "@/lib/db.ts";
import { back, beginMutation } from "@/lib/mutation.ts";
import { PRESESSION_COOKIE, SESSION_COOKIE, cookieOptions, safeNext } from "@/lib/security.ts";
import { clientAddress, signInThrottle } from "@/lib/signin-throttle.ts";

/** Verified against when the email is unknown, so both answers take the same time. */
const DUMMY_HASH = "$scrypt$N=16384,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";

export async function POST(req: NextRequest) {
  const m = await beginMutation(req, { requireUser: false, errorPath: "/signin" });
  if (m instanceof Response) return m;
  const parsed = SignInForm.safeParse(m.fields);
  if (!parsed.success) return back(req, "/signin", { err: "errBadCredentials" });
  const next: Record<string, string> = parsed.data.next ? { next: safeNext(parsed.data.next) } : {};
  const address = clientAddress(req.headers);
  const wait = signInThrottle.retryAfterSeconds(parsed.data.email, address);
  if (wait > 0) return back(req, "/signin", { err: "errTooManySignins", minutes: String(Math.ceil(wait / 60)), ...next });
  const database = await db();
  const user = /^[^@\s]+@[^@\s]+$/.test(parsed.data.email) ? await findUserByEmail(database, parsed.data.email).catch(() => null) : null;
  const ok = await verifyPassword(parsed.data.password, user?.passwordHash ?? DUMMY_HASH);
  if (user === null || user.passwordHash === null || !ok) {
    signInThrottle.recordFailure(parsed.data.email, address);
    return back(req, "/signin", { err: "errBadCredentials", ...next });
  }
  signInThrottle.recordSuccess(parsed.data.email, address);
  const session = await createSession(database, user.id);
  const home = user.role === "student" ? "/exercises" : "/classes";
  const target = back(req, parsed.data.next ? safeNext(parsed.data.next, home) : home);
  target.cookies.set(SESSION_COOKIE, session.token, cookieOptions(req, process.env, Math.floor((session.expiresAt.getTime() - Date.now()) / 1000)));
  target.cookies.delete(PRESESSION_COOKIE);
  return target;
}
