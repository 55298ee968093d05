/**
 * npm run bench [-- --runs N --quick --exercise id --out file.json]
 * Grading latency per exercise (median, p95, p99 over many gradings of the model solutions, end to
 * end through the worker pool, and inside the worker), throughput with the whole pool, and the
 * reference backend in use. Prints a table and writes JSON.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { loadCatalog } from "../catalog.ts";
import { loadConfig } from "../config.ts";
import { REPO_ROOT } from "../paths.ts";
import { GraderPool } from "../pool.ts";
import { summary } from "./stats.ts";

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "40" },
    quick: { type: "boolean", default: false },
    exercise: { type: "string" },
    out: { type: "string", default: path.join(REPO_ROOT, "bench-results", "grading.json") },
  },
});
const runs = values.quick ? 5 : Number(values.runs);
const config = loadConfig();
const catalog = loadCatalog(config.TFM_EXERCISES_DIR, config.TFM_REFERENCE_DIR);
const pool = new GraderPool({ size: config.TFM_GRADER_WORKERS, catalog });
await pool.start();

const rows: Record<string, unknown>[] = [];
const fmt = (x: number) => x.toFixed(1).padStart(8);
console.log(`reference backend: ${pool.stats().backend}; workers: ${pool.stats().size}; runs per exercise: ${runs}`);
console.log(`${"exercise".padEnd(30)} ${"e2e p50".padStart(8)} ${"e2e p95".padStart(8)} ${"e2e p99".padStart(8)} ${"wkr p50".padStart(8)} ${"wkr p95".padStart(8)}  ms   tests verdict`);
let allPassed = true;
for (const entry of catalog.exercises.values()) {
  if (values.exercise !== undefined && entry.meta.id !== values.exercise) continue;
  const source = readFileSync(entry.solutionPath, "utf8");
  const e2e: number[] = [];
  const inner: number[] = [];
  let verdict = "";
  let tests = 0;
  for (let i = 0; i < runs + 2; i++) {
    const t = performance.now();
    const r = await pool.grade({ exerciseId: entry.meta.id, source, seed: 1000 + i });
    const ms = performance.now() - t;
    verdict = r.verdict;
    tests = r.total;
    if (r.verdict !== "passed") allPassed = false;
    if (i < 2) continue; // warm-up: first-time imports and reference computation
    e2e.push(ms);
    inner.push(r.timings.totalMs);
  }
  const a = summary(e2e);
  const b = summary(inner);
  rows.push({ exercise: entry.meta.id, runs, tests, verdict, e2e: a, worker: b });
  console.log(`${entry.meta.id.padEnd(30)} ${fmt(a.p50)} ${fmt(a.p95)} ${fmt(a.p99)} ${fmt(b.p50)} ${fmt(b.p95)}  ${String(tests).padStart(8)} ${verdict}`);
}

// Throughput: every exercise's solution, all at once, across the whole pool.
const batch = [...catalog.exercises.values()].filter((e) => values.exercise === undefined || e.meta.id === values.exercise);
const sources = batch.map((e) => ({ id: e.meta.id, source: readFileSync(e.solutionPath, "utf8") }));
const total = Math.max(sources.length * (values.quick ? 4 : 20), 1);
const t0 = performance.now();
await Promise.all(
  Array.from({ length: total }, (_, i) => {
    const s = sources[i % sources.length];
    if (s === undefined) throw new Error("no exercises");
    return pool.grade({ exerciseId: s.id, source: s.source, seed: i });
  }),
);
const seconds = (performance.now() - t0) / 1000;
const perMinute = Math.round((total / seconds) * 60);
console.log(`throughput: ${total} gradings in ${seconds.toFixed(2)} s = ${perMinute} gradings/minute with ${pool.stats().size} workers`);
const stats = pool.stats();
await pool.close();

mkdirSync(path.dirname(values.out), { recursive: true });
writeFileSync(
  values.out,
  JSON.stringify({ at: new Date().toISOString(), backend: stats.backend, workers: stats.size, runs, rows, throughput: { total, seconds, perMinute } }, null, 2),
);
console.log(`wrote ${values.out}`);
if (!allPassed) {
  console.error("a model solution did not pass during the benchmark");
  process.exit(1);
}
