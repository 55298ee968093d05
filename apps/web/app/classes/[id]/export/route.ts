import { classDashboard } from "@tfm/db";
import { type NextRequest, NextResponse } from "next/server";
import { managedClass } from "@/lib/access.ts";
import { toCsv } from "@/lib/csv.ts";
import { db } from "@/lib/db.ts";
import { readerOf } from "@/lib/mutation.ts";
import { expectedOrigin } from "@/lib/security.ts";

/** Scores and checklist of the class: one row per student (UTF-8 with BOM for Excel). */
export async function GET(req: NextRequest, ctx: { params: Promise<{ id: string }> }) {
  const { id } = await ctx.params;
  const viewer = await readerOf(req);
  if (viewer === null) return NextResponse.redirect(new URL(`/signin?next=/classes/${id}`, expectedOrigin(req)), 303);
  const database = await db();
  const cls = await managedClass(database, viewer, id);
  if (cls === null) return NextResponse.json({ error: "errNotFound" }, { status: 404 });
  const d = await classDashboard(database, id);
  const header = ["email", "name", ...d.exercises.flatMap((e) => [`${e.id} best score`, `${e.id} attempts`, `${e.id} passed`]), "exercises passed", "checklist done", "checklist level"];
  const rows = d.learners.map((l) => [
    l.email,
    l.displayName,
    ...d.exercises.flatMap((e) => {
      const c = l.cells[e.id];
      return c === undefined ? [null, 0, false] : [c.bestScore, c.attempts, c.passed];
    }),
    l.passedExercises,
    l.doneCount,
    l.level,
  ]);
  const safeName = d.class.inviteCode.replace(/[^A-Z0-9-]/g, "");
  return new NextResponse(toCsv([header, ...rows]), {
    headers: {
      "content-type": "text/csv; charset=utf-8",
      "content-disposition": `attachment; filename="class-${safeName}.csv"`,
      "cache-control": "no-store",
    },
  });
}
