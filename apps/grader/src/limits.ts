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
