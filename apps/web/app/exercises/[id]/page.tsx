import { submissionHistory } from "@tfm/db";
import { notFound } from "next/navigation";
import { HistoryTable } from "@/components/HistoryTable.tsx";
import { Workbench } from "@/components/Workbench.tsx";
import { db } from "@/lib/db.ts";
import { getChecklist, getExercise } from "@/lib/grader.ts";
import { renderMarkdown } from "@/lib/markdown.ts";
import { csrfToken, getT, requireUser } from "@/lib/session.ts";

export const dynamic = "force-dynamic";

export default async function ExercisePage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const user = await requireUser(`/exercises/${id}`);
  const exercise = await getExercise(id);
  if (exercise === null) notFound();
  const [{ lang, t }, csrf, history, checklist] = await Promise.all([
    getT(),
    csrfToken(),
    submissionHistory(await db(), user.id, { exerciseId: id, limit: 30 }),
    getChecklist(),
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
      <p className="hint">
        {t("section", { section: exercise.chapterSection })} · {t("completesItems")}: {items.map((i) => i.text[lang]).join(" / ")}
      </p>
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
        </section>
        <section aria-labelledby="editor-title">
          <Workbench exerciseId={exercise.id} starter={exercise.starter} lang={lang} csrf={csrf} />
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
