/**
 * npm run bench:inproc [-- --exercise id ... | --gradings N | --idle | --quick]
 *
 * The grading alone, in this process (no pool, no IPC, no other worker on the other core): each
 * exercise's model solution graded N times back to back (default 60; --quick 5), each with its own
 * seed and source text, through gradeSubmission and the real Sandbox, on the code cache warmed as a
 * worker warms it. `--idle` prepares the next submission's spare (and waits for it to be booted and
 * warmed) before each grading, as a worker does when it is told nothing waits for it; its preparation
 * is then off the grading's path but counted in the CPU time. Reported per exercise: the process's CPU
 * time per grading (user + system, every thread: the isolates' included; the first quarter of the
 * gradings is warm-up and not counted), the grading's wall-clock p50/p95, and the stages' p50 (`ref` and
 * `compare`: the expected outputs not made while esbuild transpiled, the pitfall variants and the
 * comparisons, visible and hidden sessions together: the host's own work per case). CPU time
 * moves less than wall time with the machine's load, so it is what to compare between two versions of
 * the code (run them alternately). Steadier still is the last column pair, the isolate's own CPU time
 * in the entry point's calls per grading (p10 and p50; the kit, the harness and the submission, as
 * charged: StageTimes.callCpuMs); on a shared machine run it pinned to one core (`taskset -c 1`).
 * Exits non-zero if a model solution does not pass.
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { initBackend } from "@tfm/reference";
import { loadCatalogForCommand } from "../catalog.ts";
import { type StageTimes, gradeSubmission } from "../grade.ts";
import { hasOwnLimits } from "../limits.ts";
import { ReferenceCache } from "../reference-cache.ts";
import { loadRuntime } from "../runtime.ts";
import { bootKeyOf, prepareSpares, sparesSettled } from "../sandbox/sandbox.ts";
import { warmKitCodeCache } from "../sandbox/warm-cache.ts";
import { percentile, summary } from "./stats.ts";

const { values } = parseArgs({
  options: {
    exercise: { type: "string", multiple: true },
    gradings: { type: "string" },
    idle: { type: "boolean", default: false },
    quick: { type: "boolean", default: false },
  },
});
const n = Number(values.gradings ?? (values.quick ? 5 : 60));
if (!Number.isInteger(n) || n < 4 || n > 100_000) {
  console.error(`--gradings must be an integer from 4 to 100000 (got '${values.gradings}') / --gradings には 4 以上 100000 以下の整数を指定してください`);
  process.exit(2);
}
const catalog = loadCatalogForCommand(values.exercise);
const chosen = [...catalog.exercises.values()].filter((e) => (values.exercise === undefined ? !hasOwnLimits(e.meta.limits) : values.exercise.includes(e.meta.id)));
const backend = await initBackend();
const references = new ReferenceCache();
await warmKitCodeCache(await Promise.all(chosen.map((e) => loadRuntime(e))), 10_000);

console.log(`in-process gradings, ${n} per exercise${values.idle ? ", a spare prepared before each (idle)" : ", back to back"}; reference backend ${backend}`);
console.log(`exercise                        cpu/grading   p50     p95 | transp isolate     kit  hidden     run     ref compare  isolates   shared spares | calls cpu p10   p50`);
let failed = 0;
for (const e of chosen) {
  const source = readFileSync(e.solutionPath, "utf8");
  const wall: number[] = [];
  const stages: StageTimes[] = [];
  const counted = n - Math.floor(n / 4);
  let cpu0: NodeJS.CpuUsage | null = null;
  for (let s = 0; s < n; s++) {
    if (s === n - counted) cpu0 = process.cpuUsage();
    if (values.idle) {
      prepareSpares(bootKeyOf(e.meta));
      await sparesSettled();
    }
    const t = performance.now();
    const r = await gradeSubmission(
      { exerciseId: e.meta.id, source: `${source}\n// in-process ${s}\n`, seed: 5_000 + s, scope: "all", lang: "en" },
      { catalog, backend, references, onStages: (st) => stages.push(st) },
    );
    if (s >= n - counted) wall.push(performance.now() - t);
    if (r.verdict !== "passed") {
      console.error(`${e.meta.id}: the model solution did not pass (${r.verdict}) / 模範解答が合格しませんでした`);
      failed++;
      break;
    }
  }
  // An exercise that stopped early has no figures worth printing.
  if (wall.length < counted) continue;
  const used = process.cpuUsage(cpu0 ?? undefined);
  const cpuPer = (used.user + used.system) / 1000 / counted;
  const p50 = (k: keyof StageTimes) => summary(stages.slice(-counted).map((st) => st[k])).p50;
  const w = summary(wall);
  // The visible and the hidden sessions' references and comparisons together (the host's own work per case).
  const both = (a: keyof StageTimes, b: keyof StageTimes) => summary(stages.slice(-counted).map((st) => st[a] + st[b])).p50;
  const callCpu = stages
    .slice(-counted)
    .map((st) => st.callCpuMs)
    .sort((a, b) => a - b);
  const f = (v: number, w = 7) => v.toFixed(1).padStart(w);
  console.log(
    `${e.meta.id.padEnd(30)} ${f(cpuPer, 9)} ms ${f(w.p50)} ${f(w.p95)} | ${f(p50("transpileMs"), 6)} ${f(p50("isolateMs"))} ${f(p50("kitMs"))} ${f(p50("hiddenMs"))} ${f(p50("runMs"))} ${f(both("referenceMs", "hiddenReferenceMs"))} ${f(both("compareMs", "hiddenCompareMs"))} ${f(p50("isolates"), 9)} ${f(p50("hiddenShared"), 8)} ${f(p50("spares"), 6)} | ${f(percentile(callCpu, 10), 13)} ${f(percentile(callCpu, 50), 5)}`,
  );
}
process.exit(failed > 0 ? 1 : 0);
