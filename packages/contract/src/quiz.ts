import { z } from "zod";
import { Verdict } from "./grading.ts";
import { Lang, Localized } from "./i18n.ts";
import { ChecklistItemId, ExerciseId, QuizId, TestId } from "./ids.ts";

/**
 * Checklist, quizzes, free-text problems and learner progress: the file formats under
 * `exercises/` (checklist.json, quizzes/<id>.json, free-text/<id>.json) and what crosses HTTP.
 */

/** The 23 exercises of PRODUCT.md, in its order. A checklist item may only name these. */
export const EXERCISE_IDS = [
  "simple-attention",
  "scaled-dot-product-attention",
  "attention-masks",
  "stable-softmax",
  "self-attention",
  "multi-head-attention",
  "positional-encoding",
  "chunked-attention",
  "smiles-tokenizer",
  "composition-tokenizer",
  "attention-heatmap",
  "linear-and-embedding",
  "batching",
  "layer-norm",
  "dropout",
  "weight-init",
  "softmax-backward",
  "state-dict",
  "debug-shapes",
  "debug-mask",
  "debug-positional-encoding",
  "seeded-experiment",
  "encoder-block",
] as const;
export const KnownExerciseId = z.enum(EXERCISE_IDS, {
  error: (issue) => `'${String(issue.input)}' is not one of the course's ${EXERCISE_IDS.length} exercises`,
});
export type KnownExerciseId = z.infer<typeof KnownExerciseId>;

const slug = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;
export const FreeTextId = z.string().regex(slug, "a free-text problem id is lowercase words joined by '-'");
export const ChoiceId = z.string().regex(slug, "a choice id is lowercase words joined by '-'");
export const GeneratorName = z.string().regex(slug, "a generator name is lowercase words joined by '-'");

const Timestamp = z.iso.datetime({ offset: true }).describe("ISO 8601 date-time");
const Seed = z.number().int("seed must be an integer").min(0, "seed must be >= 0").max(0xffff_ffff, "seed must fit in 32 bits");

// ---------------------------------------------------------------------------------------------
// Checklist (exercises/checklist.json)

export const CHECKLIST_GROUPS = ["concepts", "maths", "implementation", "debugging", "application", "theory", "reproducibility"] as const;
export const ChecklistGroup = z.enum(CHECKLIST_GROUPS).describe("one of the chapter's seven checklist groups");
export type ChecklistGroup = z.infer<typeof ChecklistGroup>;

export const ChecklistEvidence = z
  .discriminatedUnion("kind", [
    z
      .object({
        kind: z.literal("exercise"),
        exercises: z.array(KnownExerciseId).min(1).describe("every one of these needs at least one passing submission"),
      })
      .strict(),
    z
      .object({
        kind: z.literal("quiz"),
        quiz: QuizId.describe("a passed result of this quiz completes the item"),
        orFreeText: z
          .array(FreeTextId)
          .min(1)
          .optional()
          .describe("free-text problems whose passing instructor review also completes the item"),
      })
      .strict(),
    z.object({ kind: z.literal("self") }).strict().describe("nothing can be checked: the learner's own latest tick decides"),
  ])
  .describe("what completes a checklist item");
export type ChecklistEvidence = z.infer<typeof ChecklistEvidence>;

export const ChecklistItem = z
  .object({
    id: ChecklistItemId.describe("permanent id (docs/checklist-ids.md)"),
    group: ChecklistGroup,
    text: Localized.describe("what the learner can do once the item is complete"),
    evidence: ChecklistEvidence,
  })
  .strict();
export type ChecklistItem = z.infer<typeof ChecklistItem>;

export const ChecklistMarks = z
  .object({
    minimum: z.number().int().positive().describe("items needed for the minimum standard"),
    recommended: z.number().int().positive().describe("items needed for the recommended standard"),
    excellent: z.number().int().positive().describe("items needed for the excellent standard"),
  })
  .strict()
  .refine((m) => m.minimum < m.recommended && m.recommended < m.excellent, "marks must rise: minimum < recommended < excellent");
export type ChecklistMarks = z.infer<typeof ChecklistMarks>;

/** exercises/checklist.json */
export const ChecklistFile = z
  .object({
    marks: ChecklistMarks,
    groups: z
      .array(z.object({ id: ChecklistGroup, title: Localized }).strict())
      .length(CHECKLIST_GROUPS.length)
      .describe("display order and titles of the groups"),
    items: z.array(ChecklistItem).min(1),
  })
  .strict()
  .superRefine((file, ctx) => {
    const seen = new Set<string>();
    file.items.forEach((item, i) => {
      if (seen.has(item.id)) ctx.addIssue({ code: "custom", path: ["items", i, "id"], message: `duplicate item id '${item.id}'` });
      seen.add(item.id);
    });
    const groups = new Set(file.groups.map((g) => g.id));
    if (groups.size !== CHECKLIST_GROUPS.length) ctx.addIssue({ code: "custom", path: ["groups"], message: "every group exactly once" });
    if (file.marks.excellent > file.items.length) {
      ctx.addIssue({ code: "custom", path: ["marks", "excellent"], message: `more than the ${file.items.length} items` });
    }
  });
export type ChecklistFile = z.infer<typeof ChecklistFile>;

// ---------------------------------------------------------------------------------------------
// Quizzes (exercises/quizzes/<id>.json)

export const UNIT_SYMBOLS = ["B", "kB", "MB", "GB", "TB", "KiB", "MiB", "GiB", "TiB"] as const;
export const UnitSymbol = z.enum(UNIT_SYMBOLS);
export type UnitSymbol = z.infer<typeof UnitSymbol>;

/** Size of each unit in its family's base unit (bytes): decimal SI prefixes and binary IEC ones. */
export const UNIT_FACTORS: Readonly<Record<UnitSymbol, number>> = {
  B: 1,
  kB: 1e3,
  MB: 1e6,
  GB: 1e9,
  TB: 1e12,
  KiB: 2 ** 10,
  MiB: 2 ** 20,
  GiB: 2 ** 30,
  TiB: 2 ** 40,
};

export const UnitSpec = z
  .object({
    accepted: z.array(UnitSymbol).min(1).describe("units the answer may be given in; the first two are used to show the answer"),
    defaultUnit: UnitSymbol.nullable().describe("unit of a bare number; null: the answer must state its unit"),
  })
  .strict()
  .refine((u) => u.defaultUnit === null || u.accepted.includes(u.defaultUnit), "defaultUnit must be one of accepted");
export type UnitSpec = z.infer<typeof UnitSpec>;

export const NumericTolerance = z
  .object({
    abs: z.number().nonnegative().optional().describe("absolute tolerance in the base unit"),
    rel: z.number().nonnegative().optional().describe("relative tolerance; passes when |a - e| <= abs + rel * |e|"),
  })
  .strict()
  .refine((t) => t.abs !== undefined || t.rel !== undefined, "give abs, rel or both");
export type NumericTolerance = z.infer<typeof NumericTolerance>;

export const Choice = z.object({ id: ChoiceId, text: Localized }).strict();
export type Choice = z.infer<typeof Choice>;

const questionBase = {
  id: TestId.describe("permanent question id within the quiz"),
  text: Localized.describe("the question; a generated question fills {{name}} placeholders from its variant's parameters"),
  explanation: Localized.describe("shown after answering, right or wrong; never names a variant's numbers"),
};

export const SingleChoiceQuestion = z
  .object({
    kind: z.literal("single"),
    ...questionBase,
    choices: z.array(Choice).min(2).max(8),
    answer: ChoiceId.describe("the one correct choice"),
  })
  .strict();
export const MultipleChoiceQuestion = z
  .object({
    kind: z.literal("multiple"),
    ...questionBase,
    choices: z.array(Choice).min(2).max(8),
    answers: z.array(ChoiceId).min(1).describe("exactly the correct choices; the answer must select all and only these"),
  })
  .strict();
/**
 * The rounding a numeric question asks for, and so the tolerance it may have: half a unit in the
 * last place asked for, the largest error a correctly rounded answer can have. A wrong last digit is
 * outside it, and so is an answer with fewer places than asked.
 */
export const NumericRounding = z
  .discriminatedUnion("kind", [
    z.object({ kind: z.literal("integer").describe("the answer is a whole number") }).strict(),
    z
      .object({
        kind: z.literal("decimals"),
        places: z.number().int().min(1).max(6).describe("the question says: give this many decimal places"),
      })
      .strict(),
    z
      .object({
        kind: z.literal("significant"),
        figures: z.number().int().min(2).max(6).describe("the question says: give this many significant figures"),
      })
      .strict(),
  ])
  .describe("the rounding the question asks for; it fixes the tolerance");
export type NumericRounding = z.infer<typeof NumericRounding>;

/** The only tolerance a rounding justifies. */
export function toleranceForRounding(r: NumericRounding): NumericTolerance {
  switch (r.kind) {
    case "integer":
      return { abs: 0.5 };
    case "decimals":
      return { abs: 0.5 / 10 ** r.places };
    case "significant":
      // A value rounded to s figures is off by at most half a unit of its s-th figure, which is at
      // most 0.5 * 10^(1-s) of the value (the worst case is a leading digit of 1).
      return { rel: 0.5 / 10 ** (r.figures - 1) };
  }
}

/** Words the question text must contain for its rounding, so the student is told what is asked. */
export function roundingWords(r: NumericRounding): Localized | null {
  switch (r.kind) {
    case "integer":
      return null;
    case "decimals":
      return { ja: `小数第 ${r.places} 位`, en: `${NUMBER_WORDS[r.places]} decimal place` };
    case "significant":
      return { ja: `有効数字 ${r.figures} 桁`, en: `${NUMBER_WORDS[r.figures]} significant figure` };
  }
}
const NUMBER_WORDS = ["zero", "one", "two", "three", "four", "five", "six"];

export const NumericQuestion = z
  .object({
    kind: z.literal("numeric"),
    ...questionBase,
    answer: z.number().optional().describe("fixed answer in the base unit; absent when a generator computes it"),
    generator: GeneratorName.optional().describe("variant generator (apps/grader/src/quiz/variants.ts) that draws the numbers and computes the answer"),
    rounding: NumericRounding,
    tolerance: NumericTolerance.describe("must be what the rounding justifies (toleranceForRounding)"),
    unit: UnitSpec.optional().describe("absent: a plain number without unit"),
  })
  .strict();
export const ShapeQuestion = z
  .object({
    kind: z.literal("shape"),
    ...questionBase,
    answer: z.array(z.number().int().nonnegative()).max(8).optional().describe("fixed answer; absent when a generator computes it"),
    generator: GeneratorName.optional(),
  })
  .strict();

export const Question = z
  .discriminatedUnion("kind", [SingleChoiceQuestion, MultipleChoiceQuestion, NumericQuestion, ShapeQuestion])
  .superRefine((q, ctx) => {
    if (q.kind === "single" || q.kind === "multiple") {
      const ids = q.choices.map((c) => c.id);
      if (new Set(ids).size !== ids.length) ctx.addIssue({ code: "custom", path: ["choices"], message: "choice ids must be unique" });
      const correct = q.kind === "single" ? [q.answer] : q.answers;
      for (const a of correct) {
        if (!ids.includes(a)) ctx.addIssue({ code: "custom", path: [q.kind === "single" ? "answer" : "answers"], message: `'${a}' is not a choice` });
      }
      return;
    }
    if (q.kind === "numeric") {
      const justified = toleranceForRounding(q.rounding);
      const same = (a: number | undefined, b: number | undefined) => (a === undefined ? b === undefined : b !== undefined && Math.abs(a - b) <= 1e-12 * b);
      if (!same(q.tolerance.abs, justified.abs) || !same(q.tolerance.rel, justified.rel)) {
        ctx.addIssue({
          code: "custom",
          path: ["tolerance"],
          message: `rounding ${JSON.stringify(q.rounding)} justifies the tolerance ${JSON.stringify(justified)}, not ${JSON.stringify(q.tolerance)}`,
        });
      }
      const words = roundingWords(q.rounding);
      if (words !== null && (!q.text.ja.includes(words.ja) || !q.text.en.includes(words.en))) {
        ctx.addIssue({ code: "custom", path: ["text"], message: `the text must ask for the rounding: "${words.ja}" / "${words.en}"` });
      }
    }
    if ((q.answer === undefined) === (q.generator === undefined)) {
      ctx.addIssue({ code: "custom", path: ["answer"], message: "give either a fixed answer or a generator, not both" });
    }
    if (q.generator === undefined && /\{\{/.test(q.text.ja + q.text.en)) {
      ctx.addIssue({ code: "custom", path: ["text"], message: "only a generated question has {{placeholders}}" });
    }
  });
export type Question = z.infer<typeof Question>;
export type QuestionKind = Question["kind"];

/** exercises/quizzes/<id>.json */
export const QuizFile = z
  .object({
    id: QuizId.describe("stable id; equals the file name"),
    title: Localized,
    chapterSection: z.string().regex(/^\d+(\.\d+)*$|^pitfalls$|^reproducibility$|^licences$/).describe("the chapter section it checks"),
    questions: z.array(Question).min(1),
  })
  .strict()
  .superRefine((quiz, ctx) => {
    const ids = quiz.questions.map((q) => q.id);
    if (new Set(ids).size !== ids.length) ctx.addIssue({ code: "custom", path: ["questions"], message: "question ids must be unique" });
  });
export type QuizFile = z.infer<typeof QuizFile>;

/** A numeric answer given with its unit as separate fields. */
export const NumericAnswer = z
  .object({ value: z.number().describe("the number"), unit: z.string().max(16).optional().describe("e.g. GB or GiB") })
  .strict();
export type NumericAnswer = z.infer<typeof NumericAnswer>;

export const QuizAnswer = z
  .union([
    z.string().max(200).describe("a choice id, a number with optional unit ('23.8 GiB'), or a shape ('(2, 8, 5, 7)')"),
    z.number().describe("a number in the question's default unit"),
    z.array(z.string().max(64)).max(16).describe("choice ids of a multiple-choice question"),
    z.array(z.number()).max(8).describe("a shape as a list of sizes"),
    NumericAnswer,
  ])
  .describe("one question's answer; which forms fit depends on the question's kind");
export type QuizAnswer = z.infer<typeof QuizAnswer>;

const quizAnswerFields = {
  answers: z.record(TestId, QuizAnswer).describe("question id -> answer; an unanswered question counts as wrong"),
  seed: Seed.describe("the seed the quiz was rendered with; replays its randomised variants"),
  lang: Lang.default("ja").describe("language of the plain-text summary"),
};

/** POST /v1/quizzes/:id/grade */
export const QuizAnswerBody = z.object(quizAnswerFields).strict();
export type QuizAnswerBody = z.input<typeof QuizAnswerBody>;

export const QuizGradeRequest = z.object({ quizId: QuizId, ...quizAnswerFields }).strict();
export type QuizGradeRequest = z.input<typeof QuizGradeRequest>;
export type ParsedQuizGradeRequest = z.output<typeof QuizGradeRequest>;

const renderedBase = {
  id: TestId,
  number: z.number().int().positive().describe("1-based position in the quiz"),
  text: Localized.describe("the question with this seed's numbers filled in"),
  hidden: z.boolean().describe("a randomised variant: graded as a hidden test"),
};

/** What a student sees of one question: never the answer or the explanation. */
export const RenderedQuestion = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("single"), ...renderedBase, choices: z.array(Choice) }).strict(),
  z.object({ kind: z.literal("multiple"), ...renderedBase, choices: z.array(Choice) }).strict(),
  z.object({ kind: z.literal("numeric"), ...renderedBase, unit: UnitSpec.nullable() }).strict(),
  z.object({ kind: z.literal("shape"), ...renderedBase }).strict(),
]);
export type RenderedQuestion = z.infer<typeof RenderedQuestion>;

export const RenderedQuiz = z
  .object({
    id: QuizId,
    version: z.string().describe("content hash of the quiz and its generators"),
    title: Localized,
    chapterSection: z.string(),
    seed: Seed.describe("send it back with the answers"),
    questions: z.array(RenderedQuestion),
  })
  .strict();
export type RenderedQuiz = z.infer<typeof RenderedQuiz>;

export const QuizSummary = z
  .object({
    id: QuizId,
    version: z.string(),
    title: Localized,
    chapterSection: z.string(),
    questionCount: z.number().int().nonnegative(),
    hiddenCount: z.number().int().nonnegative().describe("randomised questions"),
    checklist: z.array(ChecklistItemId).describe("checklist items a pass completes"),
  })
  .strict();
export type QuizSummary = z.infer<typeof QuizSummary>;

// ---------------------------------------------------------------------------------------------
// Free-text problems (exercises/free-text/<id>.json)

export const RubricCriterion = z
  .object({
    id: z.string().regex(slug, "a criterion id is lowercase words joined by '-'"),
    text: Localized.describe("what the reviewer looks for"),
    points: z.number().int().positive(),
  })
  .strict();
export type RubricCriterion = z.infer<typeof RubricCriterion>;

export const Rubric = z
  .object({
    criteria: z.array(RubricCriterion).min(1),
    passPoints: z.number().int().positive().describe("points a review needs to count as passed"),
  })
  .strict()
  .refine((r) => r.passPoints <= r.criteria.reduce((s, c) => s + c.points, 0), "passPoints exceeds the total");
export type Rubric = z.infer<typeof Rubric>;

export const FREE_TEXT_HARD_LIMIT = 20_000;

/** exercises/free-text/<id>.json */
export const FreeTextProblem = z
  .object({
    id: FreeTextId.describe("stable id; equals the file name"),
    title: Localized,
    chapterSection: z.string().regex(/^\d+(\.\d+)*$|^exercises$/),
    statement: Localized.describe("Markdown statement shown to the student"),
    maxChars: z.number().int().min(100).max(FREE_TEXT_HARD_LIMIT).describe("longest accepted answer, in characters"),
    rubric: Rubric.describe("for the instructor; shown to self-learners only after they answer"),
    modelAnswer: Localized.describe("written by us; shown after answering"),
  })
  .strict();
export type FreeTextProblem = z.infer<typeof FreeTextProblem>;

export const PublicFreeTextProblem = FreeTextProblem.pick({ id: true, title: true, chapterSection: true, statement: true, maxChars: true });
export type PublicFreeTextProblem = z.infer<typeof PublicFreeTextProblem>;

/** POST /v1/free-text/:id/answer */
export const FreeTextAnswerBody = z
  .object({
    text: z.string().max(FREE_TEXT_HARD_LIMIT, `text is longer than ${FREE_TEXT_HARD_LIMIT} characters`).describe("the answer"),
    lang: Lang.default("ja").describe("language the answer is written in (kept for the reviewer)"),
  })
  .strict();
export type FreeTextAnswerBody = z.input<typeof FreeTextAnswerBody>;

export const FreeTextAnswerResponse = z
  .object({
    accepted: z.literal(true),
    problemId: FreeTextId,
    lang: Lang,
    characters: z.number().int().positive(),
    modelAnswer: Localized,
    rubric: Rubric,
  })
  .strict();
export type FreeTextAnswerResponse = z.infer<typeof FreeTextAnswerResponse>;

// ---------------------------------------------------------------------------------------------
// Learner history and progress (computed by @tfm/progress)

export const SubmissionRecord = z
  .object({
    submissionId: z.string().min(1),
    exerciseId: ExerciseId,
    verdict: Verdict,
    at: Timestamp.describe("when it was graded"),
  })
  .strict();
export type SubmissionRecord = z.infer<typeof SubmissionRecord>;

export const QuizResultRecord = z
  .object({
    resultId: z.string().min(1),
    quizId: QuizId,
    verdict: Verdict,
    seed: Seed.optional(),
    at: Timestamp,
  })
  .strict();
export type QuizResultRecord = z.infer<typeof QuizResultRecord>;

export const SelfAssessment = z
  .object({ itemId: ChecklistItemId, checked: z.boolean(), at: Timestamp })
  .strict()
  .describe("the learner ticking (or unticking) a self-assessed item");
export type SelfAssessment = z.infer<typeof SelfAssessment>;

export const FreeTextReview = z
  .object({
    reviewId: z.string().min(1),
    problemId: FreeTextId,
    points: z.number().int().nonnegative(),
    maxPoints: z.number().int().positive(),
    passed: z.boolean().describe("points reached the rubric's passPoints"),
    reviewer: z.string().min(1).optional(),
    at: Timestamp,
  })
  .strict();
export type FreeTextReview = z.infer<typeof FreeTextReview>;

export const LearnerEvidence = z
  .object({
    submissions: z.array(SubmissionRecord).default([]),
    quizResults: z.array(QuizResultRecord).default([]),
    selfAssessments: z.array(SelfAssessment).default([]),
    reviews: z.array(FreeTextReview).default([]),
  })
  .strict();
export type LearnerEvidence = z.output<typeof LearnerEvidence>;

export const PROGRESS_LEVELS = ["none", "minimum", "recommended", "excellent"] as const;
export const ProgressLevel = z.enum(PROGRESS_LEVELS);
export type ProgressLevel = z.infer<typeof ProgressLevel>;

/** What ticked an item. */
export const ItemEvidence = z.discriminatedUnion("kind", [
  z
    .object({
      kind: z.literal("exercise"),
      submissions: z
        .array(z.object({ exerciseId: ExerciseId, submissionId: z.string(), at: Timestamp }).strict())
        .describe("the first passing submission of each exercise"),
    })
    .strict(),
  z.object({ kind: z.literal("quiz"), quizId: QuizId, resultId: z.string(), at: Timestamp }).strict(),
  z.object({ kind: z.literal("review"), problemId: FreeTextId, reviewId: z.string(), at: Timestamp }).strict(),
  z.object({ kind: z.literal("self"), at: Timestamp }).strict(),
]);
export type ItemEvidence = z.infer<typeof ItemEvidence>;

export const ItemProgress = z
  .object({
    id: ChecklistItemId,
    group: ChecklistGroup,
    done: z.boolean(),
    evidence: ItemEvidence.nullable().describe("null while not done"),
    at: Timestamp.nullable().describe("when the item became done"),
    pending: z.array(z.string()).describe("exercises without a passing submission, or the quiz still to pass"),
  })
  .strict();
export type ItemProgress = z.infer<typeof ItemProgress>;

export const GroupProgress = z.object({ done: z.number().int().nonnegative(), total: z.number().int().nonnegative() }).strict();

export const Progress = z
  .object({
    items: z.array(ItemProgress),
    doneCount: z.number().int().nonnegative(),
    total: z.number().int().nonnegative(),
    byGroup: z.record(ChecklistGroup, GroupProgress),
    level: ProgressLevel,
    marks: ChecklistMarks,
  })
  .strict();
export type Progress = z.infer<typeof Progress>;
