/**
 * The persist stage of a grading: storing the submission, claiming it and writing its result
 * (completeGrading: the grading row, its tests and the submission's new status in one transaction),
 * on a scratch SQLite file and a scratch PostgreSQL database, with real results of the benchmark run.
 */
import type { GradeResult } from "@tfm/contract";
import { claimNext, completeGrading, createUser, submit, syncExercises } from "@tfm/db";
import { openScratchDatabase, testProviders } from "@tfm/db/testing";
import type { Catalog } from "../catalog.ts";
import { catalogVersions } from "../durable/runner.ts";
import { type Summary, summary } from "./stats.ts";

export type PersistReport =
  | { provider: "sqlite" | "postgresql"; skipped: null; submit: Summary; claim: Summary; complete: Summary }
  | { provider: "sqlite" | "postgresql"; skipped: string };

export async function measurePersist(catalog: Catalog, results: readonly GradeResult[]): Promise<PersistReport[]> {
  const reports: PersistReport[] = [];
  for (const provider of ["sqlite", "postgresql"] as const) {
    if (!testProviders().includes(provider)) {
      reports.push({ provider, skipped: "TFM_TEST_POSTGRES=off" });
      continue;
    }
    if (results.length === 0) {
      reports.push({ provider, skipped: "no results to write" });
      continue;
    }
    const opened = await openScratchDatabase(provider, "bench_persist");
    try {
      const { db } = opened;
      await syncExercises(db, catalogVersions(catalog));
      const user = await createUser(db, { email: "bench@example.org", displayName: "Bench" });
      const submitMs: number[] = [];
      const claimMs: number[] = [];
      const completeMs: number[] = [];
      for (const result of results) {
        let t = performance.now();
        await submit(db, { userId: user.id, exerciseId: result.exerciseId, source: "// bench", seed: result.seed });
        submitMs.push(performance.now() - t);
        t = performance.now();
        const job = await claimNext(db, { workerId: "bench#0", leaseMs: 60_000 });
        claimMs.push(performance.now() - t);
        if (job === null) throw new Error("claimNext returned nothing right after a submit");
        t = performance.now();
        await completeGrading(db, { submissionId: job.submissionId, workerId: job.workerId, attempt: job.attempt }, result);
        completeMs.push(performance.now() - t);
      }
      reports.push({ provider, skipped: null, submit: summary(submitMs), claim: summary(claimMs), complete: summary(completeMs) });
    } finally {
      await opened.close();
    }
  }
  return reports;
}
