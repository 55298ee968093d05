import type { FreeTextAnswerResponse, FreeTextProblem, Lang, Localized, PublicFreeTextProblem } from "@tfm/contract";

export type FreeTextOutcome = { accepted: true; response: FreeTextAnswerResponse } | { accepted: false; reason: Localized };

/** What a student sees before answering: the statement, never the rubric or the model answer. */
export function publicFreeText(problem: FreeTextProblem): PublicFreeTextProblem {
  return {
    id: problem.id,
    title: problem.title,
    chapterSection: problem.chapterSection,
    statement: problem.statement,
    maxChars: problem.maxChars,
  };
}

/**
 * Checks an answer before it is stored for review (something written, not too long) and hands back
 * the model answer and rubric, which self-learners see only after answering. Marking is the
 * instructor's: nothing here judges the content.
 */
export function answerFreeText(problem: FreeTextProblem, answer: { text: string; lang: Lang }): FreeTextOutcome {
  // Code points, not UTF-16 units: a kanji or an emoji is one character to the student.
  const characters = [...answer.text.trim()].length;
  if (characters === 0) {
    return { accepted: false, reason: { ja: "回答が空です。何か書いてから送信してください。", en: "The answer is empty. Write something before sending it." } };
  }
  if (characters > problem.maxChars) {
    return {
      accepted: false,
      reason: {
        ja: `回答が長すぎます (${characters} 文字、上限 ${problem.maxChars} 文字)。`,
        en: `The answer is too long (${characters} characters; the limit is ${problem.maxChars}).`,
      },
    };
  }
  return {
    accepted: true,
    response: {
      accepted: true,
      problemId: problem.id,
      lang: answer.lang,
      characters,
      modelAnswer: problem.modelAnswer,
      rubric: problem.rubric,
    },
  };
}
