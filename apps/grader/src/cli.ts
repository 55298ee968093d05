/**
 * Self-learners' grader: npm run grade -- <exercise-id> <file.ts> [--json] [--seed N] [--lang ja|en] [--public]
 * Exit status: 0 passed, 1 not passed, 2 usage or internal error.
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { GradeRequest, type GradeResult } from "@tfm/contract";
import { loadCatalog } from "./catalog.ts";
import { loadConfig } from "./config.ts";
import { applyMutantPatch } from "./mutants.ts";
import { GraderPool } from "./pool.ts";
import { renderReport } from "./report.ts";

const USAGE = `usage: npm run grade -- <exercise-id> <file.ts> [--json] [--seed N] [--lang ja|en] [--public]
  --json     print the result as JSON
  --seed N   seed for the hidden tests (replays a grading exactly)
  --lang     language of the report (default ja)
  --public   run only the public tests`;

function usage(message: string): never {
  process.stderr.write(`${message}\n${USAGE}\n`);
  process.exit(2);
}

async function main(): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: process.argv.slice(2),
      allowPositionals: true,
      options: {
        json: { type: "boolean", default: false },
        seed: { type: "string" },
        lang: { type: "string", default: "ja" },
        public: { type: "boolean", default: false },
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
  const [exerciseId, file, ...rest] = parsed.positionals;
  if (exerciseId === undefined || file === undefined) usage("missing <exercise-id> or <file.ts>");
  if (rest.length > 0) usage(`unexpected arguments: ${rest.join(" ")}`);
  let source: string;
  try {
    source = readFileSync(file, "utf8");
  } catch (e) {
    usage(`cannot read ${file}: ${(e as Error).message}`);
  }
  // A pitfall mutant is a patch against the exercise's model solution: grade the wrong solution it makes.
  if (file.endsWith(".patch")) {
    const entry = loadCatalog().exercises.get(exerciseId);
    if (entry === undefined) usage(`unknown exercise ${exerciseId}`);
    try {
      source = applyMutantPatch(readFileSync(entry.solutionPath, "utf8"), source, file);
    } catch (e) {
      usage((e as Error).message);
    }
  }
  const seedText = parsed.values.seed;
  if (seedText !== undefined && !/^\d+$/.test(seedText)) usage(`--seed must be a non-negative integer, got '${seedText}'`);
  const request = GradeRequest.safeParse({
    exerciseId,
    source,
    ...(seedText !== undefined ? { seed: Number(seedText) } : {}),
    lang: parsed.values.lang,
    scope: parsed.values.public ? "public" : "all",
  });
  if (!request.success) usage(request.error.issues.map((i) => `${i.path.join(".") || "request"}: ${i.message}`).join("\n"));

  const config = loadConfig();
  const catalog = loadCatalog(config.TFM_EXERCISES_DIR, config.TFM_REFERENCE_DIR);
  if (!catalog.exercises.has(request.data.exerciseId)) {
    usage(`unknown exercise '${request.data.exerciseId}'. Known: ${[...catalog.exercises.keys()].join(", ")}`);
  }
  const pool = new GraderPool({ size: 1, catalog });
  let result: GradeResult;
  try {
    await pool.start();
    result = await pool.grade(request.data);
  } finally {
    await pool.close();
  }
  const lang = request.data.lang;
  process.stdout.write(parsed.values.json ? `${JSON.stringify(result, null, 2)}\n` : `${renderReport(result, lang)}\n`);
  if (result.verdict === "passed") return 0;
  if (result.verdict === "internal_error") return 2;
  return 1;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`grader error: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(2);
  },
);
