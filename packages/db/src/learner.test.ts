import { LearnerEvidence, type Progress } from "@tfm/contract";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClass, createUser, joinClass } from "./accounts.ts";
import { syncExercises, syncQuizzes } from "./catalog.ts";
import type { Database } from "./client.ts";
import { classDashboard } from "./dashboard.ts";
import { ForbiddenError, NotFoundError } from "./errors.ts";
import {
  getSubmission,
  learnerEvidence,
  recordQuizAttempt,
  recordSelfAssessment,
  reviewFreeText,
  reviewQueue,
  saveProgress,
  submissionHistory,
  submitFreeText,
} from "./learner.ts";
import { claimNext, completeGrading, submit } from "./queue.ts";
import { openScratchDatabase, syntheticResult, testProviders } from "./testing.ts";

const EX = "positional-encoding";

describe.each(testProviders())("learner records on %s", (provider) => {
  let db: Database;
  let close: () => Promise<void>;
  let student: string;
  let teacher: string;
  let classId: string;

  beforeAll(async () => {
    ({ db, close } = await openScratchDatabase(provider, "learner"));
    await syncExercises(db, [{ id: EX, version: "pe1", order: 6, area: "implementation", title: { ja: "位置符号化", en: "PE" }, meta: {} }]);
    await syncQuizzes(db, [{ id: "concept-qkv-roles", version: "q1", title: { ja: "QKV", en: "QKV" }, questionCount: 4 }]);
    student = (await createUser(db, { email: "learner@example.org", displayName: "Learner" })).id;
    teacher = (await createUser(db, { email: "sensei@example.org", displayName: "Sensei", role: "instructor" })).id;
    const cls = await createClass(db, { name: "c", ownerId: teacher });
    classId = cls.id;
    await joinClass(db, { userId: student, inviteCode: cls.inviteCode });
    const t0 = Date.UTC(2026, 10, 1);
    for (const [i, verdict] of (["compile_error", "failed", "passed"] as const).entries()) {
      const s = await submit(db, { userId: student, exerciseId: EX, source: `// try ${i}`, receivedAt: new Date(t0 + i * 60_000) }, new Date(t0 + i * 60_000));
      const job = await claimNext(db, { workerId: "w", leaseMs: 60_000, now: new Date(t0 + i * 60_000 + 1_000) });
      if (job === null || job.submissionId !== s.id) throw new Error("claim order");
      const tests = verdict === "failed" ? [{ id: "even-dims", status: "failed" as const, pitfallId: "pe-sin-cos-swapped" }] : [];
      await completeGrading(db, job, syntheticResult({ exerciseId: EX, exerciseVersion: "pe1", seed: job.seed, verdict, tests }), { now: new Date(t0 + i * 60_000 + 2_000) });
    }
    await submit(db, { userId: student, exerciseId: EX, source: "// still queued", receivedAt: new Date(t0 + 10 * 60_000) });
  });
  afterAll(async () => close());

  it("gives @tfm/progress its inputs in the contract's LearnerEvidence shape", async () => {
    await recordQuizAttempt(db, { userId: student, quizId: "concept-qkv-roles", quizVersion: "q1", seed: 3, answers: { q1: "b" }, verdict: "passed", score: 1, correct: 4, total: 4 });
    await recordSelfAssessment(db, { userId: student, itemId: "theory-read-transformer-paper", checked: true, at: new Date(Date.UTC(2026, 10, 2)) });
    await recordSelfAssessment(db, { userId: student, itemId: "theory-read-transformer-paper", checked: false, at: new Date(Date.UTC(2026, 10, 3)) });
    const answer = await submitFreeText(db, { userId: student, problemId: "qkv-analogy", text: "図書館の検索のようなもの", lang: "ja" });
    expect((await reviewQueue(db, classId)).map((r) => r.answerId)).toEqual([answer.id]);
    const review = await reviewFreeText(db, { answerId: answer.id, reviewerId: teacher, criteria: { analogy: 2, roles: 1 }, maxPoints: 4, passPoints: 3, comment: "良い" });
    expect(review).toMatchObject({ points: 3, passed: true });
    expect(await reviewQueue(db, classId)).toEqual([]);

    const evidence = await learnerEvidence(db, student);
    expect(LearnerEvidence.parse(evidence)).toEqual(evidence);
    expect(evidence.submissions.map((s) => s.verdict)).toEqual(["compile_error", "failed", "passed"]);
    expect(evidence.quizResults).toMatchObject([{ quizId: "concept-qkv-roles", verdict: "passed", seed: 3 }]);
    expect(evidence.selfAssessments.map((s) => s.checked)).toEqual([true, false]);
    expect(evidence.reviews).toMatchObject([{ problemId: "qkv-analogy", points: 3, maxPoints: 4, passed: true, reviewer: "Sensei" }]);
    await expect(learnerEvidence(db, "ghost")).rejects.toBeInstanceOf(NotFoundError);
  });

  it("refuses a review by a student and a quiz version that was never synced", async () => {
    const answer = await submitFreeText(db, { userId: student, problemId: "ethanol-attention", text: "C-O" });
    await expect(reviewFreeText(db, { answerId: answer.id, reviewerId: student, criteria: { a: 1 }, maxPoints: 2, passPoints: 1 })).rejects.toBeInstanceOf(ForbiddenError);
    await expect(
      recordQuizAttempt(db, { userId: student, quizId: "concept-qkv-roles", quizVersion: "old", seed: 1, answers: {}, verdict: "failed", score: 0, correct: 0, total: 4 }),
    ).rejects.toThrow(/not synced/);
  });

  it("lists the submission history newest first, a page at a time, with each grading", async () => {
    const all = await submissionHistory(db, student);
    expect(all.map((s) => s.status)).toEqual(["queued", "done", "done", "done"]);
    expect(all[1]).toMatchObject({ verdict: "passed", countsAsAttempt: true, gradings: 1, exerciseVersion: "pe1" });
    expect(all[3]).toMatchObject({ verdict: "compile_error", countsAsAttempt: false });
    const page1 = await submissionHistory(db, student, { limit: 2 });
    const page2 = await submissionHistory(db, student, { limit: 2, before: page1[1]?.id });
    expect([...page1, ...page2].map((s) => s.id)).toEqual(all.map((s) => s.id));
    const failed = await getSubmission(db, all[2]?.id ?? "");
    expect(failed.source).toBe("// try 1");
    expect(failed.history[0]?.result.tests[0]?.pitfall?.id).toBe("pe-sin-cos-swapped");
    expect(failed).toMatchObject({ receivedAt: new Date(Date.UTC(2026, 10, 1, 0, 1)), startedAt: new Date(Date.UTC(2026, 10, 1, 0, 1, 1)), finishedAt: new Date(Date.UTC(2026, 10, 1, 0, 1, 2)) });
  });

  it("stores the progress snapshot the dashboard shows", async () => {
    const at = "2026-11-05T00:00:00.000Z";
    const g = { done: 0, total: 0 };
    const progress: Progress = {
      items: [
        { id: "impl-positional-encoding", group: "implementation", done: true, evidence: { kind: "exercise", submissions: [{ exerciseId: EX, submissionId: "x", at }] }, at, pending: [] },
        { id: "concept-qkv-roles", group: "concepts", done: false, evidence: null, at: null, pending: ["concept-qkv-roles"] },
      ],
      doneCount: 41,
      total: 50,
      byGroup: { concepts: g, maths: g, implementation: g, debugging: g, application: g, theory: g, reproducibility: g },
      level: "minimum",
      marks: { minimum: 40, recommended: 45, excellent: 50 },
    };
    await saveProgress(db, student, progress);
    await saveProgress(db, student, { ...progress, doneCount: 45, level: "recommended" });
    const d = await classDashboard(db, classId);
    expect(d.levels).toMatchObject({ recommended: 1, unknown: 0 });
    expect(d.learners[0]).toMatchObject({ doneCount: 45, level: "recommended" });
    expect(d.learners[0]?.cells[EX]).toMatchObject({ attempts: 2, bestScore: 1, passed: true, pending: 1 });
    expect(d.pitfalls).toEqual([{ pitfallId: "pe-sin-cos-swapped", failingTests: 1, submissions: 1, learners: 1 }]);
  });
});
