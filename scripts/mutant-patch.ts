/**
 * Writes a pitfall mutant as a patch against the model solution:
 *   node --import tsx scripts/mutant-patch.ts <exercise-id> <pitfall-id> <wrong-solution.ts>
 * writes exercises/<id>/mutants/<pitfall-id>.patch (the unified diff, 2 lines of context).
 * With `--all`, converts every exercises/<id>/mutants/<pitfall>.ts into a patch and deletes it.
 */
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { createTwoFilesPatch } from "diff";
import { applyMutantPatch } from "../apps/grader/src/mutants.ts";

const ROOT = path.resolve(import.meta.dirname, "..");

function write(exercise: string, pitfall: string, wrong: string): string {
  const dir = path.join(ROOT, "exercises", exercise);
  const solution = readFileSync(path.join(dir, "solution.ts"), "utf8");
  const patch = createTwoFilesPatch("solution.ts", "solution.ts", solution, wrong, undefined, undefined, { context: 2 })
    // Drop the "Index:" and "=====" lines createTwoFilesPatch puts first: a plain unified diff remains.
    .replace(/^Index: .*\n=+\n/, "");
  const file = path.join(dir, "mutants", `${pitfall}.patch`);
  if (applyMutantPatch(solution, patch, file) !== wrong) throw new Error(`${file}: the patch does not reproduce the wrong solution`);
  writeFileSync(file, patch);
  return file;
}

const [first, pitfall, wrongPath] = process.argv.slice(2);
if (first === "--all") {
  for (const exercise of readdirSync(path.join(ROOT, "exercises"))) {
    const mutants = path.join(ROOT, "exercises", exercise, "mutants");
    if (!existsSync(mutants)) continue;
    for (const f of readdirSync(mutants).filter((n) => n.endsWith(".ts"))) {
      const ts = path.join(mutants, f);
      const out = write(exercise, f.replace(/\.ts$/, ""), readFileSync(ts, "utf8"));
      rmSync(ts);
      console.log(path.relative(ROOT, out));
    }
  }
} else if (first !== undefined && pitfall !== undefined && wrongPath !== undefined) {
  console.log(path.relative(ROOT, write(first, pitfall, readFileSync(wrongPath, "utf8"))));
} else {
  console.error("usage: scripts/mutant-patch.ts <exercise-id> <pitfall-id> <wrong-solution.ts> | --all");
  process.exit(2);
}
