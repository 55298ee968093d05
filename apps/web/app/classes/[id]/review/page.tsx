import { reviewQueue } from "@tfm/db";
import { notFound } from "next/navigation";
import { Messages } from "@/components/Messages.tsx";
import { managedClass } from "@/lib/access.ts";
import { db } from "@/lib/db.ts";
import { freeTextProblem } from "@/lib/rubric.ts";
import { csrfToken, getT, requireUser } from "@/lib/session.ts";

export const dynamic = "force-dynamic";

export default async function ReviewPage({ params, searchParams }: { params: Promise<{ id: string }>; searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const { id } = await params;
  const viewer = await requireUser(`/classes/${id}/review`);
  const database = await db();
  const cls = await managedClass(database, viewer, id);
  if (cls === null) notFound();
  const [{ lang, t }, queue, csrf, search] = await Promise.all([getT(), reviewQueue(database, id), csrfToken(), searchParams]);
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
          <form key={a.answerId} method="post" action={`/api/classes/${id}/review`} className="card" style={{ marginBottom: "1rem" }} data-answer={a.answerId}>
            <input type="hidden" name="csrf" value={csrf} />
            <input type="hidden" name="answerId" value={a.answerId} />
            <h2>
              {a.displayName} · {problem?.title[lang] ?? a.problemId}
            </h2>
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
                    <input id={`${a.answerId}-${c.id}`} name={`c_${c.id}`} type="number" min={0} max={c.points} defaultValue={0} required style={{ maxWidth: "6rem" }} />
                  </div>
                ))}
              </fieldset>
            ) : null}
            <label htmlFor={`${a.answerId}-comment`}>{t("comment")}</label>
            <textarea id={`${a.answerId}-comment`} name="comment" rows={2} maxLength={5000} />
            <p className="actions">
              <button type="submit">{t("reviewSave")}</button>
            </p>
          </form>
        );
      })}
    </>
  );
}
