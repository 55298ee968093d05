import { NotFoundError, getSubmission } from "@tfm/db";
import { type NextRequest, NextResponse } from "next/server";
import { canViewLearner } from "@/lib/access.ts";
import { db } from "@/lib/db.ts";
import { readerOf } from "@/lib/mutation.ts";
import { refreshProgress } from "@/lib/progress.ts";

/** Polled by the exercise page until the grading lands. Only the author, their instructors and admins. */
export async function GET(req: NextRequest, ctx: { params: Promise<{ id: string }> }) {
  const { id } = await ctx.params;
  const viewer = await readerOf(req);
  if (viewer === null) return NextResponse.json({ error: "errBadCredentials" }, { status: 401 });
  const database = await db();
  let sub;
  try {
    sub = await getSubmission(database, id);
  } catch (e) {
    if (e instanceof NotFoundError) return NextResponse.json({ error: "errNotFound" }, { status: 404 });
    throw e;
  }
  if (!(await canViewLearner(database, viewer, sub.userId))) return NextResponse.json({ error: "errNotFound" }, { status: 404 });
  const finished = sub.status === "done" || sub.status === "failed";
  // The author's checklist may have just ticked: store the new snapshot for the dashboards.
  if (finished && viewer.id === sub.userId) await refreshProgress(database, sub.userId);
  const current = sub.history.find((g) => g.current) ?? null;
  return NextResponse.json(
    { id: sub.id, status: sub.status, verdict: sub.verdict, score: sub.score, result: current?.result ?? null },
    { headers: { "cache-control": "no-store" } },
  );
}
