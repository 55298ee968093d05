import { getUser, submissionHistory } from "@tfm/db";
import { notFound } from "next/navigation";
import { HistoryTable } from "@/components/HistoryTable.tsx";
import { Messages } from "@/components/Messages.tsx";
import { mayIssueReset } from "@/lib/account.ts";
import { canViewLearnerInClass, managedClass } from "@/lib/access.ts";
import { db } from "@/lib/db.ts";
import { listExercises } from "@/lib/grader.ts";
import { refreshProgress } from "@/lib/progress.ts";
import { csrfToken, getT, requireUser } from "@/lib/session.ts";

export const dynamic = "force-dynamic";

/** Drill-down from the dashboard: one student's submissions (each links to its code and result). */
export default async function StudentPage({ params, searchParams }: { params: Promise<{ id: string; userId: string }>; searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const [{ id, userId }, search] = await Promise.all([params, searchParams]);
  const viewer = await requireUser(`/classes/${id}/students/${userId}`);
  const database = await db();
  const cls = await managedClass(database, viewer, id);
  if (cls === null || !(await canViewLearnerInClass(database, viewer, cls, userId))) notFound();
  const [{ lang, t }, learner, history, progress, csrf] = await Promise.all([getT(), getUser(database, userId), submissionHistory(database, userId, { limit: 200 }), refreshProgress(database, userId), csrfToken()]);
  return (
    <>
      <p>
        <a href={`/classes/${id}`}>← {t("backToDashboard")}</a>
      </p>
      <h1>{t("studentTitle", { name: learner.displayName })}</h1>
      <Messages t={t} search={search} />
      <p>{t("progressDone", { done: progress.doneCount, total: progress.total })}</p>
      <HistoryTable history={history} lang={lang} t={t} showExercise titles={new Map((await listExercises()).map((e) => [e.id, e.title[lang]]))} />
      {(await mayIssueReset(database, viewer, learner)) ? (
        <form method="post" action={`/api/users/${learner.id}/reset`} className="card">
          <h2>{t("resetIssueTitle")}</h2>
          <input type="hidden" name="csrf" value={csrf} />
          <input type="hidden" name="back" value={`/classes/${id}/students/${userId}`} />
          <p className="hint">{t("resetIssueHint")}</p>
          <p className="actions">
            <button type="submit" className="secondary">
              {t("resetIssue")}
            </button>
          </p>
        </form>
      ) : null}
    </>
  );
}
