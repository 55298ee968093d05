import { reviewFreeText } from "@tfm/db";
import type { NextRequest } from "next/server";
import { canReviewAnswer, managedClass } from "@/lib/access.ts";
import { db } from "@/lib/db.ts";
import { back, beginMutation, fail } from "@/lib/mutation.ts";
import { refreshProgress } from "@/lib/progress.ts";
import { freeTextProblem } from "@/lib/rubric.ts";

/** Saves an instructor's rubric review of a free-text answer by a student of this class. */
export async function POST(req: NextRequest, ctx: { params: Promise<{ id: string }> }) {
  const { id } = await ctx.params;
  const path = `/classes/${id}/review`;
  const m = await beginMutation(req, { requireUser: true, errorPath: path });
  if (m instanceof Response) return m;
  const database = await db();
  const cls = await managedClass(database, m.user, id);
  const answerId = m.fields.answerId ?? "";
  if (cls === null || m.user === null || !(await canReviewAnswer(database, m.user, answerId))) return fail(req, true, 404, "errNotFound", "");
  const answer = await database.run("reading an answer", (p) => p.freeTextAnswer.findUnique({ where: { id: answerId }, select: { userId: true, problemId: true, user: { select: { enrolments: { where: { classId: cls.id }, select: { classId: true } } } } } }));
  if (answer === null || answer.user.enrolments.length === 0) return fail(req, true, 404, "errNotFound", "");
  const problem = freeTextProblem(answer.problemId);
  if (problem === null) return fail(req, m.json, 400, "errInvalidInput", path, `no rubric for ${answer.problemId}`);
  const criteria: Record<string, number> = {};
  for (const c of problem.rubric.criteria) {
    const raw = m.fields[`c_${c.id}`] ?? "0";
    const points = Number(raw);
    if (!Number.isInteger(points) || points < 0 || points > c.points) return fail(req, m.json, 400, "errInvalidInput", path, `${c.id}: 0 to ${c.points} points`);
    criteria[c.id] = points;
  }
  const comment = (m.fields.comment ?? "").trim();
  const saved = await reviewFreeText(database, {
    answerId,
    reviewerId: m.user.id,
    criteria,
    maxPoints: problem.rubric.criteria.reduce((s, c) => s + c.points, 0),
    passPoints: problem.rubric.passPoints,
    ...(comment === "" ? {} : { comment: comment.slice(0, 5000) }),
  });
  await refreshProgress(database, answer.userId);
  return back(req, path, { msg: "reviewSaved", points: String(saved.points) });
}
