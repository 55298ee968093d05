import { GradeResult, type QuizAnswer, RenderedQuiz } from "@tfm/contract";
import { deriveSeed } from "@tfm/spec";
import { describe, expect, it } from "vitest";
import { answerKey } from "./answer-key.ts";
import { unitFactor } from "./answers.ts";
import { loadQuizCatalog } from "./catalog.ts";
import { QuizAnswerError, UnknownQuizError, gradeQuiz } from "./grade.ts";
import { type QuestionInstance, instantiateQuiz } from "./instance.ts";
import { renderQuiz } from "./render.ts";

const catalog = loadQuizCatalog();
const quizzes = [...catalog.quizzes.values()];
const SEEDS = [0, 1, 42, 0xffff_ffff, deriveSeed(7, "quiz-grade"), deriveSeed(8, "quiz-grade")];

function grade(quizId: string, answers: Record<string, QuizAnswer>, seed = 42, lang: "ja" | "en" = "ja") {
  return gradeQuiz({ quizId, answers, seed, lang }, catalog);
}

function entryOf(id: string) {
  const e = catalog.quizzes.get(id);
  if (e === undefined) throw new Error(`no quiz ${id}`);
  return e;
}

/** The id a seed's variant gives the choice that the quiz file calls `sourceId`. */
function idOf(quizId: string, questionId: string, sourceId: string, seed = 42): string {
  const { quiz } = entryOf(quizId);
  const source = quiz.questions.find((q) => q.id === questionId);
  if (source === undefined || (source.kind !== "single" && source.kind !== "multiple")) throw new Error(`${quizId}/${questionId} is not a choice question`);
  const text = source.choices.find((c) => c.id === sourceId)?.text.en;
  const inst = instantiateQuiz(quiz, seed).find((i) => i.question.id === questionId);
  if (inst === undefined || (inst.kind !== "single" && inst.kind !== "multiple")) throw new Error("no instance");
  const id = inst.choices.find((c) => c.text.en === text)?.id;
  if (id === undefined) throw new Error(`${quizId}/${questionId} has no choice '${sourceId}'`);
  return id;
}

function testOf(result: GradeResult, id: string) {
  const t = result.tests.find((x) => x.id === id);
  if (t === undefined) throw new Error(`no test ${id}`);
  return t;
}

/** A wrong answer of the right form for each kind of question. */
function wrongAnswer(inst: QuestionInstance): QuizAnswer {
  switch (inst.kind) {
    case "single": {
      const other = inst.choices.find((c) => c.id !== inst.expected);
      if (other === undefined) throw new Error("no wrong choice");
      return other.id;
    }
    case "multiple":
      return inst.expected.length > 1 ? inst.expected.slice(1) : [...inst.expected, ...inst.choices.filter((c) => !inst.expected.includes(c.id)).map((c) => c.id)];
    case "numeric": {
      const unit = inst.question.unit?.accepted[0];
      const wrong = inst.expected * 3 + 7;
      return unit === undefined ? wrong : { value: wrong / unitFactor(unit), unit };
    }
    case "shape":
      return `(${inst.expected.map((s, i) => (i === inst.expected.length - 1 ? s + 1 : s)).join(", ")})`;
  }
}

describe.each(quizzes.map((e) => [e.quiz.id, e] as const))("quiz %s", (id, entry) => {
  it("passes with every right answer, for every seed", () => {
    for (const seed of SEEDS) {
      const r = grade(id, answerKey(entry.quiz, seed), seed);
      expect(GradeResult.safeParse(r).success).toBe(true);
      expect(r.tests.filter((t) => t.status !== "passed").map((t) => t.message.en)).toEqual([]);
      expect(r).toMatchObject({ verdict: "passed", score: 1, exerciseId: id, exerciseVersion: entry.version, seed, passed: r.total });
      expect(r.total).toBe(entry.quiz.questions.length);
    }
  });

  it("fails with every wrong answer, explaining each question", () => {
    for (const seed of SEEDS) {
      const instances = instantiateQuiz(entry.quiz, seed);
      const r = grade(id, Object.fromEntries(instances.map((i) => [i.question.id, wrongAnswer(i)])), seed, "en");
      expect(r).toMatchObject({ verdict: "failed", score: 0, passed: 0, lang: "en" });
      for (const [t, inst] of r.tests.map((t, i) => [t, instances[i]] as const)) {
        if (inst === undefined) throw new Error("instance");
        expect(t.status).toBe("failed");
        expect(t.message.ja).toContain(inst.question.explanation.ja);
        expect(t.message.en).toContain(inst.question.explanation.en);
        expect(t.kind).toBe(inst.hidden ? "hidden" : "public");
        // A hidden variant never states its own expected answer.
        if (inst.hidden) expect(t.message.en).not.toMatch(/Answer:/);
        else expect(t.message.en).toMatch(/Answer:/);
      }
    }
  });

  it("renders for a student without answers or explanations", () => {
    for (const seed of SEEDS) {
      const rendered = renderQuiz(entry, seed);
      expect(RenderedQuiz.safeParse(rendered).success).toBe(true);
      const text = JSON.stringify(rendered);
      expect(text).not.toMatch(/"answers?"|"explanation"|"generator"|"tolerance"/);
      expect(text).not.toContain("{{");
      expect(rendered.seed).toBe(seed);
      for (const q of entry.quiz.questions) expect(text).not.toContain(q.explanation.en);
      expect(renderQuiz(entry, seed)).toEqual(rendered);
      const original = new Map(entry.quiz.questions.map((q) => [q.id, q]));
      for (const q of rendered.questions) {
        const source = original.get(q.id);
        if ((q.kind === "single" || q.kind === "multiple") && (source?.kind === "single" || source?.kind === "multiple")) {
          // The same choices, under ids made for this variant: none of the file's ids reaches the page.
          const texts = (cs: readonly { text: { en: string } }[]) => cs.map((c) => c.text.en).sort();
          expect(texts(q.choices)).toEqual(texts(source.choices));
          for (const c of q.choices) expect(source.choices.map((s) => s.id)).not.toContain(c.id);
          expect(new Set(q.choices.map((c) => c.id)).size).toBe(q.choices.length);
        }
      }
    }
  });
});

describe("randomised variants", () => {
  it("replay exactly with the same seed", () => {
    for (const { quiz } of quizzes) {
      for (const seed of SEEDS) {
        const a = grade(quiz.id, answerKey(quiz, seed), seed);
        const b = grade(quiz.id, answerKey(quiz, seed), seed);
        const strip = (r: GradeResult) => ({ ...r, timings: null, tests: r.tests.map((t) => ({ ...t, durationMs: 0 })) });
        expect(strip(a)).toEqual(strip(b));
      }
    }
  });

  it("differ across seeds, and one seed's answers fail another seed's variants", () => {
    const entry = entryOf("math-shapes");
    const texts = new Set(SEEDS.map((s) => JSON.stringify(renderQuiz(entry, s).questions.filter((q) => q.hidden).map((q) => q.text))));
    expect(texts.size).toBe(SEEDS.length);
    const r = grade("math-shapes", answerKey(entry.quiz, 1), 2);
    expect(r.tests.filter((t) => t.kind === "public").every((t) => t.status === "passed")).toBe(true);
    expect(r.tests.filter((t) => t.kind === "hidden").some((t) => t.status === "failed")).toBe(true);
  });

  it("shuffle choices per seed but keep their ids", () => {
    const entry = entryOf("concept-bert-vs-gpt");
    const orders = new Set(SEEDS.map((s) => renderQuiz(entry, s).questions.map((q) => ("choices" in q ? q.choices.map((c) => c.id).join("") : "")).join("|")));
    expect(orders.size).toBeGreaterThan(1);
  });
});

describe("numeric answers", () => {
  const memory = (answer: QuizAnswer) => testOf(grade("theory-complexity", { "chapter-memory": answer }), "chapter-memory");

  it.each([
    "25.6 GB",
    "25.6GB",
    "23.8 GiB",
    "23.84 gib",
    "24 GiB",
    "2.56e10 B",
    "25,600,000,000 B",
    "25600 MB",
    "0.0256 TB",
    "約 23.8 GiB",
  ])("accepts the 64 x 10000 x 10000 float32 matrix as %j", (answer) => {
    expect(memory(answer).status).toBe("passed");
  });

  it("accepts a value with its unit as separate fields", () => {
    expect(memory({ value: 23.84, unit: "GiB" }).status).toBe("passed");
    expect(memory({ value: 25.6, unit: "GB" }).status).toBe("passed");
  });

  it("rejects the chapter's rounded '24 GB' and says the number fits GiB", () => {
    const t = memory("24 GB");
    expect(t.status).toBe("failed");
    expect(t.message.ja).toContain("GiB");
    expect(t.message.en).toContain("would be right in GiB");
    expect(t.message.en).toContain("25.6 GB = 23.8419 GiB");
    expect(t.maxRelError).toBeCloseTo(0.0625, 4);
  });

  it("rejects 23.8 written as GB with the same hint", () => {
    expect(memory("23.8 GB").message.en).toContain("would be right in GiB");
    expect(memory("25.6 GiB").message.en).toContain("would be right in GB");
  });

  it("asks for a unit when a unit is required", () => {
    const t = memory(25.6);
    expect(t.status).toBe("failed");
    expect(t.message.en).toContain("State the unit");
    expect(memory("25.6").message.ja).toContain("単位を付けて");
  });

  it("refuses units the question does not accept", () => {
    const t = memory("25.6 bytes");
    expect(t.status).toBe("failed");
    expect(t.message.en).toContain('The unit "bytes" is not accepted');
  });

  it("refuses a unit on a plain-number question", () => {
    const t = testOf(grade("concept-multi-head-why", { "head-dim": "64 GB" }), "head-dim");
    expect(t.status).toBe("failed");
    expect(t.message.en).toContain("plain number without a unit");
  });

  it("reads unreadable text as a wrong answer with a reason, not a bad request", () => {
    const t = testOf(grade("math-multi-head", { "count-fixed": "about a million" }), "count-fixed");
    expect(t.status).toBe("failed");
    expect(t.message.en).toContain("Could not read");
  });

  it("applies absolute tolerances", () => {
    const worked = (a: QuizAnswer) => testOf(grade("math-attention-formula", { "worked-example": a }), "worked-example").status;
    expect(worked(1.391)).toBe("passed");
    expect(worked("1.3911")).toBe("passed");
    // Three decimal places are asked for: a wrong third digit, or only two places, is wrong.
    expect(worked("1.39")).toBe("failed");
    expect(worked(1.392)).toBe("failed");
    expect(worked(1.394)).toBe("failed");
    expect(worked(1.238)).toBe("failed");
    const pe = (a: QuizAnswer) => testOf(grade("math-positional-encoding", { "fixed-value": a }), "fixed-value").status;
    expect(pe(0.921)).toBe("passed");
    expect(pe("0.9211")).toBe("passed");
    expect(pe(0.922)).toBe("failed");
    expect(pe(0.999)).toBe("failed");
    expect(pe(0.389)).toBe("failed");
    const count = (a: QuizAnswer) => testOf(grade("math-multi-head", { "count-fixed": a }), "count-fixed").status;
    expect(count(1_050_624)).toBe("passed");
    expect(count("1,050,624")).toBe("passed");
    expect(count(1_048_576)).toBe("failed");
  });

  it("reports errors for public questions only", () => {
    const pub = testOf(grade("math-multi-head", { "count-fixed": 1_048_576 }), "count-fixed");
    expect(pub.maxAbsError).toBe(2048);
    const hidden = testOf(grade("math-multi-head", { "count-variant": 1 }), "count-variant");
    expect(hidden.kind).toBe("hidden");
    expect(hidden.maxAbsError).toBeNull();
    expect(hidden.maxRelError).toBeNull();
  });
});

describe("shape answers", () => {
  const qk = (answer: QuizAnswer) => testOf(grade("math-shapes", { "qk-fixed": answer }), "qk-fixed");

  it.each(["(2, 8, 5, 7)", "[2, 8, 5, 7]", "2, 8, 5, 7", "2 8 5 7", "(2,8,5,7)", "torch.Size([2, 8, 5, 7])"])("accepts %j", (answer) => {
    expect(qk(answer).status).toBe("passed");
  });

  it("accepts a list of sizes", () => {
    expect(qk([2, 8, 5, 7]).status).toBe("passed");
    expect(qk([2, 8, 5, 7]).actualShape).toEqual([2, 8, 5, 7]);
  });

  it("rejects a transposed shape and says the order is wrong", () => {
    const t = qk("(2, 8, 7, 5)");
    expect(t.status).toBe("failed");
    expect(t.message.en).toContain("wrong order");
    expect(t.expectedShape).toEqual([2, 8, 5, 7]);
    expect(t.actualShape).toEqual([2, 8, 7, 5]);
  });

  it("rejects a shape with the wrong number of axes", () => {
    const t = qk("(2, 8, 5)");
    expect(t.status).toBe("failed");
    expect(t.message.en).toContain("yours has 3, the answer has 4");
  });

  it("rejects other wrong shapes and unreadable text", () => {
    expect(qk("(2, 8, 5, 64)").status).toBe("failed");
    expect(qk("(2, 8, 5, 7").message.en).toContain("unbalanced brackets");
    expect(qk([2, 8, 5.5, 7]).status).toBe("failed");
  });

  it("keeps a hidden variant's expected shape to itself", () => {
    const t = testOf(grade("math-shapes", { "qk-variant": "(1, 1, 1, 1)" }), "qk-variant");
    expect(t.kind).toBe("hidden");
    expect(t.expectedShape).toBeNull();
    expect(t.message.en).not.toContain("Answer:");
  });
});

describe("choice answers", () => {
  it("grades multiple choice as an exact set, in any order, duplicates ignored", () => {
    const ok = (a: string[]) => testOf(grade("concept-qkv-roles", { "shape-facts": a.map((x) => idOf("concept-qkv-roles", "shape-facts", x)) }), "shape-facts").status;
    const right = entryOf("concept-qkv-roles").quiz.questions.find((q) => q.id === "shape-facts");
    if (right?.kind !== "multiple") throw new Error("shape-facts is a multiple-choice question");
    const [r1, r2, r3] = right.answers;
    const wrong = right.choices.map((c) => c.id).find((c) => !right.answers.includes(c));
    if (r1 === undefined || r2 === undefined || r3 === undefined || wrong === undefined) throw new Error("shape-facts has three right and a wrong choice");
    expect(ok([r3, r1, r2])).toBe("passed");
    expect(ok([r1, r2, r3, r3])).toBe("passed");
    expect(ok([r1, r2])).toBe("failed");
    expect(ok([r1, r2, r3, wrong])).toBe("failed");
    expect(ok([])).toBe("failed");
  });

  it("shows the chosen and the right choice's text after a wrong answer", () => {
    const q = entryOf("concept-qkv-roles").quiz.questions.find((x) => x.id === "key-is-compared");
    const valueChoice = q?.kind === "single" ? q.choices.find((c) => c.text.en === "each token's value")?.id : undefined;
    if (valueChoice === undefined) throw new Error("key-is-compared has a 'value' choice");
    const t = testOf(grade("concept-qkv-roles", { "key-is-compared": idOf("concept-qkv-roles", "key-is-compared", valueChoice) }, 42, "en"), "key-is-compared");
    expect(t.message.en).toContain(`Your answer: "each token's value"`);
    expect(t.message.en).toContain(`Answer: "each token's key"`);
    expect(t.message.ja).toContain("「各トークンの Key」");
  });
});

describe("the result", () => {
  it("counts unanswered questions as wrong and scores the fraction", () => {
    const entry = entryOf("concept-qkv-roles");
    const key = answerKey(entry.quiz, 42);
    const r = grade("concept-qkv-roles", { "key-is-compared": key["key-is-compared"] ?? "" });
    expect(r).toMatchObject({ verdict: "failed", passed: 1, total: 4, score: 0.25 });
    expect(testOf(r, "output-is-weighted-values").message.ja).toMatch(/^未回答です。/);
    expect(r.summary).toEqual({ ja: "不合格: 4 問中 1 問正解", en: "Failed: 1 of 4 questions correct" });
  });

  it("passes only when every question is right", () => {
    const entry = entryOf("theory-complexity");
    const key = answerKey(entry.quiz, 5);
    const { chunking: _dropped, ...allButOne } = key;
    expect(grade("theory-complexity", allButOne, 5).verdict).toBe("failed");
    expect(grade("theory-complexity", key, 5).verdict).toBe("passed");
  });

  it("rejects unknown quizzes, unknown questions and answers of the wrong form", () => {
    expect(() => grade("no-such-quiz", {})).toThrow(UnknownQuizError);
    expect(() => grade("concept-qkv-roles", { "no-such-question": "a" })).toThrow(QuizAnswerError);
    expect(() => grade("concept-qkv-roles", { "key-is-compared": ["a"] })).toThrow(/give one choice id/);
    expect(() => grade("concept-qkv-roles", { "key-is-compared": "z" })).toThrow(/give one choice id/);
    expect(() => grade("concept-qkv-roles", { "shape-facts": "a" })).toThrow(/list of choice ids/);
    expect(() => grade("concept-qkv-roles", { "shape-facts": ["a", "q"] })).toThrow(/list of choice ids/);
    // The file's own ids are not this variant's ids.
    for (const fileId of ["a", "b", "c", "d"]) expect(() => grade("concept-qkv-roles", { "key-is-compared": fileId })).toThrow(/give one choice id/);
    expect(() => grade("math-shapes", { "qk-fixed": { value: 1 } })).toThrow(/shape as a string/);
    expect(() => grade("math-multi-head", { "count-fixed": [1, 2] })).toThrow(/give a number/);
  });
});
