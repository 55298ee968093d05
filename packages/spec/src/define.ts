import type { Localized, Tolerance, WireValue } from "@tfm/contract";

/** A pitfall id: a file name in exercises/pitfalls/. */
export type PitfallId = string;
import type { z } from "zod";
import type { Rng } from "./rng.ts";

export type CaseKind = "public" | "hidden" | "pitfall";

export interface CaseContext {
  /** Seeded from the case's fixed seed (public, pitfall) or from the submission seed (hidden). */
  rng: Rng;
}

export interface CaseDef {
  /** Permanent id. A changed case gets a new id and names the one it replaces. */
  id: string;
  kind: CaseKind;
  name: Localized;
  replaces?: string;
  /**
   * For a hidden case: what kind of input it is, shown when it fails (never its values). Without
   * one, the grader describes the arguments (a dimension of size 1, large values, an empty string).
   */
  hint?: Localized;
  /** Arguments for the entry point. */
  make(ctx: CaseContext): WireValue[];
}

/** Thrown by `call` when the sandbox did not return a value; the runner turns it into the test's status. */
export class CallFailure extends Error {
  constructor(
    readonly status: "error" | "time_limit" | "memory_limit" | "output_limit",
    readonly detail: Localized,
    /** For status "error": the name and (English) message of what the student's code threw. */
    readonly thrown: { name: string; message: string } | null = null,
  ) {
    super(detail.en);
    this.name = "CallFailure";
  }
}

/**
 * A reference may expect the student's function to throw (invalid input must be rejected with a
 * clear error): it returns `expectThrow(pattern)`, and the test passes only if the call throws an
 * error whose message matches the pattern (a case-insensitive regular expression source).
 */
export function expectThrow(pattern: string, description: Localized): WireValue {
  return { $throws: { pattern, ja: description.ja, en: description.en } };
}

export function thrownExpectation(v: WireValue): { pattern: string; description: Localized } | null {
  if (v === null || typeof v !== "object" || Array.isArray(v) || !Object.hasOwn(v, "$throws")) return null;
  const t = (v as Record<string, WireValue>).$throws;
  if (t === null || typeof t !== "object" || Array.isArray(t)) return null;
  const r = t as Record<string, WireValue>;
  if (typeof r.pattern !== "string" || typeof r.ja !== "string" || typeof r.en !== "string") return null;
  return { pattern: r.pattern, description: { ja: r.ja, en: r.en } };
}

export interface InvariantContext {
  rng: Rng;
  tolerance: Tolerance;
  /** Calls the student's entry point in the sandbox with copies of `args`. */
  call(args: WireValue[]): Promise<WireValue>;
}

export type InvariantOutcome =
  | { ok: true }
  | { ok: false; message: Localized; pitfall?: PitfallId };

export interface InvariantDef {
  id: string;
  name: Localized;
  /**
   * Its calls may legitimately return different results for the same arguments (it judges
   * randomness itself). Otherwise the grader checks that a repeated call agrees before the
   * invariant's second call, so that randomness is not blamed on the code's structure.
   */
  randomResults?: true;
  run(ctx: InvariantContext): Promise<InvariantOutcome>;
}

export interface MismatchContext {
  args: readonly WireValue[];
  /** Index of the tuple part being compared (0 for a single result). */
  part: number;
  shape: readonly number[];
  /** Index tuples of every mismatching element. */
  mismatches: readonly (readonly number[])[];
}

export interface ExerciseSpec {
  cases: CaseDef[];
  invariants?: InvariantDef[];
  /**
   * The statement lets the entry point write into its arguments (a state dict loaded into a model).
   * Otherwise the grader fails a call that changes any input tensor in place.
   */
  inputsMayChange?: true;
  /** Tuple parts whose last dimension holds probabilities (attention weights). */
  probabilityParts?: number[];
  /** Tuple part holding attention weights [..., Tq, Tk], shown as heatmaps for public tests. */
  heatmapPart?: number;
  /** Optional schema the actual result must satisfy before it is compared (non-tensor results). */
  resultSchema?: z.ZodType<WireValue>;
  /**
   * What to say (and which pitfall to name, if randomness can only come from one mistake) when an
   * invariant finds that two calls with the same arguments disagree.
   */
  nondeterminism?: { message: Localized; pitfall?: PitfallId };
  /** Describes a pattern in the mismatches (e.g. only masked positions differ). */
  describeMismatch?(ctx: MismatchContext): Localized | null;
  /** Custom comparison for results that are not numeric (strings, SVG, token lists). */
  compare?(expected: WireValue, actual: WireValue, args: readonly WireValue[]): CompareVerdict;
}

export type CompareVerdict =
  | { ok: true }
  | { ok: false; message: Localized; pitfall?: PitfallId };

export interface ReferenceDef {
  /** The expected result for the arguments of one case. */
  expected(args: readonly WireValue[]): WireValue | Promise<WireValue>;
  /** What each known mistake produces; a failing result that matches one names that pitfall. */
  variants?: Record<PitfallId, (args: readonly WireValue[]) => WireValue | Promise<WireValue>>;
}

export function defineExercise(spec: ExerciseSpec): ExerciseSpec {
  return spec;
}

export function defineReference(ref: ReferenceDef): ReferenceDef {
  return ref;
}
