/**
 * npm run bench [-- --quick | --runs N | --exercise id | --cold-samples N | --baseline-runs N | --out file.json]
 *
 * Grading speed, measured on the model solutions, in one run:
 *   warm      per exercise, p50/p95/p99 end to end through the worker pool (and inside the worker), after
 *             two warm-up gradings of that exercise in the same pool. Every grading has its own seed (so
 *             hidden-case references are computed afresh, as for real students) and its own source text
 *             (a trailing comment differs), so nothing is served from a cache that real traffic would miss.
 *   idle      as warm, with a pause before each grading: a student submitting to an idle service (the
 *             worker prepares the next isolate while idle).
 *   cold      the first grading of an exercise in a worker process that has never graded that exercise:
 *             a fresh single-worker pool per sample (its start-up work, done before the worker reports
 *             ready, is not counted: catalog, module imports, kit bundle and code cache, the public cases'
 *             references); the hidden cases' references are computed during the grading; exercises are
 *             graded in a rotated order, so the process's very first grading falls on a different exercise
 *             in each sample and is also reported on its own as "first grading in a fresh worker".
 *   stages    where the worker's time goes (transpile, isolate, kit + harness, submission load, calls,
 *             reference, compare) from the workers' own timestamps; persist = completeGrading on SQLite and
 *             on PostgreSQL (scratch databases) with the results of this run.
 *   baseline  the same submissions in a fresh plain `node` process each, no isolate: the unchanged pipeline
 *             (same inputs, references, comparison) with a process per submission in place of an isolate,
 *             measured in this process back to back with the isolate version; the ratio is printed.
 *   pool      throughput with every worker busy (light exercises), peak RSS of each worker (VmHWM),
 *             reference cache hit rates.
 *   refstage  the reference stage alone per backend (wasm, webgpu on the adapter Dawn finds, cpu in
 *             full runs), ms per case, first pass (shader compilation on webgpu) and warm.
 * Prints tables and writes JSON (bench-results/grading.json). Exits non-zero only if a model solution
 * did not pass (the speed goals are reported, never asserted).
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import type { GradeResult } from "@tfm/contract";
import { initBackend } from "@tfm/reference";
import type { LimitScale } from "../calibration.ts";
import { type Catalog, type CatalogEntry, loadCatalog } from "../catalog.ts";
import { loadConfig } from "../config.ts";
import { type GradeJob, type StageTimes, gradeSubmission } from "../grade.ts";
import { DEFAULT_CALL_TIMEOUT_MS, hasOwnLimits } from "../limits.ts";
import { REPO_ROOT } from "../paths.ts";
import { GraderPool } from "../pool.ts";
import { ReferenceCache } from "../reference-cache.ts";
import { loadRuntime } from "../runtime.ts";
import { bootstrapSource } from "../sandbox/sandbox.ts";
import { measurePersist, type PersistReport } from "./persist.ts";
import { measureReferenceStage } from "./reference-stage.ts";
import { processSandboxes } from "./process-sandbox.ts";
import { type Summary, summary } from "./stats.ts";

const { values } = parseArgs({
  options: {
    runs: { type: "string" },
    quick: { type: "boolean", default: false },
    exercise: { type: "string" },
    "cold-samples": { type: "string" },
    "baseline-runs": { type: "string" },
    "persist-runs": { type: "string" },
    out: { type: "string", default: path.join(REPO_ROOT, "bench-results", "grading.json") },
  },
});

function count(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) {
    console.error(`--${name} must be a positive integer (got '${raw}') / --${name} には正の整数を指定してください`);
    process.exit(2);
  }
  return n;
}

const quick = values.quick;
const runs = count("runs", values.runs, quick ? 5 : 40);
const heavyRuns = Math.max(2, Math.min(runs, quick ? 2 : 10));
const coldSamples = count("cold-samples", values["cold-samples"], quick ? 1 : 3);
const baselineRuns = count("baseline-runs", values["baseline-runs"], quick ? 2 : 5);
const persistRuns = count("persist-runs", values["persist-runs"], quick ? 10 : 50);
const WARMUP = 2;
const idleRuns = quick ? 2 : 10;
const IDLE_GAP_MS = 100;
/** An exercise with its own limits (above the contract's defaults) is designed to be heavy. */
const isHeavy = (e: CatalogEntry) => hasOwnLimits(e.meta.limits);

const config = loadConfig();
const catalog = loadCatalog(config.TFM_EXERCISES_DIR, config.TFM_REFERENCE_DIR);
const selected = [...catalog.exercises.values()].filter((e) => values.exercise === undefined || e.meta.id === values.exercise);
if (selected.length === 0) {
  console.error(`unknown exercise '${values.exercise}' / 演習 '${values.exercise}' はありません`);
  process.exit(2);
}
const light = selected.filter((e) => !isHeavy(e));
const solutions = new Map(selected.map((e) => [e.meta.id, readFileSync(e.solutionPath, "utf8")]));
/** A distinct source per grading (a trailing comment), so no per-source cache can serve it. */
const sourceOf = (e: CatalogEntry, tag: string) => `${solutions.get(e.meta.id)}\n// bench ${tag}\n`;

let allPassed = true;
const failures: string[] = [];
function check(e: CatalogEntry, r: GradeResult, where: string): void {
  if (r.verdict === "passed") return;
  allPassed = false;
  failures.push(`${where}: ${e.meta.id} -> ${r.verdict} (${r.summary.en})`);
}

const fmt = (x: number, w = 7) => (Number.isFinite(x) ? x.toFixed(1) : "-").padStart(w);
const pct = (h: number, m: number) => (h + m === 0 ? Number.NaN : (100 * h) / (h + m));
const median = (xs: readonly number[]) => summary(xs).p50;

// ---------------------------------------------------------------------------------------------
// Warm latency, per-stage profile, throughput, memory: one pool of TFM_GRADER_WORKERS workers.

const pool = new GraderPool({ size: config.TFM_GRADER_WORKERS, catalog });
await pool.start();
const backend = pool.stats().backend;
let stageSink: StageTimes[] | null = null;
pool.listen((_r, _job, stages) => {
  if (stageSink !== null && stages !== null) stageSink.push(stages);
});
const gradeOn = (p: GraderPool, e: CatalogEntry, seed: number, tag: string) =>
  p.grade({ exerciseId: e.meta.id, source: sourceOf(e, tag), seed });

console.log(
  `machine: ${os.cpus().length} cores (${os.cpus()[0]?.model ?? "?"}), load ${os.loadavg().map((l) => l.toFixed(2)).join(" ")}; node ${process.version}`,
);
console.log(`reference backend: ${backend}; workers: ${pool.stats().size}; warm runs per exercise: ${runs} (heavy: ${heavyRuns}) after ${WARMUP} warm-up gradings`);
// The limit scale the pool grades with (calibration.ts: the first ready worker's), and what each worker measured itself.
const describeScale = (l: LimitScale) => `x${l.scale} (${l.source}${l.measuredMs === null ? "" : `, ${l.measuredMs.toFixed(2)} ms against ${l.referenceMs?.toFixed(2)} committed`})`;
{
  const s = pool.stats();
  const own = s.workers.map((w) => (w.measured === null ? "(not ready yet)" : describeScale(w.measured))).join(", ");
  console.log(`call limits: ${s.limits === null ? "(no worker ready yet)" : describeScale(s.limits)} in every worker; each worker's own: ${own}`);
}

interface Row {
  exercise: string;
  heavy: boolean;
  tests: number;
  verdict: string;
  warm: { e2e: Summary; worker: Summary };
  idle: Summary;
  stages: Record<keyof StageTimes, number>;
  cold?: Summary;
  baseline?: { runs: number; processP50: number; isolateP50: number; ratio: number; processStages: { spawnMs: number; kitMs: number } };
}
const rows: Row[] = [];
const warmCache = { before: pool.stats(), after: pool.stats() };
const graded: GradeResult[] = [];
for (const e of selected) {
  const n = isHeavy(e) ? heavyRuns : runs;
  const e2e: number[] = [];
  const inner: number[] = [];
  const stages: StageTimes[] = [];
  let last: GradeResult | null = null;
  for (let i = 0; i < n + WARMUP; i++) {
    stageSink = i < WARMUP ? null : stages;
    const t = performance.now();
    const r = await gradeOn(pool, e, 1000 + i, `warm ${i}`);
    const ms = performance.now() - t;
    check(e, r, "warm");
    last = r;
    if (i < WARMUP) continue;
    e2e.push(ms);
    // The worker's whole grading (hidden session included), from its own profile.
    inner.push(stages[stages.length - 1]?.totalMs ?? r.timings.totalMs);
    if (graded.length < persistRuns * 2) graded.push(r);
  }
  stageSink = null;
  // A student submitting on an idle service: a pause before each grading lets the worker prepare the
  // next isolates (it does so when the pool tells it nothing waits), as between real submissions.
  const idle: number[] = [];
  for (let i = 0; i < (isHeavy(e) ? 0 : idleRuns); i++) {
    await new Promise((r) => setTimeout(r, IDLE_GAP_MS));
    const t = performance.now();
    const r = await gradeOn(pool, e, 2000 + i, `idle ${i}`);
    idle.push(performance.now() - t);
    check(e, r, "idle");
  }
  const stageP50 = Object.fromEntries(
    (Object.keys(stages[0] ?? {}) as (keyof StageTimes)[]).map((k) => [k, median(stages.map((s) => s[k]))]),
  ) as Record<keyof StageTimes, number>;
  rows.push({
    exercise: e.meta.id,
    heavy: isHeavy(e),
    tests: last?.total ?? 0,
    verdict: last?.verdict ?? "?",
    warm: { e2e: summary(e2e), worker: summary(inner) },
    idle: summary(idle),
    stages: stageP50,
  });
}
warmCache.after = pool.stats();

// Throughput: every light exercise's solution, all queued at once, across the whole pool.
const total = Math.max(light.length * (quick ? 4 : 20), 1);
let throughput: { total: number; seconds: number; perMinute: number; exercises: number } | null = null;
if (light.length > 0) {
  const t0 = performance.now();
  const results = await Promise.all(
    Array.from({ length: total }, (_, i) => {
      const e = light[i % light.length] as CatalogEntry;
      return gradeOn(pool, e, 50_000 + i, `tp ${i}`).then((r) => check(e, r, "throughput"));
    }),
  );
  void results;
  const seconds = (performance.now() - t0) / 1000;
  throughput = { total, seconds, perMinute: Math.round((total / seconds) * 60), exercises: light.length };
}
const memory = pool.workerPids().map((pid) => ({ pid, ...procMemory(pid) }));
const poolCache = pool.stats();
await pool.close();

function procMemory(pid: number): { peakRssMb: number; rssMb: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? Number.NaN);
    return { peakRssMb: kb("VmHWM") / 1024, rssMb: kb("VmRSS") / 1024 };
  } catch {
    return { peakRssMb: Number.NaN, rssMb: Number.NaN };
  }
}

// ---------------------------------------------------------------------------------------------
// Cold: the first grading of each exercise in fresh single-worker pools.

const cold = new Map<string, number[]>();
const firstInProcess: { exercise: string; ms: number }[] = [];
const coldCache = { hits: 0, misses: 0 };
for (let s = 0; s < coldSamples; s++) {
  const fresh = new GraderPool({ size: 1, catalog });
  await fresh.start();
  const shift = (s * Math.max(1, Math.floor(selected.length / coldSamples)) + s) % selected.length;
  const order = [...selected.slice(shift), ...selected.slice(0, shift)];
  for (const [i, e] of order.entries()) {
    const t = performance.now();
    const r = await gradeOn(fresh, e, 7 + s, `cold ${s}`);
    const ms = performance.now() - t;
    check(e, r, "cold");
    if (i === 0) firstInProcess.push({ exercise: e.meta.id, ms });
    if (i > 0 || selected.length === 1) cold.set(e.meta.id, [...(cold.get(e.meta.id) ?? []), ms]);
  }
  const st = fresh.stats();
  coldCache.hits += st.cacheHits;
  coldCache.misses += st.cacheMisses;
  await fresh.close();
}
for (const row of rows) {
  const xs = cold.get(row.exercise);
  if (xs !== undefined) row.cold = summary(xs);
}

// ---------------------------------------------------------------------------------------------
// Baseline: a fresh Node process per submission, against isolates, in this process, back to back.

const localBackend = await initBackend();
if (localBackend !== backend) console.warn(`note: this process got backend ${localBackend}, the workers ${backend}`);
bootstrapSource();
await Promise.all(selected.map((e) => loadRuntime(e)));
const references = new ReferenceCache();
const processes = processSandboxes();
try {
  for (const e of selected) {
    const n = isHeavy(e) ? 1 : baselineRuns;
    if (quick && isHeavy(e)) continue;
    const iso: number[] = [];
    const proc: number[] = [];
    const procStages: StageTimes[] = [];
    const job = (i: number, tag: string): GradeJob => ({ exerciseId: e.meta.id, source: sourceOf(e, `${tag} ${i}`), seed: 3000 + i, lang: "ja", scope: "all" });
    // One isolate grading first, so both sides start with this exercise's public references cached.
    check(e, await gradeSubmission(job(0, "iso-warmup"), { catalog, backend: localBackend, references }), "baseline warm-up");
    for (let i = 1; i <= n; i++) {
      let t = performance.now();
      check(e, await gradeSubmission(job(i, "iso"), { catalog, backend: localBackend, references }), "in-process isolate");
      iso.push(performance.now() - t);
      t = performance.now();
      const r = await gradeSubmission(job(i, "proc"), {
        catalog,
        backend: localBackend,
        references,
        sandboxes: processes.factory,
        onStages: (st) => procStages.push(st),
      });
      proc.push(performance.now() - t);
      check(e, r, "process baseline");
    }
    const row = rows.find((x) => x.exercise === e.meta.id);
    if (row === undefined) continue;
    const processP50 = median(proc);
    const isolateP50 = median(iso);
    row.baseline = {
      runs: n,
      processP50,
      isolateP50,
      ratio: processP50 / isolateP50,
      processStages: { spawnMs: median(procStages.map((s) => s.isolateMs)), kitMs: median(procStages.map((s) => s.kitMs)) },
    };
  }
} finally {
  processes.close();
}

// ---------------------------------------------------------------------------------------------
// The reference stage alone, per backend (wasm, webgpu on whatever adapter Dawn finds, cpu in full runs).

const referenceStage = await measureReferenceStage(
  selected.filter((e) => !(quick && isHeavy(e))),
  { warmPasses: quick ? 1 : 3, withCpu: !quick },
);

// ---------------------------------------------------------------------------------------------
// Persist: completeGrading (and claimNext) on scratch SQLite and PostgreSQL databases.

const persist: PersistReport[] = await measurePersist(catalog as Catalog, graded.slice(0, persistRuns));

// ---------------------------------------------------------------------------------------------
// Report.

console.log("");
console.log(
  "latency per exercise, ms (warm: end to end through the pool, back to back; idle: warm with a 100 ms pause before each grading; cold: first grading of the exercise in a fresh worker; base: fresh node process per submission vs isolate, in-process)",
);
console.log(
  `${"exercise".padEnd(30)} ${"warm p50".padStart(8)} ${"p95".padStart(7)} ${"p99".padStart(7)} ${"wkr p50".padStart(7)} ${"idle p50".padStart(8)} | ${"cold p50".padStart(8)} ${"p95".padStart(7)} ${"p99".padStart(7)} | ${"base p50".padStart(8)} ${"iso p50".padStart(7)} ${"ratio".padStart(6)}  tests`,
);
for (const r of rows) {
  console.log(
    `${(r.exercise + (r.heavy ? " (heavy)" : "")).padEnd(30)} ${fmt(r.warm.e2e.p50, 8)} ${fmt(r.warm.e2e.p95)} ${fmt(r.warm.e2e.p99)} ${fmt(r.warm.worker.p50)} ${fmt(r.idle.p50, 8)} | ${fmt(r.cold?.p50 ?? Number.NaN, 8)} ${fmt(r.cold?.p95 ?? Number.NaN)} ${fmt(r.cold?.p99 ?? Number.NaN)} | ${fmt(r.baseline?.processP50 ?? Number.NaN, 8)} ${fmt(r.baseline?.isolateP50 ?? Number.NaN)} ${(r.baseline ? `${r.baseline.ratio.toFixed(1)}x` : "-").padStart(6)}  ${String(r.tests).padStart(5)}`,
  );
}
const first = summary(firstInProcess.map((f) => f.ms));
console.log(`first grading in a fresh worker (includes producing the kit's code cache): p50 ${fmt(first.p50, 0)} ms, max ${fmt(first.max, 0)} ms over ${first.n} (${firstInProcess.map((f) => f.exercise).join(", ")})`);
const baselineRows = rows.filter((r) => r.baseline !== undefined && !r.heavy);
if (baselineRows.length > 0) {
  const ratio = median(baselineRows.map((r) => r.baseline?.ratio ?? Number.NaN));
  const spawn = median(baselineRows.map((r) => r.baseline?.processStages.spawnMs ?? Number.NaN));
  const kit = median(baselineRows.map((r) => r.baseline?.processStages.kitMs ?? Number.NaN));
  console.log(`baseline: a fresh node process per submission is ${ratio.toFixed(1)}x slower than an isolate (median over ${baselineRows.length} light exercises; process start ${spawn.toFixed(1)} ms, kit load ${kit.toFixed(1)} ms)`);
}

console.log("");
console.log("where the worker's time goes, warm p50 per stage, ms (e2e - worker = queueing + IPC)");
const STAGES = ["transpileMs", "isolateMs", "kitMs", "loadMs", "runMs", "referenceMs", "compareMs", "hiddenMs", "totalMs"] as const;
console.log(`${"exercise".padEnd(30)} ${"transp".padStart(7)} ${"isolate".padStart(7)} ${"kit".padStart(7)} ${"load".padStart(7)} ${"run".padStart(7)} ${"ref".padStart(7)} ${"compare".padStart(7)} ${"hidden".padStart(7)} ${"worker".padStart(7)} ${"ipc".padStart(6)} calls cache spare`);
for (const r of rows) {
  const s = r.stages;
  console.log(
    `${r.exercise.padEnd(30)} ${STAGES.map((k) => fmt(s[k] ?? Number.NaN)).join(" ")} ${fmt(r.warm.e2e.p50 - r.warm.worker.p50, 6)} ${String(s.calls ?? "-").padStart(5)} ${s.codeCacheHits === s.isolates ? "  hit" : " miss"} ${String(s.spares ?? 0).padStart(5)}`,
  );
}
for (const p of persist) {
  if (p.skipped !== null) console.log(`persist on ${p.provider}: skipped (${p.skipped})`);
  else console.log(`persist on ${p.provider}: completeGrading p50 ${fmt(p.complete.p50, 0)} / p95 ${fmt(p.complete.p95, 0)} ms, claimNext p50 ${fmt(p.claim.p50, 0)} ms, submit p50 ${fmt(p.submit.p50, 0)} ms (${p.complete.n} results)`);
}

console.log("");
console.log(`reference stage alone, ms per case, first pass / best warm pass, per backend (${referenceStage.backends.map((b) => `${b.name} = ${b.label}`).join("; ")})`);
for (const m of referenceStage.missing) console.log(`  ${m.name} not measured: ${m.reason}`);
{
  const names = referenceStage.backends.map((b) => b.name);
  console.log(`${"exercise".padEnd(30)} ${names.map((n) => `${n} first`.padStart(13) + `${"warm".padStart(8)}`).join(" ")}`);
  for (const id of [...new Set(referenceStage.rows.map((r) => r.exercise))]) {
    const cells = names.map((n) => {
      const r = referenceStage.rows.find((x) => x.exercise === id && x.backend === n);
      return `${fmt(r?.firstMsPerCase ?? Number.NaN, 13)}${fmt(r?.warmMsPerCase ?? Number.NaN, 8)}`;
    });
    console.log(`${id.padEnd(30)} ${cells.join(" ")}`);
  }
}

console.log("");
if (throughput) {
  console.log(`throughput: ${throughput.total} gradings of ${throughput.exercises} light exercises in ${throughput.seconds.toFixed(2)} s = ${throughput.perMinute} gradings/minute with ${config.TFM_GRADER_WORKERS} workers on ${os.cpus().length} cores`);
}
console.log(`peak RSS per worker (VmHWM): ${memory.map((m) => `${m.peakRssMb.toFixed(0)} MB`).join(", ")}`);
const warmHits = warmCache.after.cacheHits - warmCache.before.cacheHits;
const warmMisses = warmCache.after.cacheMisses - warmCache.before.cacheMisses;
console.log(
  `reference cache hit rate: warm phase ${fmt(pct(warmHits, warmMisses), 0)}% (${warmHits} hits, ${warmMisses} misses: public cases hit, each new seed's hidden cases miss), whole pool run ${fmt(pct(poolCache.cacheHits, poolCache.cacheMisses), 0)}%, cold gradings ${fmt(pct(coldCache.hits, coldCache.misses), 0)}%`,
);

const lightRows = rows.filter((r) => !r.heavy);
const worstP50 = lightRows.reduce((m, r) => Math.max(m, r.warm.e2e.p50), 0);
const worstP99 = lightRows.reduce((m, r) => Math.max(m, r.warm.e2e.p99), 0);
// The targets of the performance issue (15), reported, never asserted.
const sdpa = rows.find((r) => r.exercise === "scaled-dot-product-attention");
const firstP50 = summary(firstInProcess.map((f) => f.ms)).p50;
const baselineRatio = median(rows.flatMap((r) => (r.baseline ? [r.baseline.ratio] : [])));
const perMinute = throughput?.perMinute ?? 0;
const goals = {
  sdpaWarmP50: { goal: "warm p50 <= 10 ms for scaled-dot-product-attention", value: sdpa?.warm.e2e.p50 ?? Number.NaN, met: (sdpa?.warm.e2e.p50 ?? Number.POSITIVE_INFINITY) <= 10 },
  warmP50: { goal: "warm p50 <= 15 ms for every light exercise", value: worstP50, met: worstP50 <= 15, over: lightRows.filter((r) => r.warm.e2e.p50 > 15).map((r) => r.exercise) },
  warmP99: { goal: "warm p99 <= 50 ms for every light exercise", value: worstP99, met: worstP99 <= 50, over: lightRows.filter((r) => r.warm.e2e.p99 > 50).map((r) => r.exercise) },
  first: { goal: "first grading in a fresh worker <= 30 ms", value: firstP50, met: firstP50 <= 30 },
  throughput: { goal: ">= 6000 gradings/minute", value: perMinute, met: perMinute >= 6000 },
  baseline: { goal: ">= 10x faster than the process-per-submission baseline", value: baselineRatio, met: baselineRatio >= 10 },
};
console.log("");
for (const g of Object.values(goals)) {
  const over = "over" in g && g.over.length > 0 ? `; over: ${g.over.join(", ")}` : "";
  console.log(`goal: ${g.goal}: ${g.met ? "met" : "NOT met"} (${Number.isFinite(g.value) ? g.value.toFixed(1) : "not measured"}${over})`);
}
for (const r of rows.filter((x) => x.heavy)) console.log(`heavy by design: ${r.exercise}: warm p50 ${r.warm.e2e.p50.toFixed(0)} ms, p99 ${r.warm.e2e.p99.toFixed(0)} ms (${r.tests} tests)`);

mkdirSync(path.dirname(values.out), { recursive: true });
writeFileSync(
  values.out,
  JSON.stringify(
    {
      at: new Date().toISOString(),
      machine: { cores: os.cpus().length, model: os.cpus()[0]?.model ?? null, loadavg: os.loadavg(), node: process.version },
      backend,
      workers: config.TFM_GRADER_WORKERS,
      quick,
      runs,
      heavyRuns,
      coldSamples,
      baselineRuns,
      definitions: {
        warm: "end to end through the pool after 2 warm-up gradings of the exercise, back to back; a new seed and a distinct source text per grading",
        idle: `as warm, with a ${IDLE_GAP_MS} ms pause before each grading (the worker prepares the next isolate while idle)`,
        cold: "first grading of the exercise in a fresh single-worker pool (worker start-up, including the public cases' references, not counted); the process's first grading is excluded (unless only one exercise is benchmarked) and reported as firstInProcess",
        baseline: "the same pipeline in this process with a fresh plain node process per submission instead of an isolate; ratio = process p50 / isolate p50 (both in this process, back to back)",
        heavy: `limits.callTimeoutMs above the default ${DEFAULT_CALL_TIMEOUT_MS} ms (its own limits, not derived from the model's cost)`,
      },
      rows,
      firstInProcess,
      throughput,
      memory,
      referenceCache: {
        warm: { hits: warmHits, misses: warmMisses, rate: pct(warmHits, warmMisses) },
        pool: { hits: poolCache.cacheHits, misses: poolCache.cacheMisses, rate: pct(poolCache.cacheHits, poolCache.cacheMisses) },
        cold: { ...coldCache, rate: pct(coldCache.hits, coldCache.misses) },
      },
      persist,
      referenceStage,
      goals,
    },
    (_k, v) => (typeof v === "number" && !Number.isFinite(v) ? null : v),
    2,
  ),
);
console.log(`wrote ${values.out}`);
if (!allPassed) {
  console.error(`a model solution did not pass during the benchmark:\n${failures.slice(0, 10).join("\n")}`);
  process.exit(1);
}
process.exit(0);
