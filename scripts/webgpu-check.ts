/**
 * The references on webgpu, checked and timed in one run (scripts/device-check.sh runs it on the
 * lent GPU machine; it also runs here on Mesa's software adapter with TFM_TF_BACKEND=webgpu):
 *
 *   node --no-node-snapshot --import tsx scripts/webgpu-check.ts [--out DIR] [--runs N] [--require-hardware] [--smoke] [exercise-id ...]
 *
 * 1. The backend the ladder picks (with a hardware adapter the default ladder takes webgpu).
 * 2. Oracle agreement: every golden case of every covered exercise, computed on webgpu, judged
 *    against the PyTorch golden within the exercise's tolerance (as test/oracle.test.ts does).
 * 3. Backend agreement: the same cases on wasm, compared with webgpu within the tolerance (as
 *    test/backends.test.ts does).
 * 4. The reference stage per backend: per exercise, the first pass over its cases (shader
 *    compilation included on webgpu) and the best of the warm passes, in ms per case.
 *
 * Writes DIR/webgpu-agreement.md (appended by device-check.sh to oracle/results/gpu-agreement.md)
 * and DIR/webgpu-bench.json. Exit status 1 when any case disagrees or the adapter is not hardware
 * under --require-hardware.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { type WireValue, isWireTensor } from "@tfm/contract";
import { loadCatalog } from "@tfm/grader/catalog";
import { compareValues } from "@tfm/grader/compare";
import { loadRuntime } from "@tfm/grader/runtime";
import { availableBackends, initBackendInfo, tf } from "@tfm/reference";
import { decodeWire, instanceKey, oracleCases } from "../oracle/cases.ts";
import { judgeReference, loadGolden, loadIndex } from "../oracle/golden.ts";

const { values, positionals } = parseArgs({
  args: process.argv.slice(2),
  allowPositionals: true,
  options: {
    out: { type: "string", default: "bench-results" },
    "require-hardware": { type: "boolean", default: false },
    runs: { type: "string", default: "3" },
    // One case per exercise: a quick run that loads every module the full one needs (the packing step traces it).
    smoke: { type: "boolean", default: false },
  },
});
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1 || runs > 20) throw new Error(`--runs must be an integer from 1 to 20, got '${values.runs}'`);

const info = await initBackendInfo();
const { webgpu } = await availableBackends();
console.log(`ladder picked: ${info.label}`);
for (const s of info.skipped) console.log(`  passed over ${s.rung}: ${s.reason}`);
if ("reason" in webgpu) {
  console.error(`webgpu is not available: ${webgpu.reason}`);
  process.exit(1);
}
const adapter = webgpu.adapter;
if (values["require-hardware"] && (adapter.software || info.name !== "webgpu")) {
  console.error(`expected the default ladder to take webgpu on a hardware adapter; got ${info.label} (webgpu adapter: ${adapter.label})`);
  process.exit(1);
}

const catalog = loadCatalog();
const index = loadIndex();
const wanted = new Set(positionals);
const covered = Object.keys(index.covered).filter((id) => wanted.size === 0 || wanted.has(id));
const unknown = [...wanted].filter((id) => index.covered[id] === undefined);
if (unknown.length > 0) throw new Error(`not covered by the oracle: ${unknown.join(", ")}`);

/** Largest |a - e| over every number of two wire values of the same structure (NaN where one side is NaN alone). */
function maxAbs(expected: WireValue, actual: WireValue): number {
  if (isWireTensor(expected) && isWireTensor(actual)) {
    const e = expected.$tensor.data;
    const a = actual.$tensor.data;
    let m = 0;
    for (let i = 0; i < Math.min(e.length, a.length); i++) {
      const x = Number(e[i]);
      const y = Number(a[i]);
      if (Number.isNaN(x) && Number.isNaN(y)) continue;
      if (x === y) continue;
      m = Math.max(m, Math.abs(x - y));
    }
    return m;
  }
  if (Array.isArray(expected) && Array.isArray(actual)) return Math.max(0, ...expected.map((e, i) => maxAbs(e, actual[i] ?? null)));
  if (expected !== null && actual !== null && typeof expected === "object" && typeof actual === "object" && !Array.isArray(expected) && !Array.isArray(actual)) {
    const a = actual as Record<string, WireValue>;
    return Math.max(0, ...Object.entries(expected as Record<string, WireValue>).map(([k, e]) => maxAbs(e, a[k] ?? null)));
  }
  if (typeof expected === "number" && typeof actual === "number") return Math.abs(expected - actual);
  return 0;
}

interface Row {
  exercise: string;
  cases: number;
  judged: number;
  failures: string[];
  maxAbsVsGolden: number;
  maxAbsVsWasm: number;
  tolerance: { atol: number; rtol: number };
  ms: Record<string, { firstPassPerCase: number; warmPerCase: number; worstCase: { id: string; ms: number } }>;
  /** Best warm ms of every case, per backend (the slowest column names webgpu's slowest case). */
  perCase: Record<string, Record<string, number>>;
}

const rows: Row[] = [];
let failed = 0;
for (const id of covered) {
  const entry = catalog.exercises.get(id);
  if (entry === undefined) throw new Error(`unknown exercise ${id}`);
  const full = loadGolden(id);
  const golden = values.smoke ? { ...full, cases: full.cases.slice(0, 1) } : full;
  const { reference } = await loadRuntime(entry);
  const args = new Map((await oracleCases(entry)).map((c) => [instanceKey(c), c.args]));
  const row: Row = { exercise: id, cases: golden.cases.length, judged: 0, failures: [], maxAbsVsGolden: 0, maxAbsVsWasm: 0, tolerance: entry.meta.tolerance, ms: {}, perCase: {} };
  const results = new Map<string, Map<string, WireValue>>();
  for (const backend of ["webgpu", "wasm"]) {
    if (!(await tf.setBackend(backend))) throw new Error(`${backend} did not start`);
    const values = new Map<string, WireValue>();
    const perCase = new Map<string, number>();
    let firstPass = 0;
    let bestWarm = Number.POSITIVE_INFINITY;
    for (let pass = 0; pass <= runs; pass++) {
      let total = 0;
      for (const c of golden.cases) {
        const key = instanceKey(c);
        const a = args.get(key);
        if (a === undefined) throw new Error(`${id} ${key}: the spec no longer has this case (run npm run oracle:golden)`);
        const t = performance.now();
        const v = await reference.expected(a);
        const ms = performance.now() - t;
        total += ms;
        if (pass > 0) perCase.set(key, Math.min(perCase.get(key) ?? Number.POSITIVE_INFINITY, ms));
        if (pass === 0) values.set(key, v);
      }
      if (pass === 0) firstPass = total;
      else bestWarm = Math.min(bestWarm, total);
    }
    const worst = [...perCase.entries()].sort((x, y) => y[1] - x[1])[0] ?? ["", 0];
    const n = Math.max(1, golden.cases.length);
    row.perCase[backend] = Object.fromEntries(perCase);
    row.ms[backend] = { firstPassPerCase: firstPass / n, warmPerCase: bestWarm / n, worstCase: { id: worst[0], ms: worst[1] } };
    results.set(backend, values);
  }
  const gpu = results.get("webgpu") ?? new Map<string, WireValue>();
  const cpu = results.get("wasm") ?? new Map<string, WireValue>();
  const opts = { tolerance: entry.meta.tolerance, ...(entry.meta.outputLabels ? { labels: entry.meta.outputLabels } : {}) };
  for (const c of golden.cases) {
    const key = instanceKey(c);
    const value = gpu.get(key) ?? null;
    if (value === null) continue;
    const v = judgeReference(entry, golden.check, c, value);
    if ("skipped" in v && v.skipped !== undefined) continue;
    row.judged++;
    if (!v.ok) row.failures.push(`${key}: against the golden: ${v.message}`);
    const other = cpu.get(key) ?? null;
    const cmp = compareValues(other, value, opts);
    if (!cmp.ok) row.failures.push(`${key}: webgpu vs wasm: ${cmp.message.en}`);
    if (golden.check === "full") row.maxAbsVsGolden = Math.max(row.maxAbsVsGolden, maxAbs(decodeWire(c.expected), value));
    row.maxAbsVsWasm = Math.max(row.maxAbsVsWasm, maxAbs(other, value));
  }
  failed += row.failures.length;
  rows.push(row);
  const ms = row.ms;
  console.log(
    `${id}: ${row.judged}/${row.cases} judged, ${row.failures.length} failures, max abs vs golden ${row.maxAbsVsGolden.toExponential(2)}, vs wasm ${row.maxAbsVsWasm.toExponential(2)}; ` +
      `ms/case webgpu ${ms.webgpu?.firstPassPerCase.toFixed(1)} first, ${ms.webgpu?.warmPerCase.toFixed(2)} warm; wasm ${ms.wasm?.firstPassPerCase.toFixed(1)} first, ${ms.wasm?.warmPerCase.toFixed(2)} warm`,
  );
  for (const f of row.failures.slice(0, 5)) console.log(`  FAIL ${f}`);
}

const fmt = (x: number) => (x === 0 ? "0" : x.toExponential(1));
const lines = [
  `## TensorFlow.js references on ${adapter.label}`,
  "",
  `Produced by \`scripts/webgpu-check.ts\` (${new Date().toISOString().slice(0, 10)}, Node ${process.version}); the ladder picked \`${info.label}\`. ` +
    "Every golden case of each exercise computed by the reference on webgpu, judged against the PyTorch golden and against the same reference on wasm, each within the exercise's tolerance. " +
    `Times: the reference stage alone, ms per case; "first" is the first pass (shader compilation included), "warm" the best of ${runs} later passes.`,
  "",
  "| exercise | cases judged | max abs vs golden | max abs vs wasm | tolerance (atol, rtol) | within tolerance | webgpu first / warm | wasm first / warm | slowest case (webgpu / wasm warm) |",
  "|---|---:|---:|---:|---|---|---:|---:|---|",
  ...rows.map((r) => {
    const g = r.ms.webgpu;
    const w = r.ms.wasm;
    const slow = g?.worstCase.id ?? "";
    const wasmSlow = r.perCase.wasm?.[slow] ?? Number.NaN;
    return `| ${r.exercise} | ${r.judged}/${r.cases} | ${fmt(r.maxAbsVsGolden)} | ${fmt(r.maxAbsVsWasm)} | ${r.tolerance.atol}, ${r.tolerance.rtol} | ${r.failures.length === 0 ? "yes" : `**no (${r.failures.length})**`} | ${g?.firstPassPerCase.toFixed(1)} / ${g?.warmPerCase.toFixed(2)} | ${w?.firstPassPerCase.toFixed(1)} / ${w?.warmPerCase.toFixed(2)} | ${slow} (${g?.worstCase.ms.toFixed(1)} / ${wasmSlow.toFixed(1)} ms) |`;
  }),
  "",
];
mkdirSync(values.out, { recursive: true });
writeFileSync(path.join(values.out, "webgpu-agreement.md"), `${lines.join("\n")}\n`);
writeFileSync(path.join(values.out, "webgpu-bench.json"), `${JSON.stringify({ backend: info, adapter, runs, rows }, null, 1)}\n`);
console.log(`wrote ${path.join(values.out, "webgpu-agreement.md")} and webgpu-bench.json; ${failed} disagreement(s)`);
process.exit(failed === 0 ? 0 : 1);
