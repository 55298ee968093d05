import { existsSync, readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import type { Verdict } from "@tfm/contract";
import { applyPatch } from "diff";
import type { CatalogEntry } from "./catalog.ts";

/**
 * A pitfall mutant is a small unified diff against the exercise's model solution,
 * `mutants/<pitfall-id>.patch`, so a reader sees the one mistake in a few lines. It is applied when
 * read; a patch that no longer applies (the solution changed under it) is an error, never skipped.
 */
export interface Mutant {
  pitfall: string;
  /** Path of the patch, relative to the exercise folder. */
  file: string;
  patch: string;
  /** The model solution with the patch applied: the wrong solution that is graded. */
  source: string;
  /** The verdict it must get: `failed` unless the patch adds a line `// expect-verdict: <verdict>`. */
  expectVerdict: Verdict;
}

export class MutantPatchError extends Error {
  override name = "MutantPatchError";
}

const SUFFIX = ".patch";

/** The pitfall ids that have a patch in the exercise's mutants folder, sorted. */
export function mutantIds(entry: CatalogEntry): string[] {
  return mutantIdsIn(entry.dir);
}

export function mutantIdsIn(exerciseDir: string): string[] {
  const dir = path.join(exerciseDir, "mutants");
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith(SUFFIX))
    .map((f) => f.slice(0, -SUFFIX.length))
    .sort();
}

export function applyMutantPatch(solution: string, patch: string, where: string): string {
  const out = applyPatch(solution, patch);
  if (out === false) throw new MutantPatchError(`${where} no longer applies to solution.ts: regenerate it (scripts/mutant-patch.ts)`);
  if (out === solution) throw new MutantPatchError(`${where} changes nothing`);
  return out;
}

/** The wrong solution of `exercises/<id>/mutants/<pitfall>.patch`, given the exercise folder. */
export function mutantSourceIn(exerciseDir: string, pitfall: string): string {
  const file = `mutants/${pitfall}${SUFFIX}`;
  const patch = readFileSync(path.join(exerciseDir, file), "utf8");
  return applyMutantPatch(readFileSync(path.join(exerciseDir, "solution.ts"), "utf8"), patch, `${path.basename(exerciseDir)}/${file}`);
}

export function loadMutant(entry: CatalogEntry, pitfall: string): Mutant {
  const file = `mutants/${pitfall}${SUFFIX}`;
  const patch = readFileSync(path.join(entry.dir, file), "utf8");
  const source = applyMutantPatch(readFileSync(entry.solutionPath, "utf8"), patch, `${entry.meta.id}/${file}`);
  const m = /\/\/\s*expect-verdict:\s*([a-z_]+)/.exec(source);
  return { pitfall, file, patch, source, expectVerdict: (m?.[1] as Verdict | undefined) ?? "failed" };
}

export function loadMutants(entry: CatalogEntry): Mutant[] {
  return mutantIds(entry).map((p) => loadMutant(entry, p));
}
