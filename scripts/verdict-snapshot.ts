/**
 * Every exercise's model solution and pitfall mutants, graded with fixed seeds, one JSON line each:
 * the verdict, the score, every test's status, pitfall and message, and the summary.
 *   npm run verdicts > before.jsonl          (then, on the changed code)
 *   npm run verdicts > after.jsonl && diff before.jsonl after.jsonl
 *   [--seeds 11,12345] [--exercise id ...]
 * Speed work must not change one verdict (issue 15): run it on both versions of the code and compare.
 * In process, through gradeSubmission, as a worker grades.
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { initBackend } from "@tfm/reference";
import { loadCatalogForCommand } from "../apps/grader/src/catalog.ts";
import { gradeSubmission } from "../apps/grader/src/grade.ts";
import { loadMutants } from "../apps/grader/src/mutants.ts";
import { ReferenceCache } from "../apps/grader/src/reference-cache.ts";

const { values } = parseArgs({ options: { seeds: { type: "string", default: "11,12345" }, exercise: { type: "string", multiple: true } } });
const seeds = (values.seeds ?? "").split(",").map(Number);
if (seeds.length === 0 || seeds.some((s) => !Number.isInteger(s) || s < 0 || s > 0xffffffff)) {
  console.error(`--seeds must be integers from 0 to 4294967295, separated by commas (got '${values.seeds}') / --seeds には 0 以上 4294967295 以下の整数をカンマ区切りで指定してください`);
  process.exit(2);
}
const catalog = loadCatalogForCommand(values.exercise);
const backend = await initBackend();
const references = new ReferenceCache();
for (const e of catalog.exercises.values()) {
  if (values.exercise !== undefined && !values.exercise.includes(e.meta.id)) continue;
  const submissions: [string, string][] = [["solution", readFileSync(e.solutionPath, "utf8")], ...loadMutants(e).map((m): [string, string] => [m.pitfall, m.source])];
  for (const [name, source] of submissions) {
    for (const seed of seeds) {
      const r = await gradeSubmission({ exerciseId: e.meta.id, source, seed, scope: "all", lang: "en" }, { catalog, backend, references });
      const tests = r.tests.map((t) => `${t.id}:${t.status}:${t.pitfall?.id ?? ""}`);
      // The messages too: a pitfall's note ("consistent with any of ...") is part of the diagnosis.
      const messages = r.tests.map((t) => t.message.en);
      console.log(JSON.stringify({ exercise: e.meta.id, submission: name, seed, verdict: r.verdict, score: r.score, tests, messages, summary: r.summary.en }));
    }
  }
}
