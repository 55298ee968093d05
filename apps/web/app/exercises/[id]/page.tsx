import { submissionHistory } from "@tfm/db";
import { notFound } from "next/navigation";
import { AssignmentNotice } from "@/components/AssignmentNotice.tsx";
import { HistoryTable } from "@/components/HistoryTable.tsx";
import { Workbench } from "@/components/Workbench.tsx";
import { loadDraft } from "@/lib/account.ts";
import { db } from "@/lib/db.ts";
import { getChecklist, getExercise, listExercises, listFreeText, listQuizzes } from "@/lib/grader.ts";
import { ItemProgress } from "@/components/ItemProgress.tsx";
import { itemView } from "@/lib/checklist-view.ts";
import { sectionLabel } from "@/lib/i18n.ts";
import { refreshProgress } from "@/lib/progress.ts";
import { renderMarkdown } from "@/lib/markdown.ts";
import { csrfToken, getT, requireUser } from "@/lib/session.ts";

export const dynamic = "force-dynamic";

export default async function ExercisePage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const user = await requireUser(`/exercises/${id}`);
  const exercise = await getExercise(id);
  if (exercise === null) notFound();
  const database = await db();
  const [{ lang, t }, csrf, history, checklist, draft, progress, exercises, quizzes, freeText] = await Promise.all([
    getT(),
    csrfToken(),
    submissionHistory(database, user.id, { exerciseId: id, limit: 30 }),
    getChecklist(),
    loadDraft(database, user.id, id),
    refreshProgress(database, user.id),
    listExercises(),
    listQuizzes(),
    listFreeText(),
  ]);
  const items = checklist.items.filter((i) => exercise.checklist.includes(i.id));
  return (
    <>
      <p>
        <a href="/exercises">← {t("exercisesTitle")}</a>
      </p>
      <h1>
        {exercise.order}. {exercise.title[lang]}
      </h1>
      <AssignmentNotice userId={user.id} kind="exercise" itemId={id} t={t} lang={lang} />
      <p className="hint">
        {sectionLabel(t, exercise.chapterSection)} · {t("completesItems")}:
      </p>
      <ul className="hint" data-testid="completes">
        {items.map((i) => (
          <li key={i.id}>
            <ItemProgress view={itemView(i, progress, { exercises, quizzes, freeText }, lang)} t={t} exclude={exercise.id} />
          </li>
        ))}
      </ul>
      <div className="grid-2">
        <section aria-labelledby="statement-title">
          <h2 id="statement-title">{t("statement")}</h2>
          <div className="statement" lang={lang} dangerouslySetInnerHTML={{ __html: renderMarkdown(exercise.statement[lang]) }} />
          <h3>{t("publicTests")}</h3>
          <ul>
            {exercise.publicTests.map((p) => (
              <li key={p.id}>{p.name[lang]}</li>
            ))}
          </ul>
          <p className="hint">{t("hiddenTests", { count: exercise.hiddenTestCount })}</p>
          <p className="hint" data-testid="limits">
            {t("limitsLine", { call: exercise.limits.callTimeoutMs, submission: exercise.limits.wallTimeoutMs, memory: exercise.limits.memoryMb })}
          </p>
        </section>
        <section aria-labelledby="editor-title">
          <Workbench exerciseId={exercise.id} starter={exercise.starter} initial={draft?.source ?? exercise.starter} lang={lang} csrf={csrf} tolerance={exercise.tolerance} />
        </section>
      </div>
      <section aria-labelledby="history-title">
        <h2 id="history-title">{t("historyTitle")}</h2>
        {history.length === 0 ? (
          <p>{t("historyEmpty")}</p>
        ) : (
          <HistoryTable history={history} lang={lang} t={t} showExercise={false} testId="history" />
        )}
      </section>
    </>
  );
}
