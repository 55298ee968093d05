import type { Choice, Localized, Question, QuizFile } from "@tfm/contract";
import { Rng, deriveSeed } from "@tfm/spec";
import { GENERATORS, type VariantParams } from "./variants.ts";

type QuestionOf<K extends Question["kind"]> = Extract<Question, { kind: K }>;

interface InstanceBase {
  number: number;
  /** The question text with this seed's numbers filled in. */
  text: Localized;
  /** A randomised variant: graded as a hidden test, its expected answer is never shown. */
  hidden: boolean;
}

/** One question as a given seed makes it: what the student sees and what the grader expects. */
export type QuestionInstance =
  | (InstanceBase & { kind: "single"; question: QuestionOf<"single">; choices: Choice[]; expected: string })
  | (InstanceBase & { kind: "multiple"; question: QuestionOf<"multiple">; choices: Choice[]; expected: string[] })
  | (InstanceBase & { kind: "numeric"; question: QuestionOf<"numeric">; expected: number })
  | (InstanceBase & { kind: "shape"; question: QuestionOf<"shape">; expected: number[] });

function fill(text: Localized, params: VariantParams): Localized {
  const one = (s: string): string =>
    s.replace(/\{\{(\w+)\}\}/g, (_, name: string) => {
      const value = params[name];
      if (value === undefined) throw new Error(`no value for {{${name}}}`);
      return value;
    });
  return { ja: one(text.ja), en: one(text.en) };
}

function draw(quizId: string, questionId: string, generatorName: string, seed: number) {
  const generator = GENERATORS[generatorName];
  if (generator === undefined) throw new Error(`unknown generator '${generatorName}'`);
  // One stream per question, so adding or reordering questions never changes another's variant.
  return { generator, rng: new Rng(deriveSeed(seed, `${quizId}/${questionId}`)) };
}

const ID_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789";

/**
 * The choices in this seed's order, each under an id made for this variant alone. The file's ids
 * (a, b, c ...) and its order never reach the student: the displayed position and the id are both
 * drawn from the seed, so neither says which choice is right; the grader maps the ids back.
 */
function presentChoices(quizId: string, questionId: string, source: readonly Choice[], seed: number): { choices: Choice[]; renamed: Map<string, string> } {
  const rng = new Rng(deriveSeed(seed, `${quizId}/${questionId}/choices`));
  const shuffled = rng.shuffle(source);
  const used = new Set<string>();
  const renamed = new Map<string, string>();
  const choices = shuffled.map((c) => {
    let id: string;
    do {
      // A letter first: a choice id is a slug.
      id = `${ID_ALPHABET[rng.int(0, 23)]}${Array.from({ length: 4 }, () => ID_ALPHABET[rng.int(0, ID_ALPHABET.length)]).join("")}`;
    } while (used.has(id));
    used.add(id);
    renamed.set(c.id, id);
    return { id, text: c.text };
  });
  return { choices, renamed };
}

/** Every question of a quiz for one seed. The same seed always gives the same numbers and choice order. */
export function instantiateQuiz(quiz: QuizFile, seed: number): QuestionInstance[] {
  return quiz.questions.map((question, index): QuestionInstance => {
    const number = index + 1;
    switch (question.kind) {
      case "single":
      case "multiple": {
        const { choices, renamed } = presentChoices(quiz.id, question.id, question.choices, seed);
        const opaque = (id: string): string => {
          const r = renamed.get(id);
          if (r === undefined) throw new Error(`${quiz.id}/${question.id}: the answer '${id}' is not a choice`);
          return r;
        };
        return question.kind === "single"
          ? { kind: "single", question, number, text: question.text, hidden: false, choices, expected: opaque(question.answer) }
          : { kind: "multiple", question, number, text: question.text, hidden: false, choices, expected: question.answers.map(opaque) };
      }
      case "numeric": {
        if (question.generator === undefined) {
          if (question.answer === undefined) throw new Error(`${quiz.id}/${question.id}: no answer and no generator`);
          return { kind: "numeric", question, number, text: question.text, hidden: false, expected: question.answer };
        }
        const { generator, rng } = draw(quiz.id, question.id, question.generator, seed);
        if (generator.kind !== "numeric") throw new Error(`${quiz.id}/${question.id}: generator '${question.generator}' is not numeric`);
        const v = generator.draw(rng);
        return { kind: "numeric", question, number, text: fill(question.text, v.params), hidden: true, expected: v.answer };
      }
      case "shape": {
        if (question.generator === undefined) {
          if (question.answer === undefined) throw new Error(`${quiz.id}/${question.id}: no answer and no generator`);
          return { kind: "shape", question, number, text: question.text, hidden: false, expected: question.answer };
        }
        const { generator, rng } = draw(quiz.id, question.id, question.generator, seed);
        if (generator.kind !== "shape") throw new Error(`${quiz.id}/${question.id}: generator '${question.generator}' is not a shape`);
        const v = generator.draw(rng);
        return { kind: "shape", question, number, text: fill(question.text, v.params), hidden: true, expected: v.answer };
      }
    }
  });
}
