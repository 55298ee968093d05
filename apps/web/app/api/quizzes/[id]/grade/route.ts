import { quizOutcome, recordQuizAttempt, syncQuizzes } from "@tfm/db";
import type { NextRequest } from "next/server";
import { z } from "zod";
import { db } from "@/lib/db.ts";
import { GraderRejectedError, gradeQuiz, listQuizzes } from "@/lib/grader.ts";
import { back, beginMutation, fail } from "@/lib/mutation.ts";
import { refreshProgress } from "@/lib/progress.ts";

const Seed = z.coerce.number().int().min(0).max(0xffff_ffff);

/** Grades a quiz with the grader's quiz grader (one source of truth), stores the attempt, ticks the checklist. */
export async function POST(req: NextRequest, ctx: { params: Promise<{ id: string }> }) {
  const { id } = await ctx.params;
  const path = `/quizzes/${id}`;
  const m = await beginMutation(req, { requireUser: true, errorPath: path });
  if (m instanceof Response) return m;
  if (m.user === null) return back(req, "/signin");
  const summary = (await listQuizzes()).find((q) => q.id === id);
  if (summary === undefined) return fail(req, m.json, 404, "errNotFound", "/exercises");
  const seed = Seed.safeParse(m.fields.seed);
  if (!seed.success) return fail(req, m.json, 400, "errInvalidInput", path, "seed");
  const answers: Record<string, string | string[]> = {};
  for (const [key] of m.form?.entries() ?? []) {
    if (!key.startsWith("q_") || key.slice(2) in answers) continue;
    const values = (m.form?.getAll(key) ?? []).filter((v): v is string => typeof v === "string" && v.trim() !== "");
    if (values.length === 0) continue;
    const qid = key.slice(2);
    // A multiple-choice question sends its ticks as a list; other kinds send one text.
    answers[qid] = values.length > 1 || m.form?.get(`multi_${qid}`) !== null ? values : (values[0] ?? "");
  }
  let result;
  try {
    result = await gradeQuiz(id, { answers, seed: seed.data, lang: m.lang });
  } catch (e) {
    if (e instanceof GraderRejectedError) return fail(req, m.json, 400, "errInvalidInput", path, e.detail);
    throw e;
  }
  const database = await db();
  await syncQuizzes(database, [{ id: summary.id, version: summary.version, title: summary.title, questionCount: summary.questionCount }]);
  const attempt = await recordQuizAttempt(database, {
    userId: m.user.id,
    quizId: id,
    quizVersion: summary.version,
    seed: seed.data,
    answers,
    ...quizOutcome(result),
  });
  await refreshProgress(database, m.user.id);
  return back(req, path, { attempt: attempt.id });
}
