import type { NextRequest } from "next/server";
import { z } from "zod";
import { issueReset, mayIssueReset } from "@/lib/account.ts";
import { db } from "@/lib/db.ts";
import { back, backWith, beginMutation, fail } from "@/lib/mutation.ts";
import { expectedOrigin } from "@/lib/security.ts";

const Form = z.object({ back: z.string().regex(/^\/classes\/[A-Za-z0-9_-]{1,64}\/students\/[A-Za-z0-9_-]{1,64}$/).optional() });

/**
 * An instructor (for a student of their classes) or an admin issues a one-time password reset link.
 * The link is shown once to the issuer (through the server-side message store, never in a URL).
 */
export async function POST(req: NextRequest, ctx: { params: Promise<{ userId: string }> }) {
  const { userId } = await ctx.params;
  const m = await beginMutation(req, { requireUser: true, errorPath: "/classes" });
  if (m instanceof Response) return m;
  if (m.user === null) return back(req, "/signin");
  const form = Form.safeParse(m.fields);
  const path = form.success && form.data.back !== undefined ? form.data.back : "/classes";
  const database = await db();
  const target = await database.run("reading an account", (p) => p.user.findUnique({ where: { id: userId }, select: { id: true, role: true } }));
  if (target === null || !(await mayIssueReset(database, m.user, target))) return fail(req, m.json, 404, "errNotFound", "/classes");
  const { token } = await issueReset(database, m.user.id, target.id);
  return backWith(req, path, { msg: "resetIssued" }, { link: `${expectedOrigin(req)}/reset?token=${token}` });
}
