import { NotFoundError, getSubmission, getUser } from "@tfm/db";
import { notFound } from "next/navigation";
import { ResultView } from "@/components/ResultView.tsx";
import { canViewLearner } from "@/lib/access.ts";
import { db } from "@/lib/db.ts";
import { verdictKey } from "@/lib/i18n.ts";
import { getT, requireUser } from "@/lib/session.ts";

export const dynamic = "force-dynamic";

/** One submission: its code and every grading (regrades included). Author, their instructors, admins. */
export default async function SubmissionPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const viewer = await requireUser(`/submissions/${id}`);
  const database = await db();
  const sub = await getSubmission(database, id).catch((e: unknown) => {
    if (e instanceof NotFoundError) notFound();
    throw e;
  });
  if (!(await canViewLearner(database, viewer, sub.userId))) notFound();
  const [{ lang, t }, author] = await Promise.all([getT(), getUser(database, sub.userId)]);
  const current = sub.history.find((g) => g.current) ?? null;
  const trig = { submit: "triggerSubmit", regrade: "triggerRegrade", retry: "triggerRetry" } as const;
  return (
    <>
      <p>
        <a href={`/exercises/${sub.exerciseId}`}>← {sub.exerciseId}</a>
      </p>
      <h1>{t("submissionOf", { name: author.displayName })}</h1>
      <p className="hint">
        {sub.exerciseId} · {sub.receivedAt.toLocaleString(lang === "ja" ? "ja-JP" : "en-GB", { timeZone: "Asia/Tokyo" })} ·{" "}
        {sub.verdict === null ? t("stateQueued") : t(verdictKey(sub.verdict))}
      </p>
      <div className="grid-2">
        <section aria-labelledby="code-title">
          <h2 id="code-title">{t("source")}</h2>
          <pre className="code" data-testid="source">
            {sub.source}
          </pre>
        </section>
        <section>{current !== null ? <ResultView result={current.result} lang={lang} /> : <p>{t("queued")}</p>}</section>
      </div>
      {sub.history.length > 1 ? (
        <section aria-labelledby="gradings-title">
          <h2 id="gradings-title">{t("gradings")}</h2>
          <table>
            <thead>
              <tr>
                <th scope="col">{t("gradingTrigger")}</th>
                <th scope="col">{t("verdict")}</th>
                <th scope="col">{t("score")}</th>
              </tr>
            </thead>
            <tbody>
              {sub.history.map((g) => (
                <tr key={g.id}>
                  <td>{t(trig[g.trigger])}</td>
                  <td>{t(verdictKey(g.verdict))}</td>
                  <td>{Math.round(g.score * 100)}%</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      ) : null}
    </>
  );
}
