import { NotFoundError, getSubmission } from "@tfm/db";
import type { NextRequest } from "next/server";
import { saveDraft } from "@/lib/account.ts";
import { db } from "@/lib/db.ts";
import { back, beginMutation, fail } from "@/lib/mutation.ts";

/** "Load into editor": a past submission's code becomes the author's draft of that exercise. */
export async function POST(req: NextRequest, ctx: { params: Promise<{ id: string }> }) {
  const { id } = await ctx.params;
  const m = await beginMutation(req, { requireUser: true, errorPath: `/submissions/${id}` });
  if (m instanceof Response) return m;
  if (m.user === null) return back(req, "/signin");
  const database = await db();
  let sub;
  try {
    sub = await getSubmission(database, id);
  } catch (e) {
    if (e instanceof NotFoundError) return fail(req, m.json, 404, "errNotFound", "/exercises");
    throw e;
  }
  // Only the author loads their own code (an instructor viewing it has no draft of it).
  if (sub.userId !== m.user.id) return fail(req, m.json, 404, "errNotFound", "/exercises");
  await saveDraft(database, m.user.id, sub.exerciseId, sub.source);
  return back(req, `/exercises/${sub.exerciseId}`, { msg: "loadedIntoEditor" });
}
