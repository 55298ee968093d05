/**
 * npm run mutate [-- <exercise-id> ...] [--sample N] [--seed N] [--workers N] [--json file] [--list]
 * Mutates each model solution and grades every mutant through the grading pool; prints the mutation
 * score per exercise. Exit status: 0 every exercise at or above the floor, 1 below it, 2 usage error.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { loadCatalog } from "../catalog.ts";
import { loadConfig } from "../config.ts";
import { GraderPool } from "../pool.ts";
import { MUTATION_FLOOR, MUTATION_SEED, formatScores, mutantsOf, runMutation } from "./engine.ts";

const USAGE = `usage: npm run mutate [-- <exercise-id> ...] [--sample N] [--seed N] [--workers N] [--json FILE] [--list]
  --sample N   grade only N mutants per exercise (drawn with --sample-seed), all by default
  --seed N     seed of the hidden tests (default ${MUTATION_SEED})
  --workers N  grading processes (default: TFM_GRADER_WORKERS or the number of cores)
  --json FILE  also write every mutant's result as JSON (default .mutation/report.json)
  --list       print the mutants without grading them`;

function usage(message: string): never {
  process.stderr.write(`${message}\n${USAGE}\n`);
  process.exit(2);
}

function intOption(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v)) usage(`--${name} must be a non-negative integer, got '${v}'`);
  return Number(v);
}

async function main(): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: process.argv.slice(2),
      allowPositionals: true,
      options: {
        sample: { type: "string" },
        "sample-seed": { type: "string" },
        seed: { type: "string" },
        workers: { type: "string" },
        json: { type: "string", default: ".mutation/report.json" },
        list: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
    });
  } catch (e) {
    usage((e as Error).message);
  }
  if (parsed.values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const config = loadConfig();
  const catalog = loadCatalog(config.TFM_EXERCISES_DIR, config.TFM_REFERENCE_DIR);
  const ids = parsed.positionals.length > 0 ? parsed.positionals : [...catalog.exercises.keys()];
  for (const id of ids) if (!catalog.exercises.has(id)) usage(`unknown exercise '${id}'. Known: ${[...catalog.exercises.keys()].join(", ")}`);
  if (parsed.values.list) {
    for (const entry of ids.flatMap((id) => catalog.exercises.get(id) ?? [])) {
      for (const m of mutantsOf(entry)) process.stdout.write(`${entry.meta.id}\t${m.id}\n`);
    }
    return 0;
  }
  const workers = intOption("workers", parsed.values.workers) ?? config.TFM_GRADER_WORKERS;
  const sample = intOption("sample", parsed.values.sample);
  const sampleSeed = intOption("sample-seed", parsed.values["sample-seed"]);
  const seed = intOption("seed", parsed.values.seed) ?? MUTATION_SEED;
  const pool = new GraderPool({ size: workers, catalog, queueLimit: 100_000 });
  const started = performance.now();
  let scores;
  try {
    await pool.start();
    scores = await runMutation({
      catalog,
      grade: (r) => pool.grade(r),
      exerciseIds: ids,
      seed,
      concurrency: workers * 2,
      ...(sample !== undefined ? { sample } : {}),
      ...(sampleSeed !== undefined ? { sampleSeed } : {}),
      onMutant: (id, r, done, total) => {
        if (process.stderr.isTTY) process.stderr.write(`\r${id} ${done}/${total} `);
        if (r.status === "survived") process.stderr.write(`\n  survived: ${id} ${r.id}\n`);
      },
    });
  } finally {
    await pool.close();
  }
  const seconds = (performance.now() - started) / 1000;
  process.stdout.write(`\nmutation score per exercise (floor ${MUTATION_FLOOR * 100}% of non-equivalent mutants killed; seed ${seed}; ${workers} workers; ${seconds.toFixed(0)} s)\n`);
  process.stdout.write(`${formatScores(scores)}\n`);
  const out = path.resolve(parsed.values.json);
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify({ seed, floor: MUTATION_FLOOR, sample: sample ?? null, seconds, scores }, null, 2)}\n`);
  process.stdout.write(`wrote ${out}\n`);
  return scores.every((s) => s.passesFloor) ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(2);
  },
);
