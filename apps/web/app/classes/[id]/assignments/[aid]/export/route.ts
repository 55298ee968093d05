import { NotFoundError, assignmentScores } from "@tfm/db";
import { itemKey } from "@tfm/progress";
import { type NextRequest, NextResponse } from "next/server";
import { managedClass } from "@/lib/access.ts";
import { toCsv } from "@/lib/csv.ts";
import { db } from "@/lib/db.ts";
import { readerOf } from "@/lib/mutation.ts";
import { expectedOrigin } from "@/lib/security.ts";

/**
 * One assignment's scores, one row per student, in the class export's safe format (lib/csv.ts: BOM,
 * CRLF, formula-looking text defused). Scores are fractions 0..1 as in the class CSV; times are UTC ISO.
 */
export async function GET(req: NextRequest, ctx: { params: Promise<{ id: string; aid: string }> }) {
  const { id, aid } = await ctx.params;
  const viewer = await readerOf(req);
  if (viewer === null) return NextResponse.redirect(new URL(`/signin?next=/classes/${id}/assignments/${aid}`, expectedOrigin(req)), 303);
  const database = await db();
  const cls = await managedClass(database, viewer, id);
  const notFound = () => NextResponse.json({ error: "errNotFound" }, { status: 404 });
  if (cls === null) return notFound();
  let data;
  try {
    data = await assignmentScores(database, aid);
  } catch (e) {
    if (e instanceof NotFoundError) return notFound();
    throw e;
  }
  if (data.assignment.classId !== cls.id) return notFound();
  const { assignment: a, students } = data;
  const keys = a.items.map((i) => itemKey(i.kind, i.itemId));
  const header = ["email", "name", ...keys.flatMap((k) => [`${k} score`, `${k} status`, `${k} days late`, `${k} overridden`, `${k} due`]), "total", "extended"];
  const rows = students.map((s) => [
    s.email,
    s.displayName,
    ...s.score.items.flatMap((i) => [i.score, i.status, i.daysLate, i.override !== null, i.dueAt.toISOString()]),
    s.score.total,
    s.score.extended,
  ]);
  return new NextResponse(toCsv([header, ...rows]), {
    headers: {
      "content-type": "text/csv; charset=utf-8",
      "content-disposition": `attachment; filename="assignment-${a.id.replace(/[^a-z0-9]/gi, "")}.csv"`,
      "cache-control": "no-store",
    },
  });
}
