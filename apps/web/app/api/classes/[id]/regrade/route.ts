import { regradeExercise } from "@tfm/db";
import type { NextRequest } from "next/server";
import { z } from "zod";
import { managedClass } from "@/lib/access.ts";
import { db } from "@/lib/db.ts";
import { getExercise } from "@/lib/grader.ts";
import { back, beginMutation, fail } from "@/lib/mutation.ts";

const Form = z.object({ exerciseId: z.string().regex(/^[a-z][a-z0-9-]*$/, "not an exercise id") });

/** Requeues the class's submissions of one exercise (history kept: each regrade appends a grading). */
export async function POST(req: NextRequest, ctx: { params: Promise<{ id: string }> }) {
  const { id } = await ctx.params;
  const m = await beginMutation(req, { requireUser: true, errorPath: `/classes/${id}` });
  if (m instanceof Response) return m;
  const database = await db();
  const cls = await managedClass(database, m.user, id);
  if (cls === null) return fail(req, true, 404, "errNotFound", "");
  const form = Form.safeParse(m.fields);
  if (!form.success || (await getExercise(form.data.exerciseId)) === null) {
    return fail(req, m.json, 400, "errInvalidInput", `/classes/${id}`, form.success ? "unknown exercise" : form.error.issues.map((i) => i.message).join("; "));
  }
  const report = await regradeExercise(database, form.data.exerciseId, new Date(), { classId: cls.id });
  return back(req, `/classes/${id}`, { msg: "regradeDone", count: String(report.requeued + report.flagged) });
}
