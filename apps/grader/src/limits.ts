/**
 * Time limits that fit the exercise. Each light exercise's per-call CPU limit is derived from its
 * model solution's measured cost (exercises/model-cost.json, written by `npm run limits`): the
 * costliest call the model solution made in a fresh isolate, times CALL_LIMIT_FACTOR, at least
 * CALL_LIMIT_FLOOR_MS. An endless loop then costs a fraction of a second, not the contract's default
 * 2 s (the grading stops at the first time limit), and a
 * correct solution keeps a wide margin: the limits count the isolate's CPU time, never the wall
 * clock, so a busy machine does not eat into them.
 *
 * The submission's CPU budget stays the contract's default (20 s): it bounds the host work a result
 * causes (reading and comparing a huge result is charged to the student), and a tighter one turned
 * big-but-finite wrong answers (100,000 tokens: ~0.4 s of charges per test) from failed into
 * time_limit. The calls themselves are bounded by their number times the call limit.
 *
 * An exercise whose limits are above the contract's defaults is designed to be heavy (the chapter's
 * memory pitfall, chunked attention, has its own memory and time limits): its limits are its own.
 */
import type { Limits } from "@tfm/contract";

export const CALL_LIMIT_FACTOR = 25;
export const CALL_LIMIT_FLOOR_MS = 150;
/** The contract's default per-call limit: derived limits never exceed it, and an exercise allowed more is heavy. */
export const DEFAULT_CALL_TIMEOUT_MS = 2_000;
export const DEFAULT_SUBMISSION_TIMEOUT_MS = 20_000;

/** What the model solution cost, in CPU milliseconds, over the measured gradings (the worst of them). */
export interface ModelCost {
  /** The costliest single call (or top-level load) of the entry point. */
  maxCallCpuMs: number;
  /** The costliest whole grading: every load and call of one submission, both isolates (for the capacity model). */
  gradingCpuMs: number;
  /** How many gradings (seeds) were measured. */
  samples: number;
}

const roundUp = (ms: number, step: number): number => Math.ceil(ms / step) * step;

/** The limits the rule gives for a measured cost. */
export function derivedLimits(cost: ModelCost): Pick<Limits, "callTimeoutMs" | "wallTimeoutMs"> {
  const call = Math.min(DEFAULT_CALL_TIMEOUT_MS, Math.max(CALL_LIMIT_FLOOR_MS, roundUp(cost.maxCallCpuMs * CALL_LIMIT_FACTOR, 10)));
  return { callTimeoutMs: call, wallTimeoutMs: DEFAULT_SUBMISSION_TIMEOUT_MS };
}

/** An exercise designed to be heavy keeps the limits in its exercise.json. */
export function hasOwnLimits(limits: Limits): boolean {
  return limits.callTimeoutMs > DEFAULT_CALL_TIMEOUT_MS;
}

/**
 * Limits that fit the machine. The committed limits were checked on one machine (`npm run limits`
 * there, quiet, leaves every model solution at least 10x under its limit); a grader on a slower one
 * runs the same correct solution slower, and its margin shrinks by as much. So each grader process
 * measures, once at start, what a fixed workload of the kit costs in a fresh isolate here
 * (calibrationSampleMs in sandbox.ts: the spare warm-up's step, cold, as a submission's first call is),
 * and a light exercise's per-call limit is scaled by how much slower than the committed calibration
 * (exercises/calibration.json, written by `npm run limits -- --write` or `--write-calibration`) that is.
 * (calibration.ts reads it.) Never scaled down: a faster machine keeps the committed limits (its margin only grows), and a machine
 * within LIMIT_SCALE_THRESHOLD of the reference keeps them exactly (the measurement's noise on the
 * reference machine itself stays under it), so verdicts there are the committed ones.
 */
/** Under this ratio to the reference, the machine counts as the reference machine (no scaling). */
export const LIMIT_SCALE_THRESHOLD = 1.5;
/** The scale is rounded up to a multiple of this (so noise moves it in steps). */
export const LIMIT_SCALE_STEP = 0.25;
/** At most this: a calibration disturbed by load must not let an endless loop run for long. */
export const LIMIT_SCALE_MAX = 4;
/**
 * Samples per calibration, after one that is not counted (the first isolates after the code cache was
 * made cost more). The fastest is taken: on a machine whose other core is busy, a step's CPU time
 * doubles (measured: median 13-15 ms against 7 quiet, two spinning processes on the two cores), while
 * the fastest of nine stayed 5-6 ms against 4.6-6.3 quiet.
 */
export const CALIBRATION_SAMPLES = 9;

/** The factor light exercises' per-call limits are scaled by on a machine that measured `measuredMs` where the reference measured `referenceMs`. */
export function limitScaleFor(measuredMs: number, referenceMs: number): number {
  if (!Number.isFinite(measuredMs) || !Number.isFinite(referenceMs) || measuredMs <= 0 || referenceMs <= 0) return 1;
  const ratio = measuredMs / referenceMs;
  if (ratio < LIMIT_SCALE_THRESHOLD) return 1;
  return Math.min(LIMIT_SCALE_MAX, Math.ceil(ratio / LIMIT_SCALE_STEP) * LIMIT_SCALE_STEP);
}

/**
 * An exercise's limits on a machine `scale` times slower than the reference: a light exercise's per-call
 * CPU limit times `scale` (rounded up to 10 ms, at most the contract's default); everything else, and a
 * heavy exercise's own limits, as committed.
 */
export function scaledLimits(limits: Limits, scale: number): Limits {
  if (!(scale > 1) || hasOwnLimits(limits)) return limits;
  // A factor over 1 never rounds under the committed limit, and a light limit is at most the default.
  const call = Math.min(DEFAULT_CALL_TIMEOUT_MS, roundUp(limits.callTimeoutMs * scale, 10));
  return call === limits.callTimeoutMs ? limits : { ...limits, callTimeoutMs: call };
}
