import { notFound } from "next/navigation";
import { Messages } from "@/components/Messages.tsx";
import { db } from "@/lib/db.ts";
import { getFreeText } from "@/lib/grader.ts";
import { renderMarkdown } from "@/lib/markdown.ts";
import { freeTextProblem } from "@/lib/rubric.ts";
import { AssignmentNotice } from "@/components/AssignmentNotice.tsx";
import { csrfToken, getT, requireUser } from "@/lib/session.ts";

export const dynamic = "force-dynamic";

export default async function FreeTextPage({ params, searchParams }: { params: Promise<{ id: string }>; searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const { id } = await params;
  const user = await requireUser(`/free-text/${id}`);
  const problem = await getFreeText(id);
  if (problem === null) notFound();
  const [{ lang, t }, csrf, search, answers] = await Promise.all([
    getT(),
    csrfToken(),
    searchParams,
    (await db()).run("reading free-text answers", (p) =>
      p.freeTextAnswer.findMany({
        where: { userId: user.id, problemId: id },
        orderBy: { submittedAt: "desc" },
        select: { id: true, text: true, submittedAt: true, reviews: { orderBy: { createdAt: "desc" }, take: 1, select: { points: true, maxPoints: true, passed: true, comment: true } } },
      }),
    ),
  ]);
  // The model answer and the rubric are shown once the learner has answered.
  const full = answers.length > 0 ? freeTextProblem(id) : null;
  return (
    <>
      <p>
        <a href="/exercises#free-text">← {t("freeTextTitle")}</a>
      </p>
      <h1>{problem.title[lang]}</h1>
      <AssignmentNotice userId={user.id} kind="free_text" itemId={id} t={t} lang={lang} />
      <Messages t={t} search={search} />
      <div className="statement" dangerouslySetInnerHTML={{ __html: renderMarkdown(problem.statement[lang]) }} />
      <form method="post" action={`/api/free-text/${id}/answer`} className="card">
        <input type="hidden" name="csrf" value={csrf} />
        <label htmlFor="answer">{t("freeTextAnswer")}</label>
        <textarea id="answer" name="text" rows={8} maxLength={problem.maxChars} required aria-describedby="answer-hint" />
        <p id="answer-hint" className="hint">
          {t("freeTextChars", { max: problem.maxChars })}
        </p>
        <button type="submit">{t("freeTextSubmit")}</button>
      </form>
      {full !== null ? (
        <section aria-labelledby="model">
          <h2 id="model">{t("modelAnswer")}</h2>
          <div className="statement" dangerouslySetInnerHTML={{ __html: renderMarkdown(full.modelAnswer[lang]) }} />
          <h3>{t("rubric")}</h3>
          <ul>
            {full.rubric.criteria.map((c) => (
              <li key={c.id}>
                {c.text[lang]} ({t("points", { points: c.points })})
              </li>
            ))}
          </ul>
        </section>
      ) : null}
      {answers.length > 0 ? (
        <section aria-labelledby="mine">
          <h2 id="mine">{t("yourAnswers")}</h2>
          {answers.map((a) => {
            const r = a.reviews[0];
            return (
              <div key={a.id} className="card" style={{ marginBottom: "0.6rem" }}>
                <p style={{ whiteSpace: "pre-wrap" }}>{a.text}</p>
                <p className="hint">
                  {r === undefined ? t("notReviewed") : t("reviewed", { points: r.points, max: r.maxPoints, result: r.passed ? t("passed") : t("notPassed") })}
                  {r?.comment ? ` — ${r.comment}` : ""}
                </p>
              </div>
            );
          })}
        </section>
      ) : null}
    </>
  );
}
