import { reviewQueue } from "@tfm/db";
import { notFound } from "next/navigation";
import { Messages } from "@/components/Messages.tsx";
import { managedClass } from "@/lib/access.ts";
import { db } from "@/lib/db.ts";
import { freeTextProblem } from "@/lib/rubric.ts";
import type { Lang, Translator } from "@/lib/i18n.ts";
import { csrfToken, getT, requireUser } from "@/lib/session.ts";

export const dynamic = "force-dynamic";

export default async function ReviewPage({ params, searchParams }: { params: Promise<{ id: string }>; searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const { id } = await params;
  const viewer = await requireUser(`/classes/${id}/review`);
  const database = await db();
  const cls = await managedClass(database, viewer, id);
  if (cls === null) notFound();
  const [{ lang, t }, queue, csrf, search, reviewed] = await Promise.all([
    getT(),
    reviewQueue(database, id),
    csrfToken(),
    searchParams,
    // Answers already reviewed, newest review first, to revise a review (each save adds a new one).
    database.run("reading reviewed answers", (p) =>
      p.freeTextAnswer.findMany({
        where: { reviews: { some: {} }, user: { enrolments: { some: { classId: id } } } },
        orderBy: [{ submittedAt: "desc" }, { id: "asc" }],
        take: 100,
        select: {
          id: true,
          problemId: true,
          text: true,
          lang: true,
          user: { select: { displayName: true } },
          reviews: { orderBy: { createdAt: "desc" }, take: 1, select: { points: true, maxPoints: true, passed: true, criteria: true, comment: true } },
        },
      }),
    ),
  ]);
  return (
    <>
      <p>
        <a href={`/classes/${id}`}>← {t("backToDashboard")}</a>
      </p>
      <h1>{t("reviewQueueTitle", { count: queue.length })}</h1>
      <Messages t={t} search={search} />
      {queue.length === 0 ? <p>{t("reviewQueueEmpty")}</p> : null}
      {queue.map((a) => {
        const problem = freeTextProblem(a.problemId);
        return (
          <ReviewForm key={a.answerId} classId={id} csrf={csrf} answerId={a.answerId} heading={`${a.displayName} · ${problem?.title[lang] ?? a.problemId}`} text={a.text} textLang={a.lang} problemId={a.problemId} lang={lang} t={t} given={null} />
        );
      })}
      <section aria-labelledby="reviewed-title">
        <h2 id="reviewed-title">{t("reviewedTitle", { count: reviewed.length })}</h2>
        {reviewed.length === 0 ? <p>{t("reviewedEmpty")}</p> : null}
        {reviewed.map((a) => {
          const last = a.reviews[0];
          const problem = freeTextProblem(a.problemId);
          const given = last === undefined ? null : { criteria: (typeof last.criteria === "object" && last.criteria !== null && !Array.isArray(last.criteria) ? last.criteria : {}) as Record<string, unknown>, comment: last.comment ?? "" };
          return (
            <details key={a.id} data-reviewed={a.id}>
              <summary>
                {a.user.displayName} · {problem?.title[lang] ?? a.problemId} · {last === undefined ? "" : `${last.points} / ${last.maxPoints} ${last.passed ? "✓" : "✗"}`}
              </summary>
              <ReviewForm classId={id} csrf={csrf} answerId={a.id} heading={t("reviewRevise")} text={a.text} textLang={a.lang} problemId={a.problemId} lang={lang} t={t} given={given} />
            </details>
          );
        })}
      </section>
    </>
  );
}

function ReviewForm({
  classId,
  csrf,
  answerId,
  heading,
  text,
  textLang,
  problemId,
  lang,
  t,
  given,
}: {
  classId: string;
  csrf: string;
  answerId: string;
  heading: string;
  text: string;
  textLang: string;
  problemId: string;
  lang: Lang;
  t: Translator;
  given: { criteria: Record<string, unknown>; comment: string } | null;
}) {
  const problem = freeTextProblem(problemId);
  const a = { answerId, text, lang: textLang };
  const id = classId;
  return (
    <form method="post" action={`/api/classes/${id}/review`} className="card" style={{ marginBottom: "1rem" }} data-answer={a.answerId}>
      <input type="hidden" name="csrf" value={csrf} />
      <input type="hidden" name="answerId" value={a.answerId} />
      <h2>{heading}</h2>
      <blockquote lang={a.lang} style={{ whiteSpace: "pre-wrap" }}>
        {a.text}
      </blockquote>
      {problem !== null ? (
        <fieldset>
          <legend>{t("rubric")}</legend>
          {problem.rubric.criteria.map((c) => (
            <div key={c.id}>
              <label htmlFor={`${a.answerId}-${c.id}`}>
                {c.text[lang]} (0–{c.points})
              </label>
              <input id={`${a.answerId}-${c.id}`} name={`c_${c.id}`} type="number" min={0} max={c.points} defaultValue={typeof given?.criteria[c.id] === "number" ? (given.criteria[c.id] as number) : 0} required style={{ maxWidth: "6rem" }} />
            </div>
          ))}
        </fieldset>
      ) : null}
      <label htmlFor={`${a.answerId}-comment`}>{t("comment")}</label>
      <textarea id={`${a.answerId}-comment`} name="comment" rows={2} maxLength={5000} defaultValue={given?.comment ?? ""} />
      <p className="actions">
        <button type="submit">{t("reviewSave")}</button>
      </p>
    </form>
  );
}
