/**
 * Per-exercise time limits from the model solutions' measured cost (apps/grader/src/limits.ts):
 *   npm run limits              measure and print; exit 1 if a limit as this machine applies it (the
 *                               committed one, scaled by this machine's calibration) is under 10x what
 *                               a model solution now costs (the margin the rule's 25x leaves has gone)
 *   npm run limits -- --write   measure, write exercises/model-cost.json, each exercise.json's limits and
 *                               exercises/calibration.json (this machine's calibration: the reference
 *                               that graders on slower machines scale their limits by)
 *   npm run limits -- --write-calibration
 *                               keep the committed limits and make this machine their reference: write
 *                               only exercises/calibration.json (the margins are printed as above)
 *   [--samples N] [--exercise id ...]
 * Measured as the worker grades: in-process, the kit's code cache warmed as at worker start, each
 * grading in fresh isolates (visible and hidden), the CPU time the isolate was charged for every load
 * and call (Sandbox.lastCpuMs). Run it on a quiet machine.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { initBackend } from "@tfm/reference";
import { loadCatalog } from "../apps/grader/src/catalog.ts";
import { gradeSubmission } from "../apps/grader/src/grade.ts";
import { CALIBRATION_FILE, type Calibration, measureCalibration, readCalibration } from "../apps/grader/src/calibration.ts";
import { CALIBRATION_SAMPLES, type ModelCost, derivedLimits, hasOwnLimits, limitScaleFor, scaledLimits } from "../apps/grader/src/limits.ts";
import { REPO_ROOT } from "../apps/grader/src/paths.ts";
import { ReferenceCache } from "../apps/grader/src/reference-cache.ts";
import { loadRuntime } from "../apps/grader/src/runtime.ts";
import { Sandbox, type SandboxFactory, type SubmissionSandbox } from "../apps/grader/src/sandbox/sandbox.ts";
import { warmKitCodeCache } from "../apps/grader/src/sandbox/warm-cache.ts";

const { values } = parseArgs({
  options: {
    write: { type: "boolean", default: false },
    "write-calibration": { type: "boolean", default: false },
    samples: { type: "string", default: "8" },
    exercise: { type: "string", multiple: true },
  },
});
const samples = Number(values.samples);
if (!Number.isInteger(samples) || samples < 1) {
  console.error(`--samples must be a positive integer (got '${values.samples}') / --samples には正の整数を指定してください`);
  process.exit(2);
}

const COST_FILE = path.join(REPO_ROOT, "exercises", "model-cost.json");
const CALIBRATION_ROUNDS = 5;
const catalog = loadCatalog();
const backend = await initBackend();
const references = new ReferenceCache();
const light = [...catalog.exercises.values()].filter((e) => !hasOwnLimits(e.meta.limits) && (values.exercise === undefined || values.exercise.includes(e.meta.id)));
await warmKitCodeCache(await Promise.all(light.map((e) => loadRuntime(e))), 10_000);
// This machine's calibration, on the warmed code cache, as a worker measures it (calibration.ts), five
// times: the median is what a worker here typically gets. With it, the factor a worker here applies to
// the committed limits (1 for the machine being made the reference: its margins are checked unscaled).
const rounds: number[] = [];
for (let i = 0; i < CALIBRATION_ROUNDS; i++) {
  const ms = await measureCalibration();
  if (ms !== null) rounds.push(ms);
}
if (rounds.length < CALIBRATION_ROUNDS) throw new Error("the calibration workload did not run / 較正用の処理が実行できませんでした");
const calibrationMs = rounds.sort((a, b) => a - b)[Math.floor(rounds.length / 2)] as number;
const reference = readCalibration(path.join(REPO_ROOT, "exercises"));
const scaleHere = values["write-calibration"] || reference === null ? 1 : limitScaleFor(calibrationMs, reference.warmStepCpuMs);
console.log(
  `calibration: ${calibrationMs.toFixed(2)} ms here (median of ${rounds.map((ms) => ms.toFixed(2)).join(", ")}), ${values["write-calibration"] ? "to be the reference" : reference === null ? "none committed" : `${reference.warmStepCpuMs.toFixed(2)} ms committed`}: light exercises' call limits x${scaleHere} on this machine`,
);

/**
 * Sandbox.create, recording every load's and call's CPU time. The wrapper has no beginHidden, so every
 * hidden session runs in a fresh isolate here, cold: a grader's hidden calls run warm in the visible
 * session's context, so this measures the costlier case.
 */
function recording(into: number[]): SandboxFactory {
  return async (options) => {
    const sb = await Sandbox.create(options);
    const wrap: SubmissionSandbox = {
      get setup() {
        return sb.setup;
      },
      get disposed() {
        return sb.disposed;
      },
      get lastCpuMs() {
        return sb.lastCpuMs;
      },
      load: async (code, timeoutMs) => {
        const out = await sb.load(code, timeoutMs);
        into.push(sb.lastCpuMs);
        return out;
      },
      call: async (entry, args, timeoutMs) => {
        const out = await sb.call(entry, args, timeoutMs);
        into.push(sb.lastCpuMs);
        return out;
      },
      drainConsole: () => sb.drainConsole(),
      dispose: () => sb.dispose(),
    };
    return wrap;
  };
}

const committed: Record<string, ModelCost> = existsSync(COST_FILE) ? JSON.parse(readFileSync(COST_FILE, "utf8")) : {};
const measured: Record<string, ModelCost> = {};
let shrunk = 0;
console.log(`exercise                       max call  grading   samples | call limit  submission limit | committed call limit`);
for (const e of light) {
  const source = readFileSync(e.solutionPath, "utf8");
  let maxCall = 0;
  let maxGrading = 0;
  for (let s = 0; s < samples; s++) {
    const cpu: number[] = [];
    const r = await gradeSubmission(
      { exerciseId: e.meta.id, source: `${source}\n// sample ${s}\n`, seed: 1_000 + s, scope: "all", lang: "en" },
      { catalog, backend, references, sandboxes: recording(cpu) },
    );
    if (r.verdict !== "passed") throw new Error(`${e.meta.id}: the model solution did not pass (${r.verdict}) / 模範解答が合格しませんでした`);
    maxCall = Math.max(maxCall, ...cpu);
    maxGrading = Math.max(maxGrading, cpu.reduce((a, b) => a + b, 0));
  }
  const cost: ModelCost = { maxCallCpuMs: round(maxCall), gradingCpuMs: round(maxGrading), samples };
  measured[e.meta.id] = cost;
  const limits = derivedLimits(cost);
  // The margin a worker on this machine has: the committed limit as it scales it.
  const applied = scaledLimits(e.meta.limits, scaleHere).callTimeoutMs;
  const margin = applied / Math.max(cost.maxCallCpuMs, 0.01);
  if (margin < 10) shrunk++;
  console.log(
    `${e.meta.id.padEnd(30)} ${cost.maxCallCpuMs.toFixed(2).padStart(8)} ${cost.gradingCpuMs.toFixed(1).padStart(8)} ${String(samples).padStart(9)} | ${String(limits.callTimeoutMs).padStart(10)} ${String(limits.wallTimeoutMs).padStart(17)} | ${e.meta.limits.callTimeoutMs}${applied === e.meta.limits.callTimeoutMs ? "" : ` -> ${applied} here`} (${margin.toFixed(0)}x now)`,
  );
}

if (values.write) {
  const merged = { ...committed, ...measured };
  const ordered = Object.fromEntries(Object.keys(merged).sort().map((k) => [k, merged[k]]));
  writeFileSync(COST_FILE, `${JSON.stringify(ordered, null, 2)}\n`);
  for (const id of Object.keys(measured)) {
    const file = path.join(REPO_ROOT, "exercises", id, "exercise.json");
    const text = readFileSync(file, "utf8");
    const limits = derivedLimits(measured[id] as ModelCost);
    // Only the two numbers change: the file's own layout stays.
    const next = text
      .replace(/("callTimeoutMs":\s*)\d+/, `$1${limits.callTimeoutMs}`)
      .replace(/("wallTimeoutMs":\s*)\d+/, `$1${limits.wallTimeoutMs}`);
    if (next !== text) writeFileSync(file, next);
  }
  // The reference for every grader's calibration: measured here, with the costs the limits came from
  // (only when every light exercise was measured: a partial run keeps other machines' costs).
  if (values.exercise === undefined) writeCalibration();
  else console.log(`${CALIBRATION_FILE} left as it is: only some exercises were measured`);
  console.log(`wrote ${path.relative(REPO_ROOT, COST_FILE)} and the limits of ${Object.keys(measured).length} exercise(s)`);
} else if (values["write-calibration"]) {
  if (values.exercise !== undefined) {
    console.error(`${CALIBRATION_FILE} not written: every light exercise must be measured (no --exercise)`);
    process.exit(1);
  }
  writeCalibration();
  if (shrunk > 0) console.log(`note: ${shrunk} committed limit(s) leave under 10x here; \`npm run limits\` will say so until the limits are re-derived (--write)`);
} else if (shrunk > 0) {
  console.error(`${shrunk} exercise(s) now cost more than a tenth of their call limit as applied here: re-measure on a quiet machine and run with --write`);
  process.exit(1);
}

/** This machine's calibration as the reference every grader scales its limits by (calibration.ts). */
function writeCalibration(): void {
  const calibration: Calibration = { warmStepCpuMs: round(calibrationMs), samples: CALIBRATION_SAMPLES * CALIBRATION_ROUNDS };
  const file = path.join(REPO_ROOT, "exercises", CALIBRATION_FILE);
  writeFileSync(file, `${JSON.stringify(calibration, null, 2)}\n`);
  console.log(`wrote ${path.relative(REPO_ROOT, file)}: ${calibration.warmStepCpuMs} ms`);
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}
