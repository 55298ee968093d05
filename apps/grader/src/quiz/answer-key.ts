import type { QuizAnswer, QuizFile } from "@tfm/contract";
import { unitFactor } from "./answers.ts";
import { type QuestionInstance, instantiateQuiz } from "./instance.ts";

/**
 * The right answers for one seed, in the form a student sends them: for instructors' answer keys
 * and for tests. No route serves this to students.
 */
export function answerKey(quiz: QuizFile, seed: number): Record<string, QuizAnswer> {
  return Object.fromEntries(instantiateQuiz(quiz, seed).map((inst) => [inst.question.id, rightAnswer(inst)]));
}

function rightAnswer(inst: QuestionInstance): QuizAnswer {
  switch (inst.kind) {
    case "single":
      return inst.expected;
    case "multiple":
      return [...inst.expected];
    case "numeric": {
      const unit = inst.question.unit?.accepted[0];
      return unit === undefined ? inst.expected : { value: inst.expected / unitFactor(unit), unit };
    }
    case "shape":
      return `(${inst.expected.join(", ")})`;
  }
}
