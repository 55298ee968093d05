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
  | { type: "idle" }
  /**
   * The limit scale the pool grades with (calibration.ts): the first ready worker's, sent to every worker
   * when it is ready, before its first job, so that a submission's limits do not depend on which worker
   * (or which replacement of one) grades it. The worker grades with it from then on.
   */
  | { type: "limits"; limits: LimitScale };

export type FromWorker =
  /** limits: how the worker itself set light exercises' per-call limits for this machine (calibration.ts); the pool may answer with its own (ToWorker "limits"). */
  | { type: "ready"; backend: string; pid: number; transpiler: TranspilerHealth; limits: LimitScale }
  | { type: "result"; id: number; result: GradeResult; cacheHits: number; cacheMisses: number; stages: StageTimes | null; transpiler: TranspilerHealth }
  /** hostFault: the host stalled (GraderStallError): retried by the caller, never a verdict. */
  | { type: "failed"; id: number; message: string; transpiler: TranspilerHealth; hostFault?: boolean };
