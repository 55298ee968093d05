import {
  ChecklistItemId,
  FREE_TEXT_HARD_LIMIT,
  FreeTextId,
  GradeResult,
  Lang,
  type LearnerEvidence,
  type Progress,
  QuizId,
  Verdict,
} from "@tfm/contract";
import { z } from "zod";
import { toJson } from "./catalog.ts";
import type { Database } from "./client.ts";
import { ConstraintError, ForbiddenError, NotFoundError } from "./errors.ts";
import { Prisma } from "./generated/sqlite/client.ts";
import type { GradingTrigger, SubmissionStatus } from "./generated/sqlite/enums.ts";

// ---------------------------------------------------------------------------------------------
// Evidence for @tfm/progress

/**
 * Everything the pure progress function needs about one learner, in the contract's LearnerEvidence
 * shape: graded submissions (each with its current verdict, dated when that grading finished), quiz
 * results, self-assessment ticks and instructor reviews of free-text answers. Oldest first.
 */
export async function learnerEvidence(db: Database, userId: string): Promise<LearnerEvidence> {
  return db.run("reading a learner's evidence", async (p) => {
    const user = await p.user.findUnique({ where: { id: userId }, select: { id: true } });
    if (user === null) throw new NotFoundError(`no user with id ${userId}`);
    const submissions = await p.submission.findMany({
      where: { userId, verdict: { not: null }, currentGradingId: { not: null } },
      select: { id: true, exerciseId: true, verdict: true, currentGrading: { select: { finishedAt: true } } },
      orderBy: [{ receivedAt: "asc" }, { id: "asc" }],
    });
    const quizzes = await p.quizAttempt.findMany({
      where: { userId },
      select: { id: true, quizId: true, verdict: true, seed: true, submittedAt: true },
      orderBy: [{ submittedAt: "asc" }, { id: "asc" }],
    });
    const ticks = await p.selfAssessment.findMany({ where: { userId }, select: { itemId: true, checked: true, at: true }, orderBy: [{ at: "asc" }, { id: "asc" }] });
    const reviews = await p.freeTextReview.findMany({
      where: { answer: { userId } },
      select: { id: true, points: true, maxPoints: true, passed: true, createdAt: true, answer: { select: { problemId: true } }, reviewer: { select: { displayName: true } } },
      orderBy: [{ createdAt: "asc" }, { id: "asc" }],
    });
    return {
      submissions: submissions.flatMap((s) =>
        s.verdict === null || s.currentGrading === null ? [] : [{ submissionId: s.id, exerciseId: s.exerciseId, verdict: s.verdict, at: s.currentGrading.finishedAt.toISOString() }],
      ),
      quizResults: quizzes.map((q) => ({ resultId: q.id, quizId: q.quizId, verdict: q.verdict, seed: Number(q.seed), at: q.submittedAt.toISOString() })),
      selfAssessments: ticks.map((t) => ({ itemId: t.itemId, checked: t.checked, at: t.at.toISOString() })),
      reviews: reviews.map((r) => ({
        reviewId: r.id,
        problemId: r.answer.problemId,
        points: r.points,
        maxPoints: r.maxPoints,
        passed: r.passed,
        reviewer: r.reviewer.displayName,
        at: r.createdAt.toISOString(),
      })),
    };
  });
}

/** Stores the progress @tfm/progress computed, as the snapshot dashboards read (checklist levels). */
export async function saveProgress(db: Database, userId: string, progress: Progress, now = new Date()): Promise<void> {
  await db.transaction("saving checklist progress", async (tx) => {
    await tx.learnerProgress.upsert({
      where: { userId },
      create: { userId, doneCount: progress.doneCount, total: progress.total, level: progress.level, computedAt: now },
      update: { doneCount: progress.doneCount, total: progress.total, level: progress.level, computedAt: now },
    });
    for (const item of progress.items) {
      const data = { done: item.done, doneAt: item.at === null ? null : new Date(item.at), evidence: item.evidence === null ? Prisma.DbNull : toJson(item.evidence) };
      await tx.checklistProgress.upsert({ where: { userId_itemId: { userId, itemId: item.id } }, create: { userId, itemId: item.id, ...data }, update: data });
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Submission history

export interface SubmissionSummary {
  id: string;
  exerciseId: string;
  exerciseVersion: string;
  status: SubmissionStatus;
  verdict: Verdict | null;
  score: number | null;
  countsAsAttempt: boolean | null;
  seed: number;
  receivedAt: Date;
  queuedAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  gradings: number;
  lastError: string | null;
}

export interface HistoryOptions {
  exerciseId?: string;
  limit?: number;
  /** Submissions received before this one (the last id of the previous page). */
  before?: string;
}

/** A learner's submissions, newest first, a page at a time. */
export async function submissionHistory(db: Database, userId: string, options: HistoryOptions = {}): Promise<SubmissionSummary[]> {
  const limit = Math.min(Math.max(options.limit ?? 50, 1), 500);
  return db.run("reading a learner's submissions", async (p) => {
    const rows = await p.submission.findMany({
      where: { userId, ...(options.exerciseId === undefined ? {} : { exerciseId: options.exerciseId }) },
      orderBy: [{ receivedAt: "desc" }, { id: "desc" }],
      take: limit,
      ...(options.before === undefined ? {} : { cursor: { id: options.before }, skip: 1 }),
      select: {
        id: true,
        exerciseId: true,
        status: true,
        verdict: true,
        score: true,
        countsAsAttempt: true,
        seed: true,
        receivedAt: true,
        queuedAt: true,
        startedAt: true,
        finishedAt: true,
        lastError: true,
        exerciseVersion: { select: { hash: true } },
      },
    });
    // A groupBy over this page's ids: Prisma's relation _count costs a hundred times more on a large table.
    const counts = await p.grading.groupBy({ by: ["submissionId"], where: { submissionId: { in: rows.map((r) => r.id) } }, _count: { _all: true } });
    const gradings = new Map(counts.map((c) => [c.submissionId, c._count._all]));
    return rows.map((r) => ({
      id: r.id,
      exerciseId: r.exerciseId,
      exerciseVersion: r.exerciseVersion.hash,
      status: r.status,
      verdict: r.verdict,
      score: r.score,
      countsAsAttempt: r.countsAsAttempt,
      seed: Number(r.seed),
      receivedAt: r.receivedAt,
      queuedAt: r.queuedAt,
      startedAt: r.startedAt,
      finishedAt: r.finishedAt,
      gradings: gradings.get(r.id) ?? 0,
      lastError: r.lastError,
    }));
  });
}

export interface GradingRecord {
  id: string;
  trigger: GradingTrigger;
  attempt: number;
  exerciseVersion: string;
  verdict: Verdict;
  score: number;
  countsAsAttempt: boolean;
  workerId: string;
  startedAt: Date;
  finishedAt: Date;
  current: boolean;
  result: GradeResult;
}

export interface SubmissionDetail extends SubmissionSummary {
  userId: string;
  source: string;
  lang: "ja" | "en";
  scope: "all" | "public";
  /** Every grading, oldest first; `current` marks the one the verdict comes from. */
  history: GradingRecord[];
}

/** One submission with its source and every grading it had (regrades included). */
export async function getSubmission(db: Database, submissionId: string): Promise<SubmissionDetail> {
  const row = await db.run("reading a submission", (p) =>
    p.submission.findUnique({
      where: { id: submissionId },
      include: {
        exerciseVersion: { select: { hash: true } },
        gradings: { orderBy: [{ finishedAt: "asc" }, { attempt: "asc" }], include: { exerciseVersion: { select: { hash: true } } } },
      },
    }),
  );
  if (row === null) throw new NotFoundError(`no submission with id ${submissionId}`);
  return {
    id: row.id,
    userId: row.userId,
    exerciseId: row.exerciseId,
    exerciseVersion: row.exerciseVersion.hash,
    status: row.status,
    verdict: row.verdict,
    score: row.score,
    countsAsAttempt: row.countsAsAttempt,
    seed: Number(row.seed),
    receivedAt: row.receivedAt,
    queuedAt: row.queuedAt,
    startedAt: row.startedAt,
    finishedAt: row.finishedAt,
    gradings: row.gradings.length,
    lastError: row.lastError,
    source: row.source,
    lang: row.lang,
    scope: row.scope,
    history: row.gradings.map((g) => ({
      id: g.id,
      trigger: g.trigger,
      attempt: g.attempt,
      exerciseVersion: g.exerciseVersion.hash,
      verdict: g.verdict,
      score: g.score,
      countsAsAttempt: g.countsAsAttempt,
      workerId: g.workerId,
      startedAt: g.startedAt,
      finishedAt: g.finishedAt,
      current: g.id === row.currentGradingId,
      // Written by completeGrading after validation; parsed again so a hand-edited row cannot pass as a result.
      result: GradeResult.parse(g.result),
    })),
  };
}

// ---------------------------------------------------------------------------------------------
// Quizzes, self-assessment, free text

export const QuizAttemptInput = z
  .object({
    userId: z.string().min(1),
    quizId: QuizId,
    quizVersion: z.string().min(1).describe("RenderedQuiz.version the answers were given to"),
    seed: z.number().int().min(0).max(0xffff_ffff),
    answers: z.record(z.string(), z.unknown()),
    verdict: Verdict,
    score: z.number().min(0).max(1),
    correct: z.number().int().nonnegative(),
    total: z.number().int().nonnegative(),
    result: z.unknown().optional().describe("the quiz grader's full result"),
    at: z.date().optional(),
  })
  .strict();
export type QuizAttemptInput = z.input<typeof QuizAttemptInput>;

/** The fields of a quiz attempt that come from the quiz grader's result (the rest say who answered what). */
export function quizOutcome<R extends { verdict: QuizAttemptInput["verdict"]; score: number; passed: number; total: number }>(
  result: R,
): Pick<QuizAttemptInput, "verdict" | "score" | "correct" | "total"> & { result: R } {
  return { verdict: result.verdict, score: result.score, correct: result.passed, total: result.total, result };
}

export async function recordQuizAttempt(db: Database, input: QuizAttemptInput): Promise<{ id: string }> {
  const data = QuizAttemptInput.parse(input);
  const version = await db.run("looking up a quiz version", (p) =>
    p.quizVersion.findUnique({ where: { quizId_hash: { quizId: data.quizId, hash: data.quizVersion } }, select: { id: true } }),
  );
  if (version === null) throw new NotFoundError(`unknown quiz version ${data.quizId}@${data.quizVersion} (not synced)`);
  try {
    return await db.run("storing a quiz attempt", (p) =>
      p.quizAttempt.create({
        data: {
          userId: data.userId,
          quizId: data.quizId,
          quizVersionId: version.id,
          seed: BigInt(data.seed),
          answers: toJson(data.answers),
          verdict: data.verdict,
          score: data.score,
          correct: data.correct,
          total: data.total,
          ...(data.result === undefined ? {} : { result: toJson(data.result) }),
          ...(data.at === undefined ? {} : { submittedAt: data.at }),
        },
        select: { id: true },
      }),
    );
  } catch (e) {
    if (e instanceof ConstraintError) throw new NotFoundError(`no user with id ${data.userId}`);
    throw e;
  }
}

export const SelfAssessmentInput = z
  .object({ userId: z.string().min(1), itemId: ChecklistItemId, checked: z.boolean(), at: z.date().optional() })
  .strict();

export async function recordSelfAssessment(db: Database, input: z.input<typeof SelfAssessmentInput>): Promise<{ id: string }> {
  const data = SelfAssessmentInput.parse(input);
  try {
    return await db.run("storing a self-assessment", (p) =>
      p.selfAssessment.create({ data: { userId: data.userId, itemId: data.itemId, checked: data.checked, ...(data.at === undefined ? {} : { at: data.at }) }, select: { id: true } }),
    );
  } catch (e) {
    if (e instanceof ConstraintError) throw new NotFoundError(`no user with id ${data.userId}`);
    throw e;
  }
}

export const FreeTextInput = z
  .object({
    userId: z.string().min(1),
    problemId: FreeTextId,
    text: z.string().trim().min(1, "the answer is empty").max(FREE_TEXT_HARD_LIMIT),
    lang: Lang.default("ja"),
    at: z.date().optional(),
  })
  .strict();

export async function submitFreeText(db: Database, input: z.input<typeof FreeTextInput>): Promise<{ id: string }> {
  const data = FreeTextInput.parse(input);
  try {
    return await db.run("storing a free-text answer", (p) =>
      p.freeTextAnswer.create({
        data: { userId: data.userId, problemId: data.problemId, text: data.text, lang: data.lang, ...(data.at === undefined ? {} : { submittedAt: data.at }) },
        select: { id: true },
      }),
    );
  } catch (e) {
    if (e instanceof ConstraintError) throw new NotFoundError(`no user with id ${data.userId}`);
    throw e;
  }
}

export const ReviewInput = z
  .object({
    answerId: z.string().min(1),
    reviewerId: z.string().min(1),
    criteria: z.record(z.string(), z.number().int().nonnegative()).describe("criterion id -> points given"),
    maxPoints: z.number().int().positive(),
    passPoints: z.number().int().positive(),
    comment: z.string().max(5_000).optional(),
    at: z.date().optional(),
  })
  .strict()
  .refine((r) => r.passPoints <= r.maxPoints, "passPoints exceeds maxPoints");

/** An instructor's rubric review; a later review of the same answer supersedes this one. */
export async function reviewFreeText(db: Database, input: z.input<typeof ReviewInput>): Promise<{ id: string; points: number; passed: boolean }> {
  const data = ReviewInput.parse(input);
  const points = Object.values(data.criteria).reduce((a, b) => a + b, 0);
  if (points > data.maxPoints) throw new ConstraintError(`the criteria give ${points} points, more than the rubric's ${data.maxPoints}`);
  const reviewer = await db.run("looking up a reviewer", (p) => p.user.findUnique({ where: { id: data.reviewerId }, select: { role: true, email: true } }));
  if (reviewer === null) throw new NotFoundError(`no user with id ${data.reviewerId}`);
  if (reviewer.role === "student") throw new ForbiddenError(`${reviewer.email} is a student and cannot review answers`);
  const passed = points >= data.passPoints;
  try {
    const row = await db.run("storing a review", (p) =>
      p.freeTextReview.create({
        data: {
          answerId: data.answerId,
          reviewerId: data.reviewerId,
          points,
          maxPoints: data.maxPoints,
          passed,
          criteria: toJson(data.criteria),
          comment: data.comment ?? null,
          ...(data.at === undefined ? {} : { createdAt: data.at }),
        },
        select: { id: true },
      }),
    );
    return { id: row.id, points, passed };
  } catch (e) {
    if (e instanceof ConstraintError) throw new NotFoundError(`no free-text answer with id ${data.answerId}`);
    throw e;
  }
}

export interface ReviewQueueEntry {
  answerId: string;
  userId: string;
  displayName: string;
  problemId: string;
  text: string;
  lang: "ja" | "en";
  submittedAt: Date;
}

/** The class's free-text answers still waiting for a review, oldest first (the instructor's queue). */
export async function reviewQueue(db: Database, classId: string): Promise<ReviewQueueEntry[]> {
  return db.run("reading the review queue", async (p) => {
    const rows = await p.freeTextAnswer.findMany({
      where: { reviews: { none: {} }, user: { enrolments: { some: { classId } } } },
      orderBy: [{ submittedAt: "asc" }, { id: "asc" }],
      select: { id: true, userId: true, problemId: true, text: true, lang: true, submittedAt: true, user: { select: { displayName: true } } },
    });
    return rows.map((r) => ({ answerId: r.id, userId: r.userId, displayName: r.user.displayName, problemId: r.problemId, text: r.text, lang: r.lang, submittedAt: r.submittedAt }));
  });
}
