import type { GradeResult } from "@tfm/contract";
import type { LimitScale } from "../calibration.ts";
import type { GradeJob, StageTimes } from "../grade.ts";
import type { TranspilerHealth } from "../transpile.ts";

export type ToWorker =
  | { type: "grade"; id: number; job: GradeJob }
  /**
   * Sent by the pool when this worker's job has ended and no job waits for it: the worker prepares the
   * next submission's isolates now (see prepareSpares). Never sent while jobs wait, so a burst does not
   * pay for isolates of an exercise it may not grade next.
   */
  | { type: "idle" };

export type FromWorker =
  /** limits: how the worker set light exercises' per-call limits for this machine (calibration.ts). */
  | { type: "ready"; backend: string; pid: number; transpiler: TranspilerHealth; limits: LimitScale }
  | { type: "result"; id: number; result: GradeResult; cacheHits: number; cacheMisses: number; stages: StageTimes | null; transpiler: TranspilerHealth }
  /** hostFault: the host stalled (GraderStallError): retried by the caller, never a verdict. */
  | { type: "failed"; id: number; message: string; transpiler: TranspilerHealth; hostFault?: boolean };
