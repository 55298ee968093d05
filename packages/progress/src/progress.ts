import {
  CHECKLIST_GROUPS,
  type ChecklistFile,
  type ChecklistGroup,
  type ChecklistItem,
  type ChecklistMarks,
  type FreeTextReview,
  type ItemEvidence,
  type ItemProgress,
  type LearnerEvidence,
  type Progress,
  type ProgressLevel,
  type QuizResultRecord,
  type SelfAssessment,
  type SubmissionRecord,
} from "@tfm/contract";

/**
 * Checklist progress, computed in one place for the portal, the dashboards and the CLI. Pure: the
 * same checklist and history always give the same answer, whatever order the history comes in.
 */

export function progressLevel(doneCount: number, marks: ChecklistMarks): ProgressLevel {
  if (doneCount >= marks.excellent) return "excellent";
  if (doneCount >= marks.recommended) return "recommended";
  if (doneCount >= marks.minimum) return "minimum";
  return "none";
}

const time = (at: string): number => Date.parse(at);

/** The earliest record per key; on equal times the one that comes first in the history. */
function earliestBy<T extends { at: string }>(records: readonly T[], key: (r: T) => string): Map<string, T> {
  const out = new Map<string, T>();
  for (const r of records) {
    const k = key(r);
    const seen = out.get(k);
    if (seen === undefined || time(r.at) < time(seen.at)) out.set(k, r);
  }
  return out;
}

/** The latest record per key; on equal times the one that comes last in the history. */
function latestBy<T extends { at: string }>(records: readonly T[], key: (r: T) => string): Map<string, T> {
  const out = new Map<string, T>();
  for (const r of records) {
    const k = key(r);
    const seen = out.get(k);
    if (seen === undefined || time(r.at) >= time(seen.at)) out.set(k, r);
  }
  return out;
}

interface Index {
  firstPass: Map<string, SubmissionRecord>;
  firstQuizPass: Map<string, QuizResultRecord>;
  firstReviewPass: Map<string, FreeTextReview>;
  latestSelf: Map<string, SelfAssessment>;
}

function notDone(item: ChecklistItem, pending: string[]): ItemProgress {
  return { id: item.id, group: item.group, done: false, evidence: null, at: null, pending };
}

function done(item: ChecklistItem, evidence: ItemEvidence, at: string): ItemProgress {
  return { id: item.id, group: item.group, done: true, evidence, at, pending: [] };
}

function itemProgress(item: ChecklistItem, index: Index): ItemProgress {
  const ev = item.evidence;
  switch (ev.kind) {
    case "exercise": {
      // The first pass of each exercise counts for good: a later failing attempt takes nothing back.
      const passes = ev.exercises.map((id) => ({ id, pass: index.firstPass.get(id) }));
      const pending = passes.filter((p) => p.pass === undefined).map((p) => p.id);
      if (pending.length > 0) return notDone(item, pending);
      const submissions = passes.flatMap(({ id, pass }) => (pass === undefined ? [] : [{ exerciseId: id, submissionId: pass.submissionId, at: pass.at }]));
      const last = submissions.reduce((a, b) => (time(b.at) > time(a.at) ? b : a));
      return done(item, { kind: "exercise", submissions }, last.at);
    }
    case "quiz": {
      const candidates: { evidence: ItemEvidence; at: string }[] = [];
      const quiz = index.firstQuizPass.get(ev.quiz);
      if (quiz !== undefined) candidates.push({ evidence: { kind: "quiz", quizId: ev.quiz, resultId: quiz.resultId, at: quiz.at }, at: quiz.at });
      for (const problemId of ev.orFreeText ?? []) {
        const review = index.firstReviewPass.get(problemId);
        if (review !== undefined) candidates.push({ evidence: { kind: "review", problemId, reviewId: review.reviewId, at: review.at }, at: review.at });
      }
      if (candidates.length === 0) return notDone(item, [ev.quiz]);
      const first = candidates.reduce((a, b) => (time(b.at) < time(a.at) ? b : a));
      return done(item, first.evidence, first.at);
    }
    case "self": {
      // Only the learner can tell, so their latest word stands, including taking a tick back.
      const latest = index.latestSelf.get(item.id);
      if (latest === undefined || !latest.checked) return notDone(item, []);
      return done(item, { kind: "self", at: latest.at }, latest.at);
    }
  }
}

export function computeProgress(checklist: ChecklistFile, evidence: Partial<LearnerEvidence>): Progress {
  const index: Index = {
    firstPass: earliestBy((evidence.submissions ?? []).filter((s) => s.verdict === "passed"), (s) => s.exerciseId),
    firstQuizPass: earliestBy((evidence.quizResults ?? []).filter((r) => r.verdict === "passed"), (r) => r.quizId),
    firstReviewPass: earliestBy((evidence.reviews ?? []).filter((r) => r.passed), (r) => r.problemId),
    latestSelf: latestBy(evidence.selfAssessments ?? [], (s) => s.itemId),
  };
  const items = checklist.items.map((item) => itemProgress(item, index));
  const doneCount = items.filter((i) => i.done).length;
  const byGroup = Object.fromEntries(
    CHECKLIST_GROUPS.map((g) => {
      const inGroup = items.filter((i) => i.group === g);
      return [g, { done: inGroup.filter((i) => i.done).length, total: inGroup.length }];
    }),
  ) as Record<ChecklistGroup, { done: number; total: number }>;
  return { items, doneCount, total: items.length, byGroup, level: progressLevel(doneCount, checklist.marks), marks: checklist.marks };
}
