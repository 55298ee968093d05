import { z } from "zod";
import { Localized } from "./i18n.ts";
import { ChecklistItemId, ExerciseId, PitfallId } from "./ids.ts";

export const EXERCISE_AREAS = ["implementation", "debugging", "application", "reproducibility"] as const;

export const Limits = z
  .object({
    memoryMb: z.number().int().min(8).max(2048).default(128).describe("isolate heap limit, ArrayBuffers included"),
    callTimeoutMs: z.number().int().min(10).max(60_000).default(2_000).describe("CPU time for one call of the entry point (and for the top-level load); derived from the model solution's cost, apps/grader/src/limits.ts"),
    wallTimeoutMs: z.number().int().min(100).max(300_000).default(20_000).describe("CPU time for the whole submission (both isolates), enforced by the host; the wall clock is only the host's stall watchdog"),
    consoleBytes: z.number().int().min(0).max(1_048_576).default(65_536).describe("console output kept before output_limit"),
    resultBytes: z.number().int().min(1_024).max(268_435_456).default(16_777_216).describe("size of one value copied out of the sandbox"),
  })
  .strict();
export type Limits = z.infer<typeof Limits>;

export const Tolerance = z
  .object({
    atol: z.number().nonnegative().describe("absolute tolerance: |a - e| <= atol + rtol * |e|"),
    rtol: z.number().nonnegative().describe("relative tolerance"),
  })
  .strict();
export type Tolerance = z.infer<typeof Tolerance>;

/** exercises/<id>/exercise.json */
export const ExerciseMeta = z
  .object({
    id: ExerciseId.describe("stable id; equals the folder name"),
    order: z.number().int().nonnegative().describe("position in the chapter's exercise list"),
    title: Localized,
    summary: Localized.describe("one line shown in lists"),
    area: z.enum(EXERCISE_AREAS).describe("checklist area the exercise belongs to"),
    chapterSection: z.string().regex(/^\d+(\.\d+)*$|^pitfalls$|^reproducibility$|^exercises$/).describe("the chapter section it practises"),
    checklist: z.array(ChecklistItemId).min(1).describe("checklist items a pass completes (with the other exercises of each item)"),
    entry: z.string().regex(/^[A-Za-z_$][\w$]*$/).describe("name of the exported function the grader calls"),
    withheld: z
      .array(z.string().regex(/^(torch|F|nn|nn\.init|Tensor)\.[A-Za-z_][\w]*$/))
      .default([])
      .describe("kit entries replaced by a stub that explains they are withheld"),
    limits: Limits.default(Limits.parse({})),
    tolerance: Tolerance,
    pitfalls: z.array(PitfallId).describe("pitfalls this exercise diagnoses; each has a mutant"),
    outputLabels: z.array(Localized).optional().describe("names of the parts of a tuple result"),
    limitHints: z
      .object({ memory_limit: Localized, time_limit: Localized })
      .partial()
      .strict()
      .default({})
      .describe("what to do when a limit is hit, added to the limit's message"),
    limitPitfalls: z
      .object({ memory_limit: PitfallId, time_limit: PitfallId })
      .partial()
      .strict()
      .default({})
      .describe("the pitfall a test hitting this limit is diagnosed as (e.g. the full T x T matrix)"),
  })
  .strict();
export type ExerciseMeta = z.infer<typeof ExerciseMeta>;

/** exercises/pitfalls/<id>.json */
export const Pitfall = z
  .object({
    id: PitfallId,
    title: Localized,
    explanation: Localized.describe("what went wrong, in words a student understands"),
    fix: Localized.describe("how to fix it"),
    fromChapter: z.boolean().describe("one of the chapter's five practical pitfalls"),
  })
  .strict();
export type Pitfall = z.infer<typeof Pitfall>;

/** What a student may see of an exercise (API and portal). Never cases, references or mutants. */
export const PublicExercise = z
  .object({
    id: ExerciseId,
    version: z.string(),
    order: z.number().int(),
    title: Localized,
    summary: Localized,
    area: z.enum(EXERCISE_AREAS),
    chapterSection: z.string(),
    checklist: z.array(ChecklistItemId),
    entry: z.string(),
    withheld: z.array(z.string()),
    limits: Limits,
    tolerance: Tolerance,
    statement: Localized.describe("Markdown statement"),
    starter: z.string(),
    publicTests: z.array(z.object({ id: z.string(), name: Localized, kind: z.enum(["public", "pitfall"]) }).strict()),
    hiddenTestCount: z.number().int().nonnegative(),
    pitfalls: z.array(Pitfall),
  })
  .strict();
export type PublicExercise = z.infer<typeof PublicExercise>;
