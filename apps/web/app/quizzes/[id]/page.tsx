import { randomInt } from "node:crypto";
import { GradeResult } from "@tfm/contract";
import { notFound } from "next/navigation";
import { Messages } from "@/components/Messages.tsx";
import { QuizResult } from "@/components/QuizResult.tsx";
import { sectionLabel } from "@/lib/i18n.ts";
import { db } from "@/lib/db.ts";
import { renderQuiz } from "@/lib/grader.ts";
import { AssignmentNotice } from "@/components/AssignmentNotice.tsx";
import { csrfToken, getT, requireUser } from "@/lib/session.ts";

export const dynamic = "force-dynamic";

export default async function QuizPage({ params, searchParams }: { params: Promise<{ id: string }>; searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const { id } = await params;
  const user = await requireUser(`/quizzes/${id}`);
  const search = await searchParams;
  const [{ lang, t }, csrf] = await Promise.all([getT(), csrfToken()]);
  const attemptId = typeof search.attempt === "string" ? search.attempt : null;
  const attempt =
    attemptId === null
      ? null
      : await (await db()).run("reading a quiz attempt", (p) => p.quizAttempt.findFirst({ where: { id: attemptId, userId: user.id, quizId: id }, select: { result: true, seed: true, answers: true } }));
  const parsed = attempt?.result == null ? null : GradeResult.safeParse(attempt.result);
  const result = parsed?.success === true ? parsed.data : null;
  // An attempt is shown with the variant it answered (same seed); a new variant only when asked.
  const quiz = await renderQuiz(id, attempt !== null && result !== null ? Number(attempt.seed) : randomInt(0, 2 ** 32));
  if (quiz === null) notFound();
  const answers = attempt !== null && typeof attempt.answers === "object" && attempt.answers !== null && !Array.isArray(attempt.answers) ? (attempt.answers as Record<string, unknown>) : {};
  return (
    <>
      <p>
        <a href="/exercises#quizzes">← {t("quizzesTitle")}</a>
      </p>
      <h1>{quiz.title[lang]}</h1>
      <AssignmentNotice userId={user.id} kind="quiz" itemId={id} t={t} lang={lang} />
      <p className="hint">{sectionLabel(t, quiz.chapterSection)}</p>
      <Messages t={t} search={search} />
      {result !== null ? <QuizResult quiz={quiz} result={result} answers={answers} lang={lang} t={t} /> : null}
      {result !== null ? null : (
      <form method="post" action={`/api/quizzes/${id}/grade`} className="card">
        <input type="hidden" name="csrf" value={csrf} />
        <input type="hidden" name="seed" value={quiz.seed} />
        {quiz.questions.map((q) => (
          <fieldset key={q.id} style={{ marginBottom: "1rem" }}>
            <legend>
              {q.number}. {q.text[lang]}
            </legend>
            {q.kind === "multiple" ? <input type="hidden" name={`multi_${q.id}`} value="1" /> : null}
            {q.kind === "single" || q.kind === "multiple"
              ? q.choices.map((c) => (
                  <div key={c.id}>
                    <input type={q.kind === "single" ? "radio" : "checkbox"} id={`${q.id}-${c.id}`} name={`q_${q.id}`} value={c.id} />{" "}
                    <label htmlFor={`${q.id}-${c.id}`} style={{ display: "inline", fontWeight: 400 }}>
                      {c.text[lang]}
                    </label>
                  </div>
                ))
              : null}
            {q.kind === "numeric" || q.kind === "shape" ? (
              <>
                <label htmlFor={`${q.id}-a`} className="sr-only">
                  {t("quizAnswerPlaceholder")}
                </label>
                <input id={`${q.id}-a`} name={`q_${q.id}`} type="text" placeholder={t("quizAnswerPlaceholder")} aria-describedby={`${q.id}-h`} style={{ maxWidth: "16rem" }} />
                <span id={`${q.id}-h`} className="hint">
                  {" "}
                  {q.kind === "shape" ? t("quizShapeHint") : q.unit !== null ? t("quizUnitHint") : ""}
                </span>
              </>
            ) : null}
          </fieldset>
        ))}
        <button type="submit">{t("quizSubmit")}</button>
      </form>
      )}
    </>
  );
}
