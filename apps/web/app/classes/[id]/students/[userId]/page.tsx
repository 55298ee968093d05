import { getUser, submissionHistory } from "@tfm/db";
import { notFound } from "next/navigation";
import { HistoryTable } from "@/components/HistoryTable.tsx";
import { canViewLearnerInClass, managedClass } from "@/lib/access.ts";
import { db } from "@/lib/db.ts";
import { refreshProgress } from "@/lib/progress.ts";
import { getT, requireUser } from "@/lib/session.ts";

export const dynamic = "force-dynamic";

/** Drill-down from the dashboard: one student's submissions (each links to its code and result). */
export default async function StudentPage({ params }: { params: Promise<{ id: string; userId: string }> }) {
  const { id, userId } = await params;
  const viewer = await requireUser(`/classes/${id}/students/${userId}`);
  const database = await db();
  const cls = await managedClass(database, viewer, id);
  if (cls === null || !(await canViewLearnerInClass(database, viewer, cls, userId))) notFound();
  const [{ lang, t }, learner, history, progress] = await Promise.all([getT(), getUser(database, userId), submissionHistory(database, userId, { limit: 200 }), refreshProgress(database, userId)]);
  return (
    <>
      <p>
        <a href={`/classes/${id}`}>← {t("backToDashboard")}</a>
      </p>
      <h1>{t("studentTitle", { name: learner.displayName })}</h1>
      <p>{t("progressDone", { done: progress.doneCount, total: progress.total })}</p>
      <HistoryTable history={history} lang={lang} t={t} showExercise />
    </>
  );
}
