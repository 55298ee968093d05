import { type Localized, type PitfallHit, type TestResult, type WireValue, isWireTensor } from "@tfm/contract";
import { thrownExpectation } from "@tfm/spec";
import { compareValues } from "./compare.ts";
import type { ReferenceCache } from "./reference-cache.ts";
import type { ExerciseRuntime } from "./runtime.ts";

/**
 * Naming a pitfall is a claim about the student's code; a wrong claim sends them to "fix" code that
 * is right. A claim stands only on discriminating evidence:
 *  - on the test that makes it, the pitfall's variant must predict what the submission gave, and
 *    differ from the correct output there; when several variants predict the same output the test
 *    says "consistent with P or Q" and names none;
 *  - across the grading, no test where the variant differs from the correct output may contradict
 *    it (the submission gave something else there): then nothing names it, here or in the summary.
 * Claims from custom comparisons and invariants (heuristics that name a pitfall without a variant)
 * go through the same filters wherever the pitfall has a variant.
 */

export type Observed = { kind: "value"; value: WireValue } | { kind: "thrown"; message: string };

/** What one test's input says about each pitfall that has a variant (prediction not null). */
export interface CaseEvidence {
  /** Pitfalls whose variant made a prediction for this input. */
  predicted: Set<string>;
  /** The variant's prediction differs from the correct output on this input. */
  applies: Set<string>;
  /** The variant's prediction is what the submission gave. */
  matches: Set<string>;
  /**
   * Pitfalls whose variant predicts an exception: such a variant says "this throws" for every input
   * (it cannot tell which inputs a real mistake survives), so a value there does not contradict it.
   */
  throws: Set<string>;
  /** Whether the submission returned a value (a crash or a limit neither supports nor contradicts). */
  valued: boolean;
}

export interface TestAttribution {
  evidence: CaseEvidence | null;
  /** Pitfalls this test's own check names (a custom comparison, an invariant, a limit). */
  claimed: string[];
}

/**
 * Evidence compares outputs computed by different code (TensorFlow.js variants, the student's kit
 * code) that tell mistakes apart by O(1) differences, where float32 sums over many terms (40,000
 * keys) drift past a test's tolerance. It uses the test's tolerance times this factor, for both
 * "differs from the right answer" and "is what the submission gave", so the two stay consistent.
 */
const EVIDENCE_SLACK = 100;

function sameValue(runtime: ExerciseRuntime, a: WireValue, b: WireValue, args: readonly WireValue[]): boolean {
  const ta = thrownExpectation(a);
  const tb = thrownExpectation(b);
  if (ta !== null || tb !== null) return ta !== null && tb !== null && ta.pattern === tb.pattern;
  const custom = runtime.spec.compare;
  const meta = runtime.entry.meta;
  const tolerance = { atol: meta.tolerance.atol * EVIDENCE_SLACK, rtol: meta.tolerance.rtol * EVIDENCE_SLACK };
  // The plain comparison first: it treats NaN as equal to NaN (a custom one never passes a NaN).
  if (compareValues(a, b, { tolerance, nanEqual: true, ...(meta.outputLabels ? { labels: meta.outputLabels } : {}) }).ok) return true;
  return custom !== undefined && custom(a, b, args).ok;
}

function predicts(runtime: ExerciseRuntime, predicted: WireValue, observed: Observed, args: readonly WireValue[]): boolean {
  const throws = thrownExpectation(predicted);
  if (observed.kind === "thrown") return throws !== null && new RegExp(throws.pattern, "i").test(observed.message);
  return throws === null && sameValue(runtime, predicted, observed.value, args);
}

/**
 * Every variant's prediction for this input (computed lazily, cached like the expected output under
 * `${key}|${pitfall}`), set against the correct output and against what the submission gave.
 * `ruledOut`: pitfalls that a test of this grading already contradicts (`contradicted`). `attribute`
 * drops such a pitfall from every test, so its variant's output on this input could change nothing
 * (not a name, not an ambiguity, not a contradiction that was not there): it is not computed. A
 * failed grading's hidden cases draw new inputs, so their variants were computed afresh each time.
 */
export async function gatherEvidence(
  runtime: ExerciseRuntime,
  references: ReferenceCache,
  key: string,
  args: readonly WireValue[],
  expected: WireValue,
  observed: Observed,
  ruledOut: ReadonlySet<string> = new Set(),
): Promise<CaseEvidence> {
  const variants = runtime.reference.variants ?? {};
  const evidence: CaseEvidence = { predicted: new Set(), throws: new Set(), applies: new Set(), matches: new Set(), valued: observed.kind === "value" };
  for (const id of runtime.entry.meta.pitfalls) {
    const variant = variants[id];
    if (variant === undefined || ruledOut.has(id)) continue;
    let predicted: Awaited<ReturnType<typeof references.get>>;
    try {
      predicted = await references.get(`${key}|${id}`, () => variant(args));
    } catch {
      // The mistaken computation itself fails on these arguments (e.g. a shape that cannot
      // broadcast): it tells nothing here, and it must never turn the grading into a grader fault.
      continue;
    }
    // null: the mistake does not apply to these arguments.
    if (predicted === null) continue;
    // A custom comparison may read its two sides differently (a description of the right answer
    // against a rendered one): a prediction it cannot compare with itself is no evidence.
    const custom = runtime.spec.compare;
    if (custom !== undefined && thrownExpectation(predicted) === null && !hasNaN(predicted) && !custom(predicted, predicted, args).ok) continue;
    evidence.predicted.add(id);
    if (thrownExpectation(predicted) !== null) evidence.throws.add(id);
    if (!sameValue(runtime, expected, predicted, args)) evidence.applies.add(id);
    if (predicts(runtime, predicted, observed, args)) evidence.matches.add(id);
  }
  return evidence;
}

function hasNaN(v: WireValue): boolean {
  if (isWireTensor(v)) return v.$tensor.data.some((x) => Number.isNaN(x));
  if (Array.isArray(v)) return v.some(hasNaN);
  if (v !== null && typeof v === "object") return Object.values(v).some(hasNaN);
  return typeof v === "number" && Number.isNaN(v);
}

/** The pitfalls a test's evidence names: its own claims plus every variant that predicted its output. */
function candidatesOf(a: TestAttribution): string[] {
  const out = new Set<string>();
  const e = a.evidence;
  for (const p of a.claimed) {
    // A claim the variant contradicts on this very input (or one the input cannot show) is dropped.
    if (e !== null && e.predicted.has(p) && !(e.applies.has(p) && e.matches.has(p))) continue;
    out.add(p);
  }
  if (e !== null) for (const p of e.matches) if (e.applies.has(p)) out.add(p);
  return [...out];
}

/**
 * Pitfalls some test contradicts: their variant differs from the correct output there and the
 * submission did not follow it. More evidence only adds to the set, so a pitfall in it stays there.
 */
export function contradicted(all: readonly TestAttribution[]): Set<string> {
  const out = new Set<string>();
  for (const a of all) {
    const e = a.evidence;
    if (e === null || !e.valued) continue;
    for (const p of e.applies) if (!e.matches.has(p) && !e.throws.has(p)) out.add(p);
  }
  return out;
}

export interface FinalPitfall {
  pitfall: PitfallHit | null;
  /** Appended to the test's message when the evidence fits several pitfalls equally. */
  note: Localized | null;
}

/**
 * Decides, for every test, which pitfall (if any) it may name, given the whole grading's evidence.
 * Where a test's output fits several pitfalls and exactly one of them is established on its own by
 * another test, that one explains it. A pitfall claimed only by a check without a variant (an
 * invariant) is dropped when the cases found it only alongside an established other pitfall.
 */
export function attribute(all: readonly TestAttribution[], lookup: (id: string) => PitfallHit | null): FinalPitfall[] {
  const ruledOut = contradicted(all);
  const candidates = all.map((a) => candidatesOf(a).filter((p) => !ruledOut.has(p) && lookup(p) !== null));
  const established = new Set<string>();
  all.forEach((a, i) => {
    const c = candidates[i] ?? [];
    if (a.evidence !== null && c.length === 1) established.add(c[0] as string);
  });
  const explainedAway = new Set<string>();
  all.forEach((a, i) => {
    const c = candidates[i] ?? [];
    if (a.evidence === null || c.length < 2) return;
    if (c.some((p) => established.has(p))) for (const p of c) if (!established.has(p)) explainedAway.add(p);
  });
  return all.map((a, i) => {
    let c = candidates[i] ?? [];
    if (a.evidence === null) c = c.filter((p) => !explainedAway.has(p));
    if (c.length >= 2) {
      const known = c.filter((p) => established.has(p));
      if (known.length === 1) c = known;
    }
    const hits = c.map(lookup).filter((h): h is PitfallHit => h !== null);
    if (hits.length === 0) return { pitfall: null, note: null };
    if (hits.length === 1) return { pitfall: hits[0] ?? null, note: null };
    return {
      pitfall: null,
      note: {
        ja: `この入力では次のどれとも見分けがつきません: ${hits.map((h) => h.title.ja).join(" / ")}`,
        en: `on this input the result is consistent with any of: ${hits.map((h) => h.title.en).join(" / ")}`,
      },
    };
  });
}

/** Applies the decision to a test result (before hidden details are removed). */
export function withAttribution(t: TestResult, f: FinalPitfall): TestResult {
  if (t.status === "passed") return { ...t, pitfall: null };
  const message = f.note === null ? t.message : { ja: `${t.message.ja}。${f.note.ja}`, en: `${t.message.en}; ${f.note.en}` };
  return { ...t, pitfall: f.pitfall, message };
}
