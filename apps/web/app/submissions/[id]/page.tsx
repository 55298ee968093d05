import { NotFoundError, getSubmission, getUser } from "@tfm/db";
import { notFound } from "next/navigation";
import { diffLines } from "diff";
import { CodeLines } from "@/components/CodeLines.tsx";
import { ResultView } from "@/components/ResultView.tsx";
import { loadDraft } from "@/lib/account.ts";
import { getExercise } from "@/lib/grader.ts";
import { canViewLearner } from "@/lib/access.ts";
import { db } from "@/lib/db.ts";
import { verdictKey } from "@/lib/i18n.ts";
import { csrfToken, getT, requireUser } from "@/lib/session.ts";

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
  const [{ lang, t }, author, exercise, csrf] = await Promise.all([getT(), getUser(database, sub.userId), getExercise(sub.exerciseId), csrfToken()]);
  const title = exercise === null ? sub.exerciseId : exercise.title[lang];
  // The author may compare this code with their current draft and load it back into the editor.
  const own = viewer.id === sub.userId;
  const draft = own ? await loadDraft(database, viewer.id, sub.exerciseId) : null;
  const current_code = draft?.source ?? exercise?.starter ?? "";
  const changes = own ? diffLines(sub.source, current_code) : [];
  const current = sub.history.find((g) => g.current) ?? null;
  const trig = { submit: "triggerSubmit", regrade: "triggerRegrade", retry: "triggerRetry" } as const;
  return (
    <>
      <p>
        <a href={`/exercises/${sub.exerciseId}`}>← {title}</a>
      </p>
      <h1>{t("submissionOf", { name: author.displayName })}</h1>
      <p className="hint">
        {title} · {sub.receivedAt.toLocaleString(lang === "ja" ? "ja-JP" : "en-GB", { timeZone: "Asia/Tokyo" })} ·{" "}
        {sub.verdict === null ? t("stateQueued") : t(verdictKey(sub.verdict))}
      </p>
      <div className="grid-2">
        <section aria-labelledby="code-title">
          <h2 id="code-title">{t("source")}</h2>
          <CodeLines source={sub.source} testId="source" />
          {own ? (
            <>
              <form method="post" action={`/api/submissions/${sub.id}/load`} className="actions">
                <input type="hidden" name="csrf" value={csrf} />
                <button type="submit" className="secondary" data-testid="load-into-editor">
                  {t("loadIntoEditor")}
                </button>
              </form>
              <details data-testid="diff">
                <summary>{t("diffWithCurrent")}</summary>
                {changes.every((c) => !c.added && !c.removed) ? (
                  <p>{t("diffNone")}</p>
                ) : (
                  <pre className="code diff">
                    {changes.flatMap((c, i) =>
                      c.value
                        .replace(/\n$/, "")
                        .split("\n")
                        .map((line, j) => (
                          <span key={`${i}-${j}`} className={c.added ? "add" : c.removed ? "del" : "same"}>
                            {c.added ? "+ " : c.removed ? "- " : "  "}
                            {line}
                          </span>
                        )),
                    )}
                  </pre>
                )}
                <p className="hint">{t("diffLegend")}</p>
              </details>
            </>
          ) : null}
        </section>
        <section>{current !== null ? <ResultView result={current.result} lang={lang} {...(exercise === null ? {} : { tolerance: exercise.tolerance })} /> : <p>{t("queued")}</p>}</section>
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
