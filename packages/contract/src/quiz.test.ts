import { describe, expect, it } from "vitest";
import { ChecklistEvidence, ChecklistFile, FreeTextProblem, QuizAnswerBody, QuizFile, UNIT_FACTORS } from "./quiz.ts";

const L = (s: string) => ({ ja: `${s} (ja)`, en: s });

const single = { kind: "single", id: "q1", text: L("q"), explanation: L("e"), choices: [{ id: "a", text: L("A") }, { id: "b", text: L("B") }], answer: "a" };
const quiz = (questions: unknown[]) => ({ id: "demo-quiz", title: L("t"), chapterSection: "1.2", questions });
const messages = (r: { success: boolean; error?: { issues: { message: string }[] } }) => r.error?.issues.map((i) => i.message) ?? [];

describe("quiz file schema", () => {
  it("accepts each question kind", () => {
    const r = QuizFile.safeParse(
      quiz([
        single,
        { kind: "multiple", id: "q2", text: L("m"), explanation: L("e"), choices: single.choices, answers: ["a", "b"] },
        { kind: "numeric", id: "q3", text: L("n"), explanation: L("e"), answer: 4, rounding: { kind: "integer" }, tolerance: { abs: 0.5 } },
        {
          kind: "numeric",
          id: "q4",
          text: { ja: "{{d}} バイト、有効数字 3 桁", en: "{{d}} bytes to three significant figures" },
          explanation: L("e"),
          generator: "some-generator",
          rounding: { kind: "significant", figures: 3 },
          tolerance: { rel: 0.005 },
          unit: { accepted: ["GB", "GiB"], defaultUnit: null },
        },
        { kind: "numeric", id: "q6", text: { ja: "小数第 3 位まで", en: "three decimal places" }, explanation: L("e"), answer: 0.1, rounding: { kind: "decimals", places: 3 }, tolerance: { abs: 0.0005 } },
        { kind: "shape", id: "q5", text: L("s"), explanation: L("e"), answer: [2, 8, 5, 7] },
      ]),
    );
    expect(messages(r)).toEqual([]);
  });

  it.each([
    [{ ...single, answer: "z" }, "'z' is not a choice"],
    [{ ...single, choices: [{ id: "a", text: L("A") }, { id: "a", text: L("B") }] }, "choice ids must be unique"],
    [{ kind: "numeric", id: "q", text: L("n"), explanation: L("e"), rounding: { kind: "integer" }, tolerance: { abs: 0.5 } }, "give either a fixed answer or a generator, not both"],
    [{ kind: "numeric", id: "q", text: L("n"), explanation: L("e"), answer: 1, generator: "g", rounding: { kind: "integer" }, tolerance: { abs: 0.5 } }, "give either a fixed answer or a generator, not both"],
    [{ kind: "numeric", id: "q", text: L("n"), explanation: L("e"), answer: 1, rounding: { kind: "integer" }, tolerance: {} }, "give abs, rel or both"],
    [{ kind: "numeric", id: "q", text: L("{{n}}"), explanation: L("e"), answer: 1, rounding: { kind: "integer" }, tolerance: { abs: 0.5 } }, "only a generated question has {{placeholders}}"],
    [{ kind: "numeric", id: "q", text: L("n"), explanation: L("e"), answer: 1, tolerance: { abs: 1 }, unit: { accepted: ["GB"], defaultUnit: "GiB" } }, "defaultUnit must be one of accepted"],
    [{ ...single, explanation: { ja: "", en: "e" } }, "Too small: expected string to have >=1 characters"],
    [
      { kind: "numeric", id: "q", text: L("n"), explanation: L("e"), answer: 1, rounding: { kind: "integer" }, tolerance: { abs: 2 } },
      'rounding {"kind":"integer"} justifies the tolerance {"abs":0.5}, not {"abs":2}',
    ],
    [
      { kind: "numeric", id: "q", text: { ja: "小数第 3 位まで", en: "three decimal places" }, explanation: L("e"), answer: 1, rounding: { kind: "decimals", places: 3 }, tolerance: { abs: 0.002 } },
      'rounding {"kind":"decimals","places":3} justifies the tolerance {"abs":0.0005}, not {"abs":0.002}',
    ],
    [
      { kind: "numeric", id: "q", text: L("what is it?"), explanation: L("e"), answer: 1, rounding: { kind: "decimals", places: 2 }, tolerance: { abs: 0.005 } },
      'the text must ask for the rounding: "小数第 2 位" / "two decimal place"',
    ],
  ])("rejects %j", (question, message) => {
    expect(messages(QuizFile.safeParse(quiz([question])))).toContain(message);
  });

  it("rejects duplicate question ids and unknown fields", () => {
    expect(messages(QuizFile.safeParse(quiz([single, single])))).toContain("question ids must be unique");
    expect(QuizFile.safeParse({ ...quiz([single]), extra: 1 }).success).toBe(false);
    expect(QuizFile.safeParse(quiz([{ ...single, hint: L("h") }])).success).toBe(false);
  });
});

describe("checklist schema", () => {
  it("only lets items name the 23 exercises", () => {
    expect(ChecklistEvidence.safeParse({ kind: "exercise", exercises: ["layer-norm"] }).success).toBe(true);
    expect(messages(ChecklistEvidence.safeParse({ kind: "exercise", exercises: ["layer-normalisation"] }))).toEqual([
      "'layer-normalisation' is not one of the course's 23 exercises",
    ]);
    expect(ChecklistEvidence.safeParse({ kind: "exercise", exercises: [] }).success).toBe(false);
    expect(ChecklistEvidence.safeParse({ kind: "self", quiz: "x" }).success).toBe(false);
  });

  it("checks marks and duplicate ids", () => {
    const groups = ["concepts", "maths", "implementation", "debugging", "application", "theory", "reproducibility"].map((id) => ({ id, title: L(id) }));
    const item = { id: "repro-seed", group: "reproducibility", text: L("x"), evidence: { kind: "self" } };
    expect(messages(ChecklistFile.safeParse({ marks: { minimum: 1, recommended: 1, excellent: 2 }, groups, items: [item, { ...item, id: "b" }] }))).toContain(
      "marks must rise: minimum < recommended < excellent",
    );
    expect(messages(ChecklistFile.safeParse({ marks: { minimum: 1, recommended: 2, excellent: 3 }, groups, items: [item, item] }))).toEqual(
      expect.arrayContaining(["duplicate item id 'repro-seed'", "more than the 2 items"]),
    );
  });
});

describe("answers and free text", () => {
  it("default the language and require a 32-bit seed", () => {
    expect(QuizAnswerBody.parse({ answers: { q1: "a", q2: ["a"], q3: 1, q4: [2, 8], q5: { value: 1, unit: "GB" } }, seed: 0 }).lang).toBe("ja");
    expect(QuizAnswerBody.safeParse({ answers: {}, seed: 2 ** 32 }).success).toBe(false);
    expect(QuizAnswerBody.safeParse({ answers: {} }).success).toBe(false);
  });

  it("keeps passPoints within the rubric's total", () => {
    const problem = {
      id: "p",
      title: L("t"),
      chapterSection: "exercises",
      statement: L("s"),
      maxChars: 500,
      rubric: { criteria: [{ id: "c", text: L("c"), points: 2 }], passPoints: 3 },
      modelAnswer: L("m"),
    };
    expect(messages(FreeTextProblem.safeParse(problem))).toContain("passPoints exceeds the total");
  });

  it("knows decimal and binary byte units", () => {
    expect(UNIT_FACTORS.GB).toBe(1e9);
    expect(UNIT_FACTORS.GiB).toBe(1_073_741_824);
  });
});
