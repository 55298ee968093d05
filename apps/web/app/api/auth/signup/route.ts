import { ConflictError, createUser, hashPassword, joinClass, normaliseInviteCode } from "@tfm/db";
import type { NextRequest } from "next/server";
import { SignUpForm } from "@/lib/auth-forms.ts";
import { db } from "@/lib/db.ts";
import { back, beginMutation, fail } from "@/lib/mutation.ts";

/**
 * Creates an account, and answers the same whether or not the email was already registered: in both
 * cases the visitor is sent to the sign-in page with one message ("sign in with your email and
 * password"). Only the owner of an existing account knows its password, so nobody learns from this
 * form whether an address has an account. The invite code is checked first (its answer does not
 * depend on the email), and applied when the account is created.
 */
export async function POST(req: NextRequest) {
  const m = await beginMutation(req, { requireUser: false, errorPath: "/signup" });
  if (m instanceof Response) return m;
  const parsed = SignUpForm.safeParse(m.fields);
  if (!parsed.success) return fail(req, false, 400, "errInvalidInput", "/signup", parsed.error.issues.map((i) => i.message).join("; "));
  const form = parsed.data;
  const database = await db();
  if (form.inviteCode !== undefined) {
    const code = normaliseInviteCode(form.inviteCode);
    const cls = await database.run("looking up an invite code", (p) => p.class.findUnique({ where: { inviteCode: code }, select: { archivedAt: true } }));
    if (cls === null || cls.archivedAt !== null) return back(req, "/signup", { err: "errInviteUnknown" });
  }
  // Hashed on both paths, so both take the same time.
  const passwordHash = await hashPassword(form.password);
  try {
    const user = await createUser(database, { email: form.email, displayName: form.displayName, passwordHash, locale: m.lang });
    if (form.inviteCode !== undefined) await joinClass(database, { userId: user.id, inviteCode: form.inviteCode });
  } catch (e) {
    if (!(e instanceof ConflictError)) throw e;
  }
  return back(req, "/signin", { msg: "signUpDone", ...(form.inviteCode === undefined ? {} : { next: "/classes" }) });
}
