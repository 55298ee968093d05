import type { ItemEvidence } from "@tfm/contract";
import { Messages } from "@/components/Messages.tsx";
import { db } from "@/lib/db.ts";
import { ItemProgress } from "@/components/ItemProgress.tsx";
import { type ItemView, itemView, linkFor } from "@/lib/checklist-view.ts";
import { getChecklist, listExercises, listFreeText, listQuizzes } from "@/lib/grader.ts";
import { type Translator, levelKey } from "@/lib/i18n.ts";
import { refreshProgress } from "@/lib/progress.ts";
import { csrfToken, getT, requireUser } from "@/lib/session.ts";

export const dynamic = "force-dynamic";

function EvidenceText({ e, t, title }: { e: ItemEvidence; t: Translator; title: (id: string) => string }) {
  switch (e.kind) {
    case "exercise":
      return (
        <>
          {e.submissions.map((s, i) => (
            <span key={s.submissionId}>
              {i > 0 ? ", " : ""}
              <a href={`/submissions/${s.submissionId}`}>{t("evidenceExercise", { exercise: title(s.exerciseId) })}</a>
            </span>
          ))}
        </>
      );
    case "quiz":
      return <a href={`/quizzes/${e.quizId}`}>{t("evidenceQuiz", { quiz: title(e.quizId) })}</a>;
    case "review":
      return <a href={`/free-text/${e.problemId}`}>{t("evidenceReview", { problem: title(e.problemId) })}</a>;
    case "self":
      return <>{t("evidenceSelf")}</>;
  }
}

function PendingLinks({ view, t }: { view: ItemView; t: Translator }) {
  if (view.pending.length === 0) return null;
  return (
    <>
      {t("stillNeededLabel")}{" "}
      {view.pending.map((p, i) => (
        <span key={p.id}>
          {i > 0 ? ", " : ""}
          <a href={p.href}>{p.title}</a>
        </span>
      ))}
    </>
  );
}

export default async function ChecklistPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const user = await requireUser("/checklist");
  const [{ lang, t }, checklist, progress, csrf, search, exercises, quizzes, freeText] = await Promise.all([
    getT(),
    getChecklist(),
    refreshProgress(await db(), user.id),
    csrfToken(),
    searchParams,
    listExercises(),
    listQuizzes(),
    listFreeText(),
  ]);
  const catalog = { exercises, quizzes, freeText };
  const title = (id: string) => linkFor(catalog, id, lang).title;
  const byId = new Map(progress.items.map((i) => [i.id, i]));
  const pct = (n: number) => `${(100 * n) / progress.total}%`;
  return (
    <>
      <h1>{t("checklistTitle")}</h1>
      <p>{t("checklistIntro")}</p>
      <Messages t={t} search={search} />
      <section aria-labelledby="overall" className="card">
        <h2 id="overall">
          <span data-testid="done-count">{t("progressDone", { done: progress.doneCount, total: progress.total })}</span> ·{" "}
          <span data-testid="level">{t(levelKey(progress.level))}</span>
        </h2>
        <div className="progress-bar" role="progressbar" aria-label={t("progressLabel")} aria-valuemin={0} aria-valuemax={progress.total} aria-valuenow={progress.doneCount}>
          <span style={{ width: pct(progress.doneCount) }} />
        </div>
        <div className="marks" aria-hidden="true">
          {[progress.marks.minimum, progress.marks.recommended, progress.marks.excellent].map((m) => (
            <span key={m} style={{ left: pct(m) }}>
              ▲ {m}
            </span>
          ))}
        </div>
        <p className="hint">
          {progress.marks.minimum}: {t("markMinimum")} · {progress.marks.recommended}: {t("markRecommended")} · {progress.marks.excellent}: {t("markExcellent")}
        </p>
      </section>
      {checklist.groups.map((g) => {
        const items = checklist.items.filter((i) => i.group === g.id);
        const gp = progress.byGroup[g.id];
        return (
          <section key={g.id} aria-labelledby={`g-${g.id}`}>
            <h2 id={`g-${g.id}`}>
              {g.title[lang]} <span className="hint">({gp?.done ?? 0} / {gp?.total ?? items.length})</span>
            </h2>
            <ul className="list-plain items">
              {items.map((item) => {
                const p = byId.get(item.id);
                const done = p?.done === true;
                return (
                  <li key={item.id} data-item={item.id} data-done={done ? "true" : "false"}>
                    <ItemProgress view={itemView(item, progress, catalog, lang)} t={t} showPending={false} />
                    <div className="hint">
                      {done && p?.evidence != null ? (
                        <>
                          {t("evidence")}: <EvidenceText e={p.evidence} t={t} title={title} />
                        </>
                      ) : (
                        <PendingLinks view={itemView(item, progress, catalog, lang)} t={t} />
                      )}
                    </div>
                    {item.evidence.kind === "self" ? (
                      <form method="post" action="/api/checklist/self">
                        <input type="hidden" name="csrf" value={csrf} />
                        <input type="hidden" name="itemId" value={item.id} />
                        <input type="hidden" name="checked" value={done ? "false" : "true"} />
                        <button type="submit" className="secondary">
                          {done ? t("selfUncheck") : t("selfCheckRead")}
                        </button>
                      </form>
                    ) : null}
                  </li>
                );
              })}
            </ul>
          </section>
        );
      })}
    </>
  );
}
