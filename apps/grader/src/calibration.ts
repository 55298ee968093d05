/**
 * The limits' calibration of this process (limits.ts, "Limits that fit the machine"): what the fixed
 * kit workload costs here, against what it cost where the committed limits were measured
 * (exercises/calibration.json, written with model-cost.json by `npm run limits -- --write`), and the
 * factor light exercises' per-call limits are scaled by. Measured once per grader process, after the
 * kit's code cache is warmed (a submission's isolates compile from it, and so did the measurement of
 * the committed costs): 10 fresh isolates, ~0.1-0.2 s at start-up.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { z } from "zod";
import { CALIBRATION_SAMPLES, limitScaleFor } from "./limits.ts";
import { calibrationSampleMs } from "./sandbox/sandbox.ts";

export const CALIBRATION_FILE = "calibration.json";

/** exercises/calibration.json: the reference machine's calibration. */
export const Calibration = z.object({
  /** The fastest of the samples: isolate CPU time of one cold step of the warm-up workload, ms. */
  warmStepCpuMs: z.number().positive().finite(),
  samples: z.number().int().min(1),
});
export type Calibration = z.infer<typeof Calibration>;

/** How this process's limits were set, as /health and `npm run limits` show it. */
export interface LimitScale {
  /** The factor light exercises' per-call limits are multiplied by (1: the committed limits). */
  scale: number;
  /**
   * `measured`: from this machine's calibration; `configured`: TFM_LIMIT_SCALE gave the factor;
   * `no-reference`: no committed calibration to compare with (committed limits); `failed`: the
   * calibration did not run (committed limits).
   */
  source: "measured" | "configured" | "no-reference" | "failed";
  /** This machine's calibration (ms), when measured. */
  measuredMs: number | null;
  /** The committed one (ms), when there is one. */
  referenceMs: number | null;
}

/** The committed calibration beside the exercises, or null when there is none or it is not valid. */
export function readCalibration(exercisesDir: string): Calibration | null {
  try {
    const parsed = Calibration.safeParse(JSON.parse(readFileSync(path.join(exercisesDir, CALIBRATION_FILE), "utf8")));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** The fastest of `samples` calibration samples on this machine (ms), after one not counted; null when under half of them ran. */
export async function measureCalibration(samples = CALIBRATION_SAMPLES): Promise<number | null> {
  const ms: number[] = [];
  await calibrationSampleMs().catch(() => null);
  for (let i = 0; i < samples; i++) {
    const one = await calibrationSampleMs().catch(() => null);
    if (one !== null) ms.push(one);
  }
  if (ms.length === 0 || ms.length * 2 < samples) return null;
  return Math.min(...ms);
}

/**
 * This process's limit scale from the TFM_LIMIT_SCALE setting (config.ts): `auto` measures this machine
 * against the committed calibration; a number fixes the factor (1: the committed limits exactly, as
 * `npm run verdicts` uses so that two runs compare verdicts, not machines).
 */
export async function resolveLimitScale(setting: "auto" | number, exercisesDir: string, measure: () => Promise<number | null> = () => measureCalibration()): Promise<LimitScale> {
  const reference = readCalibration(exercisesDir);
  const referenceMs = reference?.warmStepCpuMs ?? null;
  if (setting !== "auto") return { scale: setting, source: "configured", measuredMs: null, referenceMs };
  if (referenceMs === null) return { scale: 1, source: "no-reference", measuredMs: null, referenceMs };
  const measuredMs = await measure().catch(() => null);
  if (measuredMs === null) return { scale: 1, source: "failed", measuredMs: null, referenceMs };
  return { scale: limitScaleFor(measuredMs, referenceMs), source: "measured", measuredMs, referenceMs };
}
