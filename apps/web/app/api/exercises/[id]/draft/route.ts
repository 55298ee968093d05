import { type NextRequest, NextResponse } from "next/server";
import { DraftBody, saveDraft } from "@/lib/account.ts";
import { graderFailure } from "@/lib/api-errors.ts";
import { db } from "@/lib/db.ts";
import { getExercise } from "@/lib/grader.ts";
import { beginMutation, fail } from "@/lib/mutation.ts";

/** Autosave of the editor: the draft is stored per account and exercise (never in the browser). */
export async function POST(req: NextRequest, ctx: { params: Promise<{ id: string }> }) {
  const { id } = await ctx.params;
  const m = await beginMutation(req, { requireUser: true, errorPath: `/exercises/${id}` });
  if (m instanceof Response) return m;
  if (m.user === null) return NextResponse.json({ error: "errBadCredentials" }, { status: 401 });
  const body = DraftBody.safeParse(m.body);
  if (!body.success) return fail(req, true, 400, "errInvalidInput", "", body.error.issues.map((i) => i.message).join("; "));
  try {
    if ((await getExercise(id)) === null) return NextResponse.json({ error: "errNotFound" }, { status: 404 });
  } catch (e) {
    return graderFailure(e);
  }
  const savedAt = await saveDraft(await db(), m.user.id, id, body.data.source);
  return NextResponse.json({ savedAt: savedAt.toISOString() }, { headers: { "cache-control": "no-store" } });
}
