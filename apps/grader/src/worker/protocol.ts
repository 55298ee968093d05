import type { GradeResult } from "@tfm/contract";
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
  | { type: "ready"; backend: string; pid: number; transpiler: TranspilerHealth }
  | { type: "result"; id: number; result: GradeResult; cacheHits: number; cacheMisses: number; stages: StageTimes | null; transpiler: TranspilerHealth }
  /** hostFault: the host stalled (GraderStallError): retried by the caller, never a verdict. */
  | { type: "failed"; id: number; message: string; transpiler: TranspilerHealth; hostFault?: boolean };
