import type { Progress } from "@tfm/contract";
import { type Database, learnerEvidence, saveProgress } from "@tfm/db";
import { computeProgress } from "@tfm/progress";
import { getChecklist } from "./grader.ts";

/** Computes a learner's checklist from their evidence and stores the snapshot dashboards read. */
export async function refreshProgress(database: Database, userId: string): Promise<Progress> {
  const [checklist, evidence] = await Promise.all([getChecklist(), learnerEvidence(database, userId)]);
  const progress = computeProgress(checklist, evidence);
  await saveProgress(database, userId, progress);
  return progress;
}

export type ExerciseState = "not_started" | "attempted" | "passed";

/** Per exercise: passed (any passing submission), attempted, or not started; and what is still queued. */
export async function exerciseStates(database: Database, userId: string): Promise<Map<string, { state: ExerciseState; pending: number; attempts: number }>> {
  const rows = await database.run("reading exercise states", (p) =>
    p.submission.groupBy({ by: ["exerciseId", "verdict", "status"], where: { userId }, _count: { _all: true } }),
  );
  const out = new Map<string, { state: ExerciseState; pending: number; attempts: number }>();
  for (const r of rows) {
    const cur = out.get(r.exerciseId) ?? { state: "attempted" as ExerciseState, pending: 0, attempts: 0 };
    cur.attempts += r._count._all;
    if (r.verdict === "passed") cur.state = "passed";
    if (r.status === "queued" || r.status === "grading") cur.pending += r._count._all;
    out.set(r.exerciseId, cur);
  }
  return out;
}
