import type { GradeResult } from "@tfm/contract";
import type { GradeJob, StageTimes } from "../grade.ts";

export type ToWorker = { type: "grade"; id: number; job: GradeJob };

export type FromWorker =
  | { type: "ready"; backend: string; pid: number }
  | { type: "result"; id: number; result: GradeResult; cacheHits: number; cacheMisses: number; stages: StageTimes | null }
  | { type: "failed"; id: number; message: string };
