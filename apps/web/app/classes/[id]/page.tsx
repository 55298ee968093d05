import { classDashboard, classExtensions, reviewQueue } from "@tfm/db";
import { formatInZone } from "@tfm/progress";
import { notFound } from "next/navigation";
import { Messages } from "@/components/Messages.tsx";
import { managedClass } from "@/lib/access.ts";
import { ConfirmButton } from "@/components/ConfirmButton.tsx";
import { medianAttempts, submissionTimeline, withEmptyDays } from "@/lib/class-stats.ts";
import { db } from "@/lib/db.ts";
import { listExercises } from "@/lib/grader.ts";
import { levelKey } from "@/lib/i18n.ts";
import { csrfToken, getT, requireUser } from "@/lib/session.ts";

export const dynamic = "force-dynamic";

/** Roster rows per page: the class-wide figures below the matrix always cover every student. */
const ROSTER_PAGE = 100;

const fmt = (d: Date | null, lang: string) => (d === null ? "—" : d.toLocaleDateString(lang === "ja" ? "ja-JP" : "en-GB", { timeZone: "Asia/Tokyo" }));

export default async function DashboardPage({ params, searchParams }: { params: Promise<{ id: string }>; searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const { id } = await params;
  const viewer = await requireUser(`/classes/${id}`);
  const database = await db();
  const cls = await managedClass(database, viewer, id);
  if (cls === null) notFound();
  const [{ lang, t }, d, timeline, csrf, search, queue, exercises] = await Promise.all([
    getT(),
    classDashboard(database, id),
    submissionTimeline(database, id),
    csrfToken(),
    searchParams,
    reviewQueue(database, id),
    listExercises(),
  ]);
  const pitfallTitles = new Map(exercises.flatMap((e) => e.pitfalls.map((p) => [p.id, p.title[lang]] as const)));
  const medians = medianAttempts(d);
  const maxDay = Math.max(1, ...timeline.map((x) => x.count));
  const levelOrder = ["excellent", "recommended", "minimum", "none"] as const;
  const pages = Math.max(1, Math.ceil(d.learners.length / ROSTER_PAGE));
  const requested = Number.parseInt(typeof search.page === "string" ? search.page : "1", 10);
  const page = Number.isFinite(requested) ? Math.min(Math.max(requested, 1), pages) : 1;
  const from = (page - 1) * ROSTER_PAGE;
  const rows = d.learners.slice(from, from + ROSTER_PAGE);
  const pageLink = (n: number) => `/classes/${id}?page=${n}#roster`;
  return (
    <>
      <h1>{t("dashboardTitle", { name: d.class.name })}</h1>
      <p>
        {t("inviteCodeIs", { code: d.class.inviteCode })} · {t("students", { count: d.learners.length })}
      </p>
      <Messages t={t} search={search} />
      <p className="actions">
        <a className="button secondary" href={`/classes/${id}/export`} download>
          {t("exportCsv")}
        </a>
        <a className="button secondary" href={`/classes/${id}/assignments`}>
          {t("asgManage")}
        </a>
        <a className="button secondary" href={`/classes/${id}/review`}>
          {t("reviewQueueTitle", { count: queue.length })}
        </a>
      </p>

      <DashboardExtensions classId={id} lang={lang} t={t} />

      <section aria-labelledby="roster">
        <h2 id="roster">{t("rosterTitle")}</h2>
        <p className="hint">{t("rosterCaption")}</p>
        {pages > 1 ? (
          <nav aria-label={t("rosterPages")} className="actions" data-testid="roster-pages">
            <span>{t("rosterRange", { from: from + 1, to: from + rows.length, total: d.learners.length })}</span>
            {page > 1 ? <a href={pageLink(page - 1)} rel="prev">{t("pagePrev", { count: ROSTER_PAGE })}</a> : null}
            {page < pages ? <a href={pageLink(page + 1)} rel="next">{t("pageNext", { count: Math.min(ROSTER_PAGE, d.learners.length - from - rows.length) })}</a> : null}
          </nav>
        ) : null}
        <div className="scroll-x">
          <table className="matrix" data-testid="roster">
            <thead>
              <tr>
                <th scope="col" className="rowhead">
                  {t("learner")}
                </th>
                <th scope="col">{t("checklistDone")}</th>
                <th scope="col">{t("lastActivity")}</th>
                {d.exercises.map((e) => (
                  <th key={e.id} scope="col" title={e.title[lang]}>
                    {e.order}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {rows.map((l) => (
                <tr key={l.userId} data-learner={l.email}>
                  <th scope="row" className="rowhead">
                    <a href={`/classes/${id}/students/${l.userId}`}>{l.displayName}</a>
                  </th>
                  <td data-testid="learner-checklist">
                    {l.doneCount ?? "—"}{l.level === null ? "" : ` · ${t(levelKey(l.level))}`}
                  </td>
                  <td>{fmt(l.lastSubmittedAt, lang)}</td>
                  {d.exercises.map((e) => {
                    const c = l.cells[e.id];
                    if (c === undefined) return <td key={e.id}>·</td>;
                    return (
                      <td key={e.id} className={c.passed ? "passed" : "attempted"} data-cell={e.id}>
                        {c.bestScore === null ? "—" : Math.round(c.bestScore * 100)}/{c.attempts}
                      </td>
                    );
                  })}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>

      <section aria-labelledby="per-exercise">
        <h2 id="per-exercise">{t("perExerciseTitle")}</h2>
        <div className="scroll-x">
          <table>
            <thead>
              <tr>
                <th scope="col">{t("exercise")}</th>
                <th scope="col">{t("passRate")}</th>
                <th scope="col">{t("medianAttempts")}</th>
              </tr>
            </thead>
            <tbody>
              {d.exercises.map((e) => (
                <tr key={e.id}>
                  <td>
                    {e.order}. {e.title[lang]}
                  </td>
                  <td>
                    {Math.round(e.passRate * 100)}% ({e.passed}/{e.learners})
                  </td>
                  <td>{medians.get(e.id) ?? "—"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>

      <div className="grid-2">
        <section aria-labelledby="pitfalls">
          <h2 id="pitfalls">{t("pitfallsTitle")}</h2>
          <table>
            <thead>
              <tr>
                <th scope="col">{t("pitfall")}</th>
                <th scope="col">{t("learnersCol")}</th>
                <th scope="col">{t("failingTests")}</th>
              </tr>
            </thead>
            <tbody>
              {d.pitfalls.slice(0, 10).map((p) => (
                <tr key={p.pitfallId}>
                  <td>{pitfallTitles.get(p.pitfallId) ?? p.pitfallId}</td>
                  <td>{p.learners}</td>
                  <td>{p.failingTests}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
        <section aria-labelledby="levels">
          <h2 id="levels">{t("levelsTitle")}</h2>
          <div className="bars">
            {[...levelOrder, "unknown" as const].map((lv) => (
              <div key={lv}>
                <span style={{ minWidth: "9rem" }}>{lv === "unknown" ? t("levelUnknown") : t(levelKey(lv))}</span>
                <span className="bar" style={{ width: `${(100 * d.levels[lv]) / Math.max(1, d.learners.length)}%`, minWidth: d.levels[lv] > 0 ? "2px" : 0 }} />
                <span>{d.levels[lv]}</span>
              </div>
            ))}
          </div>
        </section>
      </div>

      <section aria-labelledby="timeline">
        <h2 id="timeline">{t("timelineTitle")}</h2>
        <div className="bars">
          {withEmptyDays(timeline).map((x) => (
            <div key={x.day}>
              <span style={{ minWidth: "7rem" }}>{x.day}</span>
              <span className="bar" style={{ width: `${(60 * x.count) / maxDay}%` }} />
              <span>{x.count}</span>
            </div>
          ))}
        </div>
      </section>

      <section aria-labelledby="regrade">
        <h2 id="regrade">{t("regradeTitle")}</h2>
        <form method="post" action={`/api/classes/${id}/regrade`} className="actions">
          <input type="hidden" name="csrf" value={csrf} />
          <label htmlFor="regrade-ex" className="sr-only">
            {t("exercise")}
          </label>
          <select id="regrade-ex" name="exerciseId" style={{ maxWidth: "24rem" }}>
            {d.exercises.map((e) => (
              <option key={e.id} value={e.id}>
                {e.order}. {e.title[lang]}
              </option>
            ))}
          </select>
          <ConfirmButton message={t("confirmRegrade")} testId="regrade">
            {t("regrade")}
          </ConfirmButton>
        </form>
      </section>
    </>
  );
}

/** The class's extensions (issue 18: shown on the dashboard), with their reasons: instructors only. */
async function DashboardExtensions({ classId, lang, t }: { classId: string; lang: "ja" | "en"; t: (k: "asgExtensions" | "asgExtWhole") => string }) {
  const list = await classExtensions(await db(), classId);
  if (list.length === 0) return null;
  return (
    <section aria-labelledby="dash-extensions">
      <h2 id="dash-extensions">{t("asgExtensions")}</h2>
      <ul data-testid="dashboard-extensions">
        {list.map((e) => (
          <li key={`${e.assignmentId}-${e.userId}-${e.itemKey}`}>
            <a href={`/classes/${classId}/assignments/${e.assignmentId}`}>{lang === "ja" ? e.titleJa : e.titleEn}</a> — {e.displayName} (
            {e.itemKey === "" ? t("asgExtWhole") : e.itemKey}): {formatInZone(e.dueAt, e.timeZone, lang)} — <em>{e.reason}</em>
          </li>
        ))}
      </ul>
    </section>
  );
}
