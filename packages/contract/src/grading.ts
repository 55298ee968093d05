import { z } from "zod";
import { Lang, Localized } from "./i18n.ts";
import { ExerciseId, PitfallId } from "./ids.ts";

export const MAX_SOURCE_CHARS = 200_000;

export const GradeRequest = z
  .object({
    exerciseId: ExerciseId.describe("which exercise the source solves"),
    source: z
      .string()
      .max(MAX_SOURCE_CHARS, `source is longer than ${MAX_SOURCE_CHARS} characters`)
      .describe("TypeScript source of the submission"),
    seed: z
      .number()
      .int("seed must be an integer")
      .min(0, "seed must be >= 0")
      .max(0xffff_ffff, "seed must fit in 32 bits")
      .optional()
      .describe("seed for hidden cases; omitted means a fresh random one (returned in the result)"),
    lang: Lang.default("ja").describe("language of the plain-text report"),
    scope: z.enum(["all", "public"]).default("all").describe("'public' runs only the public and pitfall tests"),
  })
  .strict();
export type GradeRequest = z.input<typeof GradeRequest>;
export type ParsedGradeRequest = z.output<typeof GradeRequest>;

export const VERDICTS = [
  "passed",
  "failed",
  "compile_error",
  "runtime_error",
  "time_limit",
  "memory_limit",
  "output_limit",
  "internal_error",
] as const;
export const Verdict = z.enum(VERDICTS);
export type Verdict = z.infer<typeof Verdict>;

export const TEST_KINDS = ["public", "hidden", "pitfall", "invariant"] as const;
export const TestKind = z.enum(TEST_KINDS);
export type TestKind = z.infer<typeof TestKind>;

export const TEST_STATUSES = ["passed", "failed", "error", "time_limit", "memory_limit", "output_limit", "skipped"] as const;
export const TestStatus = z.enum(TEST_STATUSES);
export type TestStatus = z.infer<typeof TestStatus>;

const finiteOrNull = z.number().nullable().describe("null when not applicable or not finite");

export const PitfallHit = z
  .object({ id: PitfallId, title: Localized, explanation: Localized, fix: Localized })
  .strict();
export type PitfallHit = z.infer<typeof PitfallHit>;

export const Mismatches = z
  .object({
    count: z.number().int().nonnegative(),
    total: z.number().int().nonnegative(),
    nonFinite: z.number().int().nonnegative().describe("NaN or Inf values in the actual output"),
    first: z.array(z.array(z.number().int())).max(8).describe("index tuples of the first mismatches"),
    where: Localized.nullable().describe("a pattern in the mismatches, e.g. only masked positions differ"),
  })
  .strict();
export type Mismatches = z.infer<typeof Mismatches>;

/** A small matrix of attention weights for the portal's side-by-side heatmaps (public tests only). */
export const HeatmapPair = z
  .object({ label: Localized, expected: z.array(z.array(z.number())), actual: z.array(z.array(z.number().nullable())) })
  .strict();

export const TestResult = z
  .object({
    id: z.string().describe("permanent test id"),
    name: Localized,
    kind: TestKind,
    status: TestStatus,
    message: Localized,
    part: Localized.nullable().describe("which part of a tuple result failed"),
    expectedShape: z.array(z.number().int()).nullable(),
    actualShape: z.array(z.number().int()).nullable(),
    maxAbsError: finiteOrNull,
    maxRelError: finiteOrNull,
    mismatches: Mismatches.nullable(),
    pitfall: PitfallHit.nullable(),
    heatmap: HeatmapPair.nullable(),
    durationMs: z.number().nonnegative(),
  })
  .strict();
export type TestResult = z.infer<typeof TestResult>;

export const SourceLocation = z.object({ line: z.number().int().positive(), column: z.number().int().positive() }).strict();

export const CompileError = z
  .object({ line: z.number().int().positive(), column: z.number().int().positive(), message: z.string(), lineText: z.string() })
  .strict();
export type CompileError = z.infer<typeof CompileError>;

export const RuntimeError = z
  .object({
    name: z.string(),
    message: Localized,
    line: z.number().int().positive().nullable().describe("line in the student's own file"),
    column: z.number().int().positive().nullable(),
    testId: z.string().nullable().describe("the test during which it was thrown; null while loading"),
  })
  .strict();
export type RuntimeError = z.infer<typeof RuntimeError>;

export const Timings = z
  .object({
    transpileMs: z.number().nonnegative(),
    sandboxMs: z.number().nonnegative(),
    referenceMs: z.number().nonnegative(),
    compareMs: z.number().nonnegative(),
    totalMs: z.number().nonnegative(),
  })
  .strict();
export type Timings = z.infer<typeof Timings>;

/** The limits a submission ran under (the exercise's; see apps/grader/src/limits.ts). */
export const ResultLimits = z
  .object({
    callCpuMs: z.number().int().positive().describe("CPU time for one call of the entry point"),
    submissionCpuMs: z.number().int().positive().describe("CPU time for the whole submission"),
    memoryMb: z.number().int().positive(),
  })
  .strict();
export type ResultLimits = z.infer<typeof ResultLimits>;

export const GradeResult = z
  .object({
    resultVersion: z.literal(1),
    exerciseId: ExerciseId,
    exerciseVersion: z.string().describe("content hash of the exercise the submission was graded against"),
    seed: z.number().int().min(0).max(0xffff_ffff).describe("replays the grading exactly"),
    scope: z.enum(["all", "public"]),
    lang: Lang,
    verdict: Verdict,
    score: z.number().min(0).max(1),
    passed: z.number().int().nonnegative(),
    total: z.number().int().nonnegative(),
    summary: Localized,
    compileErrors: z.array(CompileError),
    runtimeError: RuntimeError.nullable(),
    tests: z.array(TestResult),
    console: z.string(),
    consoleTruncated: z.boolean(),
    backend: z.string().describe("TensorFlow.js backend that computed the references"),
    graderVersion: z.string(),
    timings: Timings,
    /** Absent from results stored before the limits were recorded. */
    limits: ResultLimits.optional(),
  })
  .strict();
export type GradeResult = z.infer<typeof GradeResult>;

/** A student's attempt counts unless nothing of theirs could be judged. */
export function countsAsAttempt(verdict: Verdict): boolean {
  return verdict !== "compile_error" && verdict !== "internal_error";
}
