import type { QuizSummary, RenderedQuestion, RenderedQuiz } from "@tfm/contract";
import { type QuizCatalog, type QuizEntry, checklistItemsOfQuiz } from "./catalog.ts";
import { type QuestionInstance, instantiateQuiz } from "./instance.ts";

function renderQuestion(inst: QuestionInstance): RenderedQuestion {
  const base = { id: inst.question.id, number: inst.number, text: inst.text, hidden: inst.hidden };
  switch (inst.kind) {
    case "single":
    case "multiple":
      return { kind: inst.kind, ...base, choices: inst.choices };
    case "numeric":
      return { kind: "numeric", ...base, unit: inst.question.unit ?? null };
    case "shape":
      return { kind: "shape", ...base };
  }
}

/** The quiz a student sees for one seed: texts with the drawn numbers and choices in seeded order, never answers or explanations. */
export function renderQuiz(entry: QuizEntry, seed: number): RenderedQuiz {
  const { quiz } = entry;
  return {
    id: quiz.id,
    version: entry.version,
    title: quiz.title,
    chapterSection: quiz.chapterSection,
    seed,
    questions: instantiateQuiz(quiz, seed).map(renderQuestion),
  };
}

export function quizSummaries(catalog: QuizCatalog): QuizSummary[] {
  return [...catalog.quizzes.values()].map(({ quiz, version }) => ({
    id: quiz.id,
    version,
    title: quiz.title,
    chapterSection: quiz.chapterSection,
    questionCount: quiz.questions.length,
    hiddenCount: quiz.questions.filter((q) => (q.kind === "numeric" || q.kind === "shape") && q.generator !== undefined).length,
    checklist: checklistItemsOfQuiz(catalog, quiz.id),
  }));
}
