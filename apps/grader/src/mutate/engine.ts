/**
 * Mutation testing of the model solutions: every mutant of an exercise's solution.ts is graded as an
 * ordinary submission (real transpile, real sandbox, full test set, fixed seed); a mutant is killed
 * when it does not pass. Survivors must be listed, with a reason, in the exercise's
 * mutation-equivalents.json; an entry that no longer names a surviving mutant is stale and fails.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import type { GradeRequest, GradeResult } from "@tfm/contract";
import { z } from "zod";
import { Rng } from "@tfm/spec";
import type { Catalog, CatalogEntry } from "../catalog.ts";
import { type Mutant, applyMutant, generateMutants } from "./mutators.ts";

/** At least this share of the non-equivalent, compiling mutants of every exercise must be killed. */
export const MUTATION_FLOOR = 0.98;
export const MUTATION_SEED = 7;
export const EQUIVALENTS_FILE = "mutation-equivalents.json";

const Reason = z.object({ ja: z.string().min(10), en: z.string().min(10) }).strict();
export const EquivalentsFile = z.record(z.string().min(1), z.object({ reason: Reason }).strict());
export type EquivalentsFile = z.infer<typeof EquivalentsFile>;

export type MutantStatus =
  /** Graded and not passed: a test caught it. */
  | "killed"
  /** Passed every test and is not listed as equivalent: a test is missing. */
  | "survived"
  /** Passed every test and is listed as equivalent, with its reason. */
  | "equivalent"
  /** Listed as equivalent but a test catches it: the entry is stale. */
  | "stale-equivalent"
  /** The mutated source does not transpile: not graded, counted apart. */
  | "compile-error"
  /** The grader itself failed (internal_error): neither killed nor survived. */
  | "grader-error";

export interface MutantResult {
  id: string;
  mutator: Mutant["mutator"];
  line: number;
  status: MutantStatus;
  verdict: GradeResult["verdict"] | null;
  /** Failing tests, as `id (kind)`. */
  failing: string[];
  /** Killed by a public or pitfall case, which run on every grading whatever the seed. */
  killedByAlwaysRun: boolean;
  /** Killed, not by a public or pitfall case, but by an invariant (always run, on drawn inputs). */
  killedByInvariant: boolean;
  reason?: { ja: string; en: string };
}

export interface ExerciseScore {
  exerciseId: string;
  generated: number;
  graded: number;
  killed: number;
  /** Killed only by hidden cases (random draws): no always-run test sees it. */
  killedOnlyByHidden: number;
  /** Killed by an invariant (always run, on drawn inputs) but by no public or pitfall case. */
  killedOnlyByInvariants: number;
  survived: number;
  equivalent: number;
  staleEquivalents: string[];
  compileErrors: number;
  graderErrors: number;
  /** killed / (graded - equivalent), 1 when there is nothing to kill. */
  score: number;
  /** The model solution's own verdict when it does not pass (then no mutant is graded). */
  baselineVerdict?: GradeResult["verdict"];
  passesFloor: boolean;
  mutants: MutantResult[];
}

export interface MutationOptions {
  catalog: Catalog;
  grade: (request: GradeRequest) => Promise<GradeResult>;
  exerciseIds?: readonly string[];
  seed?: number;
  /** Grade only this many mutants per exercise, drawn with `sampleSeed` (CI); all when absent. */
  sample?: number;
  sampleSeed?: number;
  /** Gradings in flight at once (the pool's size). */
  concurrency?: number;
  onMutant?: (exerciseId: string, r: MutantResult, done: number, total: number) => void;
}

export function readEquivalents(entry: CatalogEntry): EquivalentsFile {
  const file = path.join(entry.dir, EQUIVALENTS_FILE);
  if (!existsSync(file)) return {};
  const parsed = EquivalentsFile.safeParse(JSON.parse(readFileSync(file, "utf8")));
  if (!parsed.success) throw new Error(`${file}: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
  return parsed.data;
}

/** Every mutant of the exercise's model solution; an entry point the grader's driver.ts replaces is left alone. */
export function mutantsOf(entry: CatalogEntry, source = readFileSync(entry.solutionPath, "utf8")): Mutant[] {
  return generateMutants(source, entry.solutionPath, entry.driver === null ? {} : { skipFunctions: [entry.meta.entry] });
}

/** `n` mutants drawn without replacement, the same ones for the same seed and source. */
export function sampleMutants(mutants: readonly Mutant[], n: number, seed: number): Mutant[] {
  if (n >= mutants.length) return [...mutants];
  const rng = new Rng(seed);
  const pool = [...mutants];
  const out: Mutant[] = [];
  while (out.length < n) out.push(pool.splice(rng.int(0, pool.length), 1)[0] as Mutant);
  return out.sort((a, b) => a.start - b.start || a.id.localeCompare(b.id));
}

async function gradeOne(entry: CatalogEntry, source: string, m: Mutant, equivalents: EquivalentsFile, opts: MutationOptions): Promise<MutantResult> {
  const mutated = applyMutant(source, m);
  const base = { id: m.id, mutator: m.mutator, line: m.line };
  const listed = equivalents[m.id];
  // Compile errors are told apart by the grader's own verdict: it alone knows how a submission is
  // transpiled (with a grader-owned driver for some exercises), and a failing transpile is fast.
  const r = await opts.grade({ exerciseId: entry.meta.id, source: mutated, seed: opts.seed ?? MUTATION_SEED, scope: "all", lang: "en" });
  const failing = r.tests.filter((t) => t.status !== "passed").map((t) => `${t.id} (${t.kind})`);
  const killedByAlwaysRun = r.tests.some((t) => t.status !== "passed" && (t.kind === "public" || t.kind === "pitfall"));
  const killedByInvariant = !killedByAlwaysRun && r.tests.some((t) => t.status !== "passed" && t.kind === "invariant");
  if (r.verdict === "internal_error") return { ...base, status: "grader-error", verdict: r.verdict, failing, killedByAlwaysRun, killedByInvariant };
  if (r.verdict === "compile_error") return { ...base, status: "compile-error", verdict: r.verdict, failing, killedByAlwaysRun, killedByInvariant };
  if (r.verdict !== "passed") {
    return { ...base, status: listed === undefined ? "killed" : "stale-equivalent", verdict: r.verdict, failing, killedByAlwaysRun, killedByInvariant };
  }
  if (listed !== undefined) return { ...base, status: "equivalent", verdict: r.verdict, failing, killedByAlwaysRun, killedByInvariant, reason: listed.reason };
  return { ...base, status: "survived", verdict: r.verdict, failing, killedByAlwaysRun, killedByInvariant };
}

/** Runs `fn` over `items` with at most `limit` in flight, results in input order. */
async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, lane));
  return out;
}

export function scoreOf(exerciseId: string, generated: number, mutants: MutantResult[], staleIds: string[]): ExerciseScore {
  const count = (s: MutantStatus): number => mutants.filter((m) => m.status === s).length;
  const killed = count("killed") + count("stale-equivalent");
  const equivalent = count("equivalent");
  const survived = count("survived");
  const compileErrors = count("compile-error");
  const graderErrors = count("grader-error");
  const graded = mutants.length - compileErrors;
  const denominator = killed + survived;
  const score = denominator === 0 ? 1 : killed / denominator;
  const staleEquivalents = [...staleIds, ...mutants.filter((m) => m.status === "stale-equivalent").map((m) => m.id)];
  return {
    exerciseId,
    generated,
    graded,
    killed,
    killedOnlyByHidden: mutants.filter((m) => (m.status === "killed" || m.status === "stale-equivalent") && !m.killedByAlwaysRun && !m.killedByInvariant).length,
    killedOnlyByInvariants: mutants.filter((m) => (m.status === "killed" || m.status === "stale-equivalent") && m.killedByInvariant).length,
    survived,
    equivalent,
    staleEquivalents,
    compileErrors,
    graderErrors,
    score,
    passesFloor: score >= MUTATION_FLOOR && staleEquivalents.length === 0 && graderErrors === 0,
    mutants,
  };
}

/** Mutates and grades every selected exercise's model solution. */
export async function runMutation(opts: MutationOptions): Promise<ExerciseScore[]> {
  const entries = (opts.exerciseIds ?? [...opts.catalog.exercises.keys()]).map((id) => {
    const e = opts.catalog.exercises.get(id);
    if (e === undefined) throw new Error(`unknown exercise '${id}'. Known: ${[...opts.catalog.exercises.keys()].join(", ")}`);
    return e;
  });
  const scores: ExerciseScore[] = [];
  for (const entry of entries) {
    const source = readFileSync(entry.solutionPath, "utf8");
    const all = mutantsOf(entry, source);
    const equivalents = readEquivalents(entry);
    const allIds = new Set(all.map((m) => m.id));
    // An entry naming no mutant the engine generates is stale (the solution or the engine changed).
    const staleIds = Object.keys(equivalents).filter((id) => !allIds.has(id));
    const chosen = opts.sample === undefined ? all : sampleMutants(all, opts.sample, ((opts.sampleSeed ?? 1) ^ hashOf(entry.meta.id)) >>> 0);
    // The unmutated solution must pass first, or every mutant would count as killed.
    const baseline = await opts.grade({ exerciseId: entry.meta.id, source, seed: opts.seed ?? MUTATION_SEED, scope: "all", lang: "en" });
    if (baseline.verdict !== "passed") {
      scores.push({ ...scoreOf(entry.meta.id, all.length, [], staleIds), baselineVerdict: baseline.verdict, passesFloor: false });
      continue;
    }
    let done = 0;
    const results = await mapLimited(chosen, opts.concurrency ?? 2, async (m) => {
      const r = await gradeOne(entry, source, m, equivalents, opts);
      opts.onMutant?.(entry.meta.id, r, ++done, chosen.length);
      return r;
    });
    scores.push(scoreOf(entry.meta.id, all.length, results, staleIds));
  }
  return scores;
}

function hashOf(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

/** One line per exercise: the figures the issue asks for. */
export function formatScores(scores: readonly ExerciseScore[]): string {
  const rows = scores.map((s) => {
    const pct = (100 * s.score).toFixed(1).padStart(5);
    const flag = s.passesFloor ? "ok  " : "FAIL";
    if (s.baselineVerdict !== undefined) return `${flag} ${s.exerciseId.padEnd(30)} the model solution itself does not pass (${s.baselineVerdict}): no mutant graded`;
    return `${flag} ${s.exerciseId.padEnd(30)} ${pct}%  killed ${s.killed}/${s.killed + s.survived}  (only by hidden cases ${s.killedOnlyByHidden}, only by invariants ${s.killedOnlyByInvariants})  equivalent ${s.equivalent}  compile-errors ${s.compileErrors}${s.graderErrors > 0 ? `  grader-errors ${s.graderErrors}` : ""}${s.staleEquivalents.length > 0 ? `  STALE ${s.staleEquivalents.length}` : ""}`;
  });
  const survivors = scores.flatMap((s) => s.mutants.filter((m) => m.status === "survived").map((m) => `  survived ${s.exerciseId} ${m.id}`));
  const drawOnly = scores.flatMap((s) =>
    s.mutants.filter((m) => m.status === "killed" && !m.killedByAlwaysRun).map((m) => `  killed only by ${m.killedByInvariant ? "invariants" : "hidden cases"} ${s.exerciseId} ${m.id}  [${m.failing.join(", ")}]`),
  );
  const stale = scores.flatMap((s) => s.staleEquivalents.map((id) => `  stale equivalent ${s.exerciseId} ${id}`));
  return [...rows, ...survivors, ...drawOnly, ...stale].join("\n");
}
