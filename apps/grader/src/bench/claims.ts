/**
 * The durable queue's ceiling on PostgreSQL: claims (and result writes) per second with no grading at
 * all, so that the number is the queue's, not the sandbox's. N queued submissions on a scratch
 * database; C concurrent claimers, each claiming `batch` jobs at a time and writing a tiny result for
 * each (claimJobs + markStarted + completeGrading: what a runner does per job).
 *
 *   node --no-node-snapshot --import tsx apps/grader/src/bench/claims.ts [--jobs 2000] [--claimers 1,4,16] [--batch 1,8]
 */
import { parseArgs } from "node:util";
import { Database, claimJobs, completeGrading, createUser, markStarted, migrate, submit, syncExercises } from "@tfm/db";
import { createScratchDatabase, syntheticResult } from "@tfm/db/testing";

const { values } = parseArgs({ options: { jobs: { type: "string" }, claimers: { type: "string" }, batch: { type: "string" } } });
const jobs = Number(values.jobs ?? 2000);
const claimerSeries = (values.claimers ?? "1,4,16").split(",").map(Number);
const batchSeries = (values.batch ?? "1,8").split(",").map(Number);
const EX = "scaled-dot-product-attention";

const scratch = await createScratchDatabase("postgresql", "claims");
try {
  await migrate(scratch.config);
  const db = await Database.connect({ ...scratch.config, ...("poolMax" in scratch.config ? { poolMax: 40 } : {}) });
  await syncExercises(db, [{ id: EX, version: "v1", order: 1, area: "implementation", title: { ja: "a", en: "a" }, meta: {} }]);
  const user = (await createUser(db, { email: "claims@example.org", displayName: "c" })).id;
  console.log(`queue ceiling on ${db.where}: ${jobs} jobs per run, no grading (claim + start + write per job)`);
  for (const batch of batchSeries) {
    for (const claimers of claimerSeries) {
      await db.run("reset", (p) => p.submission.deleteMany());
      for (let i = 0; i < jobs; i += 100) {
        await Promise.all(Array.from({ length: Math.min(100, jobs - i) }, (_, k) => submit(db, { userId: user, exerciseId: EX, source: `// ${i + k}` })));
      }
      let done = 0;
      let calls = 0;
      const t0 = performance.now();
      await Promise.all(
        Array.from({ length: claimers }, async (_, c) => {
          for (;;) {
            calls++;
            const claimed = await claimJobs(db, { workerId: `c${c}`, leaseMs: 10_000, limit: batch, sweep: false });
            if (claimed.length === 0) return;
            await Promise.all(
              claimed.map(async (job) => {
                const ref = { submissionId: job.submissionId, workerId: job.workerId, attempt: job.attempt };
                await markStarted(db, ref);
                await completeGrading(db, ref, syntheticResult({ exerciseId: EX, exerciseVersion: "v1", seed: job.seed, verdict: "passed" }));
                done++;
              }),
            );
          }
        }),
      );
      const seconds = (performance.now() - t0) / 1000;
      console.log(
        `  batch ${String(batch).padStart(2)}  claimers ${String(claimers).padStart(3)}: ${(done / seconds).toFixed(0).padStart(6)} jobs/s (${done} in ${seconds.toFixed(2)} s, ${calls} claim statements)`,
      );
    }
  }
  await db.close();
} finally {
  await scratch.drop();
}
