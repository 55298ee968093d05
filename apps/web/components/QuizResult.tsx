import type { GradeResult, RenderedQuiz } from "@tfm/contract";
import type { Lang, Translator } from "@/lib/i18n.ts";

/**
 * A quiz attempt's result: every question again (as it was asked, with the attempt's own variant), the
 * student's answer, right or wrong, and the explanation; a clear "passed" message. No new variant is
 * started here: the student asks for one with the button.
 */
export function QuizResult({ quiz, result, answers, lang, t }: { quiz: RenderedQuiz; result: GradeResult; answers: Record<string, unknown>; lang: Lang; t: Translator }) {
  const passed = result.verdict === "passed";
  const byId = new Map(result.tests.map((r) => [r.id, r]));
  const answerText = (q: RenderedQuiz["questions"][number]): string => {
    const raw = answers[q.id];
    const values = (Array.isArray(raw) ? raw : raw === undefined || raw === null ? [] : [raw]).filter((v): v is string => typeof v === "string");
    if (values.length === 0) return t("quizNoAnswer");
    if (q.kind === "single" || q.kind === "multiple") return values.map((v) => q.choices.find((c) => c.id === v)?.text[lang] ?? v).join(" / ");
    return values.join(" ");
  };
  return (
    <section className="card" aria-labelledby="quiz-result-title" data-verdict={result.verdict} data-testid="quiz-result">
      <h2 id="quiz-result-title">{t("quizResultTitle")}</h2>
      <p className={`msg ${passed ? "ok" : "error"}`} role="status" data-testid="quiz-verdict">
        {passed ? t("quizPassedMessage") : t("quizNotPassedMessage")} {t("quizResult", { correct: result.passed, total: result.total })}
      </p>
      <ol className="list-plain quiz-review">
        {quiz.questions.map((q) => {
          const r = byId.get(q.id);
          const ok = r?.status === "passed";
          return (
            <li key={q.id} data-question={q.id} data-correct={ok ? "true" : "false"}>
              <p>
                <strong>
                  {q.number}. {q.text[lang]}
                </strong>
              </p>
              <p>
                <span className={`badge ${ok ? "passed" : "error"}`}>{ok ? `✓ ${t("quizCorrect")}` : `✗ ${t("quizIncorrect")}`}</span> {t("quizYourAnswer")}: {answerText(q)}
              </p>
              {r !== undefined ? <p className="pre-line">{r.message[lang]}</p> : null}
            </li>
          );
        })}
      </ol>
      <p className="actions">
        <a className="button" href={`/quizzes/${quiz.id}`} data-testid="quiz-new-variant">
          {t("quizNewVariant")}
        </a>
      </p>
    </section>
  );
}
