import { statSync } from "node:fs";
import { parseArgs } from "node:util";
import {
  type Database,
  classDashboard,
  claimNext,
  completeGrading,
  learnerEvidence,
  queueStats,
  submissionHistory,
  submit,
} from "../src/index.ts";
import { generateClass } from "../src/synthetic-class.ts";
import { openScratchDatabase, syntheticResult, testProviders } from "../src/testing.ts";

/**
 * `npm run bench:db`: a class of 500 students x 23 exercises x 10 submissions (115,000 graded
 * submissions, one grading and four test rows each) on each database, and the time of the portal's
 * queries on it. Options: --students, --exercises, --per, --runs, --provider sqlite|postgresql.
 */
const { values } = parseArgs({
  options: {
    students: { type: "string", default: "500" },
    exercises: { type: "string", default: "23" },
    per: { type: "string", default: "10" },
    runs: { type: "string", default: "7" },
    provider: { type: "string" },
  },
});
const students = Number(values.students);
const exercises = Number(values.exercises);
const per = Number(values.per);
const runs = Number(values.runs);
const providers = values.provider === undefined ? testProviders() : testProviders().filter((p) => p === values.provider);

async function time<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const t = performance.now();
  const v = await fn();
  return [performance.now() - t, v];
}

function stats(samples: number[]): string {
  const s = [...samples].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? 0;
  return `median ${q(0.5).toFixed(1)} ms, min ${s[0]?.toFixed(1)} ms, max ${s.at(-1)?.toFixed(1)} ms`;
}

async function repeat(n: number, fn: (i: number) => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push((await time(() => fn(i)))[0]);
  return out;
}

async function sizeOf(db: Database): Promise<string> {
  if (db.config.provider === "sqlite") {
    const file = db.config.file;
    const bytes = [file, `${file}-wal`].reduce((n, f) => n + (statSync(f, { throwIfNoEntry: false })?.size ?? 0), 0);
    return `${(bytes / 2 ** 20).toFixed(0)} MiB`;
  }
  const rows = await db.run("size", (p) => p.$queryRawUnsafe<{ size: string }[]>("SELECT pg_size_pretty(pg_database_size(current_database())) AS size"));
  return rows[0]?.size ?? "?";
}

console.log(`bench:db — ${students} students x ${exercises} exercises x ${per} submissions, ${runs} runs per query\n`);
for (const provider of providers) {
  const { db, close } = await openScratchDatabase(provider, "bench");
  try {
    const [genMs, cls] = await time(() => generateClass(db, { students, exercises, submissionsPerExercise: per, everyExercise: true, prefix: "bench", seed: 1 }));
    // The steady state autovacuum (PostgreSQL) and `PRAGMA optimize` (SQLite) keep: statistics, visibility map.
    await db.run("analyze", (p) => p.$executeRawUnsafe(provider === "postgresql" ? "VACUUM ANALYZE" : "ANALYZE"));
    console.log(`${provider}: generated ${cls.submissions.length} submissions in ${(genMs / 1000).toFixed(1)} s (${await sizeOf(db)})`);

    const [coldMs, d] = await time(() => classDashboard(db, cls.classId));
    console.log(`  classDashboard (${d.learners.length} x ${d.exercises.length}, ${d.pitfalls.length} pitfalls): first ${coldMs.toFixed(1)} ms; ${stats(await repeat(runs, () => classDashboard(db, cls.classId)))}`);
    const pick = (i: number) => cls.studentIds[(i * 37) % cls.studentIds.length] ?? "";
    console.log(`  learnerEvidence (${per * exercises} submissions each): ${stats(await repeat(runs * 3, (i) => learnerEvidence(db, pick(i))))}`);
    console.log(`  submissionHistory (page of 50): ${stats(await repeat(runs * 3, (i) => submissionHistory(db, pick(i), { limit: 50 })))}`);
    console.log(`  queueStats: ${stats(await repeat(runs, () => queueStats(db)))}`);
    const ids: string[] = [];
    for (let i = 0; i < 50; i++) ids.push((await submit(db, { userId: pick(i), exerciseId: cls.exerciseIds[0] ?? "", source: `// ${i}` })).id);
    const claims = await repeat(50, async () => {
      const job = await claimNext(db, { workerId: "bench", leaseMs: 60_000 });
      if (job === null) throw new Error("queue empty");
      await completeGrading(db, job, syntheticResult({ exerciseId: job.exerciseId, exerciseVersion: job.submittedVersion, seed: job.seed, verdict: "passed", tests: [{ id: "a", status: "passed" }] }));
    });
    console.log(`  claimNext + completeGrading on the full table: ${stats(claims)}\n`);
  } finally {
    await close();
  }
}
