import { Database } from "./client.ts";
import { parseDatabaseUrl } from "./env.ts";
import { LeaseLostError } from "./errors.ts";
import { claimNext, completeGrading } from "./queue.ts";
import { syntheticResult } from "./testing.ts";

/**
 * A stand-alone claimer process for the multi-process queue tests: claims until the queue is empty,
 * writes a synthetic result for each job and prints the ids it graded as one JSON line.
 *   node --import tsx packages/db/src/testing-claimer.ts <database url> <worker id> <loops>
 */
const [url, workerId, loops] = process.argv.slice(2);
if (url === undefined || workerId === undefined) {
  console.error("usage: testing-claimer.ts <database url> <worker id> [loops]");
  process.exit(2);
}
const db = await Database.connect(parseDatabaseUrl(url));
const graded: string[] = [];
const lost: string[] = [];
await Promise.all(
  Array.from({ length: Number(loops ?? 1) }, async (_, i) => {
    for (;;) {
      const job = await claimNext(db, { workerId: `${workerId}#${i}`, leaseMs: 60_000 });
      if (job === null) return;
      const result = syntheticResult({ exerciseId: job.exerciseId, exerciseVersion: job.submittedVersion, seed: job.seed, verdict: "passed" });
      try {
        await completeGrading(db, { submissionId: job.submissionId, workerId: job.workerId, attempt: job.attempt }, result);
        graded.push(job.submissionId);
      } catch (e) {
        if (!(e instanceof LeaseLostError)) throw e;
        lost.push(job.submissionId);
      }
    }
  }),
);
await db.close();
console.log(JSON.stringify({ workerId, graded, lost }));
