import { db } from "@/lib/db.ts";
import { listExercises, listFreeText, listQuizzes, getChecklist } from "@/lib/grader.ts";
import type { MessageKey } from "@/lib/i18n.ts";
import { exerciseStates, refreshProgress } from "@/lib/progress.ts";
import { ItemProgress } from "@/components/ItemProgress.tsx";
import { itemView } from "@/lib/checklist-view.ts";
import { sectionLabel } from "@/lib/i18n.ts";
import { getT, requireUser } from "@/lib/session.ts";

export const dynamic = "force-dynamic";

const AREA_KEYS: Record<string, MessageKey> = {
  implementation: "areaImplementation",
  debugging: "areaDebugging",
  application: "areaApplication",
  reproducibility: "areaReproducibility",
};
const STATE_KEYS = { not_started: "stateNotStarted", attempted: "stateAttempted", passed: "statePassed" } as const;

export default async function ExercisesPage() {
  const user = await requireUser("/exercises");
  const database = await db();
  const [{ lang, t }, exercises, states, checklist, quizzes, freeText, quizPasses, progress] = await Promise.all([
    getT(),
    listExercises(),
    exerciseStates(database, user.id),
    getChecklist(),
    listQuizzes(),
    listFreeText(),
    database.run("reading quiz results", (p) => p.quizAttempt.groupBy({ by: ["quizId", "verdict"], where: { userId: user.id }, _count: { _all: true } })),
    refreshProgress(database, user.id),
  ]);
  const catalog = { exercises, quizzes, freeText };
  const items = new Map(checklist.items.map((i) => [i.id, itemView(i, progress, catalog, lang)]));
  // An item shown next to an exercise says how much of it is done ("1 of 2 done"), and what else it needs.
  const itemLines = (ids: readonly string[], self: string) =>
    ids.map((id) => {
      const v = items.get(id);
      return v === undefined ? null : (
        <div key={id}>
          <ItemProgress view={v} t={t} exclude={self} />
        </div>
      );
    });
  const areas: string[] = [];
  for (const e of exercises) if (!areas.includes(e.area)) areas.push(e.area);
  const passedQuizzes = new Set(quizPasses.filter((q) => q.verdict === "passed").map((q) => q.quizId));
  const triedQuizzes = new Set(quizPasses.map((q) => q.quizId));
  return (
    <>
      <h1>{t("exercisesTitle")}</h1>
      <p>{t("exercisesIntro")}</p>
      {areas.map((area) => (
        <section key={area} aria-labelledby={`area-${area}`}>
          <h2 id={`area-${area}`}>{t(AREA_KEYS[area] ?? "exercisesTitle")}</h2>
          <ol className="list-plain ex-list">
            {exercises
              .filter((e) => e.area === area)
              .map((e) => {
                const st = states.get(e.id);
                const state = st?.state ?? "not_started";
                return (
                  <li key={e.id} data-exercise={e.id}>
                    <div>
                      <a href={`/exercises/${e.id}`}>
                        {e.order}. {e.title[lang]}
                      </a>
                      <div className="hint">{e.summary[lang]}</div>
                    </div>
                    <div>
                      <span className={`badge ${state}`} data-state={state}>
                        {t(STATE_KEYS[state])}
                      </span>
                      {st !== undefined && st.pending > 0 ? <span className="badge pending">{t("stateQueued")}</span> : null}
                    </div>
                    <div className="hint">
                      <span className="sr-only">{t("completesItems")}: </span>
                      {itemLines(e.checklist, e.id)}
                    </div>
                  </li>
                );
              })}
          </ol>
        </section>
      ))}
      <section aria-labelledby="quizzes">
        <h2 id="quizzes">{t("quizzesTitle")}</h2>
        <ol className="list-plain ex-list">
          {quizzes.map((q) => {
            const state = passedQuizzes.has(q.id) ? "passed" : triedQuizzes.has(q.id) ? "attempted" : "not_started";
            return (
              <li key={q.id} data-quiz={q.id}>
                <div>
                  <a href={`/quizzes/${q.id}`}>{q.title[lang]}</a>
                  <div className="hint">{sectionLabel(t, q.chapterSection)}</div>
                </div>
                <div>
                  <span className={`badge ${state}`}>{t(STATE_KEYS[state])}</span>
                </div>
                <div className="hint">{itemLines(q.checklist, q.id)}</div>
              </li>
            );
          })}
        </ol>
      </section>
      <section aria-labelledby="free-text">
        <h2 id="free-text">{t("freeTextTitle")}</h2>
        <ul className="list-plain ex-list">
          {freeText.map((f) => (
            <li key={f.id}>
              <div>
                <a href={`/free-text/${f.id}`}>{f.title[lang]}</a>
              </div>
              <div className="hint">{sectionLabel(t, f.chapterSection)}</div>
              <div />
            </li>
          ))}
        </ul>
      </section>
    </>
  );
}
