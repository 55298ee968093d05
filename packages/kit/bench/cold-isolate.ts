/**
 * The kit's cost in a fresh isolate, as the grader pays it: for each exercise, its model solution
 * in a new grader Sandbox per round (isolate, kit from the shared code cache, boot), then one call
 * of the entry point per public and pitfall case. Prints per exercise the medians over the rounds
 * of the isolate's own CPU time for all calls (`run cpu`: arguments in, the kit's JS, results out)
 * and of their wall time, and the first call's CPU time (the coldest).
 *
 *   node --no-node-snapshot --import tsx packages/kit/bench/cold-isolate.ts [--rounds N] [--warm-cache] [exercise-id ...]
 *
 * --warm-cache first makes the kit's code cache as a grading worker does at start
 * (apps/grader/src/sandbox/warm-cache.ts); without it the cache is the compile-time one.
 *
 * V8 flags are process-wide and reach every isolate: put them on the node command line
 * (`node --no-node-snapshot --always-sparkplug --import tsx ...`) and compare runs made back to
 * back. CPU time is the isolate's own (isolated-vm's cpuTime), so it is less disturbed than wall
 * time by other processes on a busy machine, though not immune (caches, frequency).
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { loadCatalog } from "@tfm/grader/catalog";
import { loadConfig } from "@tfm/grader/config";
import { hasOwnLimits } from "@tfm/grader/limits";
import { loadRuntime } from "@tfm/grader/runtime";
import { Sandbox } from "@tfm/grader/sandbox/sandbox";
import { transpile } from "@tfm/grader/transpile";
import { warmKitCodeCache } from "@tfm/grader/sandbox/warm-cache";
import { Rng, deriveSeed } from "@tfm/spec";

const { values, positionals } = parseArgs({
  options: { rounds: { type: "string", default: "15" }, "warm-cache": { type: "boolean", default: false } },
  allowPositionals: true,
});
const rounds = Number(values.rounds);
if (!Number.isInteger(rounds) || rounds < 1) throw new Error("--rounds must be a positive integer");

const config = loadConfig();
const catalog = loadCatalog(config.TFM_EXERCISES_DIR, config.TFM_REFERENCE_DIR);
for (const id of positionals) if (!catalog.exercises.has(id)) throw new Error(`unknown exercise '${id}'`);
const entries = [...catalog.exercises.values()].filter((e) =>
  positionals.length > 0 ? positionals.includes(e.meta.id) : !hasOwnLimits(e.meta.limits),
);

if (values["warm-cache"]) {
  // As a worker does at start: the kit's code cache made after the model solutions ran once.
  const w = await warmKitCodeCache(await Promise.all([...catalog.exercises.values()].map((e) => loadRuntime(e))));
  console.log(`warm code cache: ${w.exercises} exercises in ${w.ms.toFixed(0)} ms (shared: ${w.shared})`);
}

const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? Number.NaN : (s[(s.length - 1) >> 1]! + s[s.length >> 1]!) / 2;
};
const f = (x: number, w = 8) => x.toFixed(2).padStart(w);

const flags = process.execArgv.filter((a) => a.startsWith("--") && a !== "--import" && a !== "--no-node-snapshot");
console.log(`node ${process.version}; V8 flags: ${flags.join(" ") || "(none)"}; ${rounds} rounds per exercise after 1 warm-up round`);
console.log(`${"exercise".padEnd(30)} ${"calls".padStart(5)} ${"run cpu".padStart(8)} ${"run wall".padStart(8)} ${"1st cpu".padStart(8)} ${"boot".padStart(8)}`);
let sumCpu = 0;
let sumWall = 0;
for (const e of entries) {
  const runtime = await loadRuntime(e);
  const compiled = await transpile(readFileSync(e.solutionPath, "utf8"));
  if (!compiled.ok) throw new Error(`${e.meta.id}: the model solution does not compile`);
  const cases = runtime.spec.cases.filter((c) => c.kind !== "hidden").map((c) => c.make({ rng: new Rng(deriveSeed(0, c.id)) }));
  const cpu: number[] = [];
  const wall: number[] = [];
  const first: number[] = [];
  const boot: number[] = [];
  for (let r = 0; r <= rounds; r++) {
    const t0 = performance.now();
    const sb = await Sandbox.create({ memoryMb: e.meta.limits.memoryMb, withheld: e.meta.withheld, consoleBytes: 4096, resultBytes: e.meta.limits.resultBytes, seed: 1 });
    const t1 = performance.now();
    const loaded = await sb.load(compiled.code, 5_000);
    if (!loaded.ok) throw new Error(`${e.meta.id}: load failed: ${loaded.error.message}`);
    const c0 = sb.cpuMs();
    const w0 = performance.now();
    let c1 = c0;
    for (let i = 0; i < cases.length; i++) {
      const out = await sb.call(e.meta.entry, cases[i]!, 10_000);
      if (!out.ok && out.kind !== "runtime") throw new Error(`${e.meta.id}: call ${i}: ${out.kind} ${out.error.message}`);
      if (i === 0) c1 = sb.cpuMs();
    }
    const w1 = performance.now();
    const c2 = sb.cpuMs();
    sb.dispose();
    if (r === 0) continue;
    cpu.push(c2 - c0);
    wall.push(w1 - w0);
    first.push(c1 - c0);
    boot.push(t1 - t0);
  }
  sumCpu += median(cpu);
  sumWall += median(wall);
  console.log(`${e.meta.id.padEnd(30)} ${String(cases.length).padStart(5)} ${f(median(cpu))} ${f(median(wall))} ${f(median(first))} ${f(median(boot))}`);
}
console.log(`sum over ${entries.length} exercises: run cpu ${sumCpu.toFixed(1)} ms, run wall ${sumWall.toFixed(1)} ms`);
process.exit(0);
