import { readFileSync } from "node:fs";
import {
  ChecklistFile,
  type FreeTextReview,
  type LearnerEvidence,
  Progress,
  type QuizResultRecord,
  type SelfAssessment,
  type SubmissionRecord,
  type Verdict,
} from "@tfm/contract";
import { describe, expect, it } from "vitest";
import { computeProgress, progressLevel } from "./progress.ts";

const checklist = ChecklistFile.parse(JSON.parse(readFileSync(new URL("../../../exercises/checklist.json", import.meta.url), "utf8")));

const day = (n: number, hour = 9): string => new Date(Date.UTC(2025, 0, n, hour)).toISOString();

let serial = 0;
const submission = (exerciseId: string, verdict: Verdict, at: string): SubmissionRecord => ({ submissionId: `s${++serial}`, exerciseId, verdict, at });
const quizResult = (quizId: string, verdict: Verdict, at: string): QuizResultRecord => ({ resultId: `q${++serial}`, quizId, verdict, seed: 1, at });
const tick = (itemId: string, checked: boolean, at: string): SelfAssessment => ({ itemId, checked, at });
const review = (problemId: string, passed: boolean, at: string): FreeTextReview => ({ reviewId: `r${++serial}`, problemId, points: passed ? 8 : 3, maxPoints: 10, passed, reviewer: "t1", at });

const exerciseIds = [...new Set(checklist.items.flatMap((i) => (i.evidence.kind === "exercise" ? i.evidence.exercises : [])))];
const quizItems = checklist.items.flatMap((i) => (i.evidence.kind === "quiz" ? [{ item: i.id, quiz: i.evidence.quiz }] : []));
const selfItems = checklist.items.filter((i) => i.evidence.kind === "self").map((i) => i.id);

/** Every exercise passed, the first `quizzes` quizzes passed, the first `selves` self items ticked. */
function history(quizzes: number, selves: number): LearnerEvidence {
  return {
    submissions: exerciseIds.map((id, k) => submission(id, "passed", day(1 + (k % 20)))),
    quizResults: quizItems.slice(0, quizzes).map((q, k) => quizResult(q.quiz, "passed", day(2 + k))),
    selfAssessments: selfItems.slice(0, selves).map((id) => tick(id, true, day(25))),
    reviews: [],
  };
}

function item(p: Progress, id: string) {
  const found = p.items.find((i) => i.id === id);
  if (found === undefined) throw new Error(`no item ${id}`);
  return found;
}

describe("levels", () => {
  it("follow the 40/45/50 marks of the checklist file", () => {
    expect(checklist.marks).toEqual({ minimum: 40, recommended: 45, excellent: 50 });
    expect([0, 39, 40, 44, 45, 49, 50].map((n) => progressLevel(n, checklist.marks))).toEqual([
      "none",
      "none",
      "minimum",
      "minimum",
      "recommended",
      "recommended",
      "excellent",
    ]);
  });

  it("start at none with nothing done and everything pending", () => {
    const p = computeProgress(checklist, {});
    expect(Progress.safeParse(p).success).toBe(true);
    expect(p).toMatchObject({ doneCount: 0, total: 50, level: "none" });
    expect(p.items.every((i) => !i.done && i.evidence === null && i.at === null)).toBe(true);
    expect(item(p, "impl-masks").pending).toEqual(["attention-masks", "scaled-dot-product-attention"]);
    expect(item(p, "math-shapes").pending).toEqual(["math-shapes"]);
    expect(p.byGroup).toEqual({
      concepts: { done: 0, total: 10 },
      maths: { done: 0, total: 5 },
      implementation: { done: 0, total: 15 },
      debugging: { done: 0, total: 5 },
      application: { done: 0, total: 5 },
      theory: { done: 0, total: 5 },
      reproducibility: { done: 0, total: 5 },
    });
  });

  it.each([
    [quizItems.length - 6, 0, 40, "minimum"],
    [quizItems.length - 7, 0, 39, "none"],
    [quizItems.length - 1, 0, 45, "recommended"],
    [quizItems.length - 2, 0, 44, "minimum"],
    [quizItems.length - 6, 1, 41, "minimum"],
    [quizItems.length, 3, 49, "recommended"],
    [quizItems.length, 4, 50, "excellent"],
  ])("%i quizzes and %i self items give %i done: %s", (quizzes, selves, doneCount, level) => {
    const p = computeProgress(checklist, history(quizzes, selves));
    expect(Progress.safeParse(p).success).toBe(true);
    expect(p.doneCount).toBe(doneCount);
    expect(p.level).toBe(level);
    expect(Object.values(p.byGroup).reduce((s, g) => s + g.done, 0)).toBe(doneCount);
  });

  it("do not depend on the order of the history", () => {
    const h = history(10, 2);
    const reversed: LearnerEvidence = {
      submissions: [...h.submissions].reverse(),
      quizResults: [...h.quizResults].reverse(),
      selfAssessments: [...h.selfAssessments].reverse(),
      reviews: [],
    };
    expect(computeProgress(checklist, reversed)).toEqual(computeProgress(checklist, h));
  });
});

describe("exercise items", () => {
  it("need a pass of every listed exercise, and are done when the last of them first passed", () => {
    const first = submission("scaled-dot-product-attention", "passed", day(3));
    let p = computeProgress(checklist, { submissions: [first] });
    expect(item(p, "impl-scaled-dot-product-attention")).toMatchObject({ done: false, pending: ["simple-attention"] });
    const second = submission("simple-attention", "passed", day(5));
    p = computeProgress(checklist, { submissions: [second, first] });
    expect(item(p, "impl-scaled-dot-product-attention")).toEqual({
      id: "impl-scaled-dot-product-attention",
      group: "implementation",
      done: true,
      evidence: {
        kind: "exercise",
        submissions: [
          { exerciseId: "scaled-dot-product-attention", submissionId: first.submissionId, at: first.at },
          { exerciseId: "simple-attention", submissionId: second.submissionId, at: second.at },
        ],
      },
      at: second.at,
      pending: [],
    });
  });

  it("stay done after a later failing submission, citing the first pass", () => {
    const failedFirst = submission("positional-encoding", "failed", day(1));
    const pass = submission("positional-encoding", "passed", day(2));
    const laterPass = submission("positional-encoding", "passed", day(4));
    const laterFail = submission("positional-encoding", "runtime_error", day(6));
    const p = computeProgress(checklist, { submissions: [laterFail, laterPass, failedFirst, pass] });
    expect(item(p, "impl-positional-encoding")).toMatchObject({
      done: true,
      at: pass.at,
      evidence: { kind: "exercise", submissions: [{ exerciseId: "positional-encoding", submissionId: pass.submissionId }] },
    });
  });

  it("are not completed by failing, compile-error or internal-error results", () => {
    const verdicts: Verdict[] = ["failed", "compile_error", "runtime_error", "time_limit", "memory_limit", "output_limit", "internal_error"];
    const p = computeProgress(checklist, { submissions: verdicts.map((v, k) => submission("layer-norm", v, day(1 + k))) });
    expect(item(p, "impl-layer-norm")).toMatchObject({ done: false, pending: ["layer-norm"] });
  });

  it("let one exercise complete every item that names it", () => {
    const p = computeProgress(checklist, { submissions: [submission("seeded-experiment", "passed", day(9))] });
    const done = p.items.filter((i) => i.done).map((i) => i.id);
    expect(done.sort()).toEqual(["impl-device-management", "repro-config-json", "repro-seed", "repro-version-info"]);
    expect(p.byGroup.reproducibility).toEqual({ done: 3, total: 5 });
    expect(p.byGroup.implementation).toEqual({ done: 1, total: 15 });
  });
});

describe("quiz items", () => {
  it("need a passed result of their quiz, and a later fail keeps them", () => {
    const fail = quizResult("math-shapes", "failed", day(1));
    let p = computeProgress(checklist, { quizResults: [fail] });
    expect(item(p, "math-shapes")).toMatchObject({ done: false, pending: ["math-shapes"] });
    const pass = quizResult("math-shapes", "passed", day(2));
    p = computeProgress(checklist, { quizResults: [fail, pass, quizResult("math-shapes", "failed", day(3))] });
    expect(item(p, "math-shapes")).toMatchObject({
      done: true,
      at: pass.at,
      evidence: { kind: "quiz", quizId: "math-shapes", resultId: pass.resultId, at: pass.at },
    });
  });

  it("can also be completed by a passing instructor review of the linked free-text problem", () => {
    const failed = review("qkv-analogy", false, day(1));
    let p = computeProgress(checklist, { reviews: [failed] });
    expect(item(p, "concept-qkv-roles").done).toBe(false);
    const passed = review("qkv-analogy", true, day(2));
    p = computeProgress(checklist, { reviews: [failed, passed], quizResults: [quizResult("concept-qkv-roles", "passed", day(3))] });
    expect(item(p, "concept-qkv-roles")).toMatchObject({
      done: true,
      at: passed.at,
      evidence: { kind: "review", problemId: "qkv-analogy", reviewId: passed.reviewId },
    });
    // A review only counts for the items that name its problem.
    p = computeProgress(checklist, { reviews: [passed] });
    expect(p.doneCount).toBe(1);
  });

  it("cite the quiz when it passed before any review", () => {
    const pass = quizResult("concept-multi-head-why", "passed", day(1));
    const p = computeProgress(checklist, { quizResults: [pass], reviews: [review("ethanol-attention", true, day(4))] });
    expect(item(p, "concept-multi-head-why").evidence).toMatchObject({ kind: "quiz", resultId: pass.resultId });
  });
});

describe("self-assessed items", () => {
  it("follow the learner's latest tick", () => {
    const id = "theory-read-transformer-paper";
    expect(item(computeProgress(checklist, { selfAssessments: [tick(id, true, day(1))] }), id)).toMatchObject({ done: true, evidence: { kind: "self", at: day(1) } });
    expect(item(computeProgress(checklist, { selfAssessments: [tick(id, false, day(2)), tick(id, true, day(1))] }), id).done).toBe(false);
    expect(item(computeProgress(checklist, { selfAssessments: [tick(id, false, day(1)), tick(id, true, day(2))] }), id).at).toBe(day(2));
    // Same instant: the later entry in the history wins.
    expect(item(computeProgress(checklist, { selfAssessments: [tick(id, true, day(3)), tick(id, false, day(3))] }), id).done).toBe(false);
  });

  it("cannot tick an item that needs an exercise or a quiz", () => {
    const p = computeProgress(checklist, { selfAssessments: [tick("impl-layer-norm", true, day(1)), tick("math-shapes", true, day(1))] });
    expect(p.doneCount).toBe(0);
  });
});
