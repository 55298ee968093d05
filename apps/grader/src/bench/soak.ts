/**
 * npm run bench:soak [-- --gradings N | --quick | --out file.json]
 *
 * Memory over a long run: N gradings (default 10,000; --quick 400) of the light exercises' model
 * solutions, round robin, each with its own seed and source text, through one pool of
 * TFM_GRADER_WORKERS workers kept busy. Every tenth of the run, each worker's resident memory
 * (VmRSS) and peak (VmHWM) are read from /proc. Reported: the samples, and the growth of each
 * worker's RSS from the first sample after warm-up (10% of the run) to the last, in MB and in MB
 * per 1,000 gradings. A worker that leaks per grading grows steadily; one that does not levels off
 * once its caches (bounded: references 64 MB, transpiles 16 M characters) are full.
 * Exits non-zero only if a model solution did not pass (the growth is reported, never asserted).
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { loadCatalog } from "../catalog.ts";
import { loadConfig } from "../config.ts";
import { hasOwnLimits } from "../limits.ts";
import { REPO_ROOT } from "../paths.ts";
import { GraderPool } from "../pool.ts";

const { values } = parseArgs({
  options: {
    gradings: { type: "string" },
    quick: { type: "boolean", default: false },
    out: { type: "string", default: path.join(REPO_ROOT, "bench-results", "soak.json") },
  },
});
const total = Number(values.gradings ?? (values.quick ? 400 : 10_000));
if (!Number.isInteger(total) || total < 10) {
  console.error(`--gradings must be an integer of at least 10 (got '${values.gradings}') / --gradings には 10 以上の整数を指定してください`);
  process.exit(2);
}

const config = loadConfig();
const catalog = loadCatalog(config.TFM_EXERCISES_DIR, config.TFM_REFERENCE_DIR);
const light = [...catalog.exercises.values()].filter((e) => !hasOwnLimits(e.meta.limits));
const solutions = light.map((e) => ({ id: e.meta.id, source: readFileSync(e.solutionPath, "utf8") }));
const pool = new GraderPool({ size: config.TFM_GRADER_WORKERS, catalog });
await pool.start();

function memoryOf(pid: number): { rssMb: number; peakMb: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? Number.NaN);
    return { rssMb: kb("VmRSS") / 1024, peakMb: kb("VmHWM") / 1024 };
  } catch {
    return { rssMb: Number.NaN, peakMb: Number.NaN };
  }
}

interface Sample {
  gradings: number;
  seconds: number;
  workers: { pid: number; rssMb: number; peakMb: number }[];
}
const samples: Sample[] = [];
const step = Math.max(1, Math.floor(total / 10));
const failures: string[] = [];
let done = 0;
let next = 0;
const t0 = performance.now();
const sample = () => samples.push({ gradings: done, seconds: (performance.now() - t0) / 1000, workers: pool.workerPids().map((pid) => ({ pid, ...memoryOf(pid) })) });
sample();
console.log(`soak: ${total} gradings of ${light.length} light exercises' model solutions through ${pool.stats().size} workers; ${os.cpus().length} cores, load ${os.loadavg().map((l) => l.toFixed(2)).join(" ")}`);
// As many in flight as there are workers, plus one queued each: the workers never wait.
const lanes = Array.from({ length: pool.stats().size * 2 }, async () => {
  while (next < total) {
    const i = next++;
    const s = solutions[i % solutions.length] as { id: string; source: string };
    const r = await pool.grade({ exerciseId: s.id, source: `${s.source}\n// soak ${i}\n`, seed: 90_000 + i });
    if (r.verdict !== "passed" && failures.length < 20) failures.push(`${s.id} (grading ${i}): ${r.verdict}`);
    done++;
    if (done % step === 0) {
      sample();
      const last = samples[samples.length - 1] as Sample;
      console.log(`  ${String(done).padStart(6)} gradings  ${last.seconds.toFixed(1).padStart(7)} s  RSS ${last.workers.map((w) => `${w.rssMb.toFixed(0)} MB`).join(", ")}`);
    }
  }
});
await Promise.all(lanes);
await pool.close();

// Growth from the first sample after warm-up (10% of the run) to the last, per worker.
const base = samples.find((s) => s.gradings >= step) ?? (samples[0] as Sample);
const end = samples[samples.length - 1] as Sample;
const growth = end.workers.map((w) => {
  const b = base.workers.find((x) => x.pid === w.pid);
  const mb = b === undefined ? Number.NaN : w.rssMb - b.rssMb;
  return { pid: w.pid, fromMb: b?.rssMb ?? Number.NaN, toMb: w.rssMb, growthMb: mb, mbPer1000: (mb / Math.max(1, end.gradings - base.gradings)) * 1000, peakMb: w.peakMb };
});
const seconds = (performance.now() - t0) / 1000;
console.log(`done: ${done} gradings in ${seconds.toFixed(1)} s (${Math.round((done / seconds) * 60)}/min)`);
for (const g of growth) {
  console.log(`worker ${g.pid}: RSS ${g.fromMb.toFixed(0)} MB after ${base.gradings} gradings -> ${g.toMb.toFixed(0)} MB after ${end.gradings} (${g.growthMb >= 0 ? "+" : ""}${g.growthMb.toFixed(1)} MB, ${g.mbPer1000.toFixed(2)} MB per 1,000 gradings); peak ${g.peakMb.toFixed(0)} MB`);
}
mkdirSync(path.dirname(values.out), { recursive: true });
writeFileSync(values.out, `${JSON.stringify({ at: new Date().toISOString(), total, seconds, samples, growth, failures }, null, 2)}\n`);
console.log(`wrote ${values.out}`);
if (failures.length > 0) {
  console.error(`model solutions that did not pass / 合格しなかった模範解答:\n  ${failures.join("\n  ")}`);
  process.exit(1);
}
