import type { QuizAnswer, RenderedQuestion } from "@tfm/contract";
import { describe, expect, it } from "vitest";
import { loadQuizCatalog } from "./catalog.ts";
import { gradeQuiz } from "./grade.ts";
import { instantiateQuiz } from "./instance.ts";
import { renderQuiz } from "./render.ts";

/**
 * Quizzes cannot be passed blind: a student who answers from what the page shows of a choice
 * (its id, its position) and not from its meaning must do no better than chance, and never pass.
 */
const catalog = loadQuizCatalog();
const quizzes = [...catalog.quizzes.values()];
const SEEDS = Array.from({ length: 200 }, (_, i) => (i * 2_654_435_761) >>> 0);

type Pick = (ids: readonly string[]) => string;
const byId = (ids: readonly string[]) => [...ids].sort();
const STRATEGIES: Record<string, Pick> = {
  "first shown": (ids) => ids[0] ?? "",
  "last shown": (ids) => ids[ids.length - 1] ?? "",
  "second shown": (ids) => ids[1] ?? "",
  "smallest id": (ids) => byId(ids)[0] ?? "",
  "largest id": (ids) => byId(ids)[ids.length - 1] ?? "",
};
// What a guesser types without reading: 0 or 1, a square shape.
const NUMERIC_GUESSES: QuizAnswer[] = [0, 1];
const SHAPE_GUESS = "(1, 1, 1, 1)";

function blindAnswers(questions: readonly RenderedQuestion[], pick: Pick, numeric: QuizAnswer, allOfMultiple: boolean): Record<string, QuizAnswer> {
  return Object.fromEntries(
    questions.map((q): [string, QuizAnswer] => {
      switch (q.kind) {
        case "single":
          return [q.id, pick(q.choices.map((c) => c.id))];
        case "multiple":
          return [q.id, allOfMultiple ? q.choices.map((c) => c.id) : [pick(q.choices.map((c) => c.id))]];
        case "numeric":
          return [q.id, numeric];
        case "shape":
          return [q.id, SHAPE_GUESS];
      }
    }),
  );
}

describe("blind answers", () => {
  it("pass no quiz on any of 200 seeds, whatever id- or position-based strategy is used", () => {
    const passed: string[] = [];
    for (const { quiz } of quizzes) {
      for (const seed of SEEDS) {
        const rendered = renderQuiz(catalog.quizzes.get(quiz.id) ?? (() => { throw new Error(quiz.id); })(), seed);
        for (const [name, pick] of Object.entries(STRATEGIES)) {
          for (const numeric of NUMERIC_GUESSES) {
            for (const all of [false, true]) {
              const r = gradeQuiz({ quizId: quiz.id, answers: blindAnswers(rendered.questions, pick, numeric, all), seed, lang: "en" }, catalog);
              if (r.verdict === "passed") passed.push(`${quiz.id} seed ${seed} by ${name}`);
            }
          }
        }
      }
    }
    expect(passed).toEqual([]);
  });

  it("every quiz has a question that cannot be answered by picking a choice", () => {
    for (const { quiz } of quizzes) {
      expect(quiz.questions.some((q) => q.kind === "numeric" || q.kind === "shape"), quiz.id).toBe(true);
    }
  });

  it("no shown position and no id rank is right more often than chance, per question and across the bank", () => {
    // Counts of right answers by shown position and by id rank, for single-choice questions.
    const bank = { position: new Map<number, number>(), rank: new Map<number, number>(), expected: new Map<number, number>() };
    const bump = (m: Map<number, number>, k: number, by = 1) => m.set(k, (m.get(k) ?? 0) + by);
    for (const { quiz } of quizzes) {
      for (const question of quiz.questions) {
        if (question.kind !== "single") continue;
        const n = question.choices.length;
        const position = new Array<number>(n).fill(0);
        const rank = new Array<number>(n).fill(0);
        for (const seed of SEEDS) {
          const inst = instantiateQuiz(quiz, seed).find((i) => i.question.id === question.id);
          if (inst?.kind !== "single") throw new Error("instance");
          const ids = inst.choices.map((c) => c.id);
          const p = ids.indexOf(inst.expected);
          const r = byId(ids).indexOf(inst.expected);
          position[p] = (position[p] ?? 0) + 1;
          rank[r] = (rank[r] ?? 0) + 1;
          bump(bank.position, p);
          bump(bank.rank, r);
        }
        for (let k = 0; k < n; k++) bump(bank.expected, k, SEEDS.length / n);
        // Binomial(200, 1/n): more than 5 standard deviations above the mean would be a leak.
        const mean = SEEDS.length / n;
        const bound = mean + 5 * Math.sqrt(SEEDS.length * (1 / n) * (1 - 1 / n));
        for (const counts of [position, rank]) {
          for (const c of counts) expect(c, `${quiz.id}/${question.id}: ${counts.join(", ")}`).toBeLessThanOrEqual(bound);
        }
      }
    }
    for (const counts of [bank.position, bank.rank]) {
      for (const [k, c] of counts) {
        const mean = bank.expected.get(k) ?? 0;
        expect(c, `position/rank ${k} across the bank`).toBeLessThanOrEqual(mean + 5 * Math.sqrt(mean));
      }
    }
  });

  it("the quiz files themselves do not put the right answer in one place", () => {
    const counts = new Map<number, number>();
    let total = 0;
    for (const { quiz } of quizzes) {
      for (const q of quiz.questions) {
        if (q.kind !== "single") continue;
        const at = q.choices.findIndex((c) => c.id === q.answer);
        counts.set(at, (counts.get(at) ?? 0) + 1);
        total++;
      }
    }
    // At most 40% of the single-choice answers at any one file position (34 of 38 were first once).
    for (const [at, c] of counts) expect(c, `file position ${at}: ${c} of ${total}`).toBeLessThanOrEqual(0.4 * total);
  });
});
