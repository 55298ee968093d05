import { NotFoundError, assignmentScores, deadlineBurst } from "@tfm/db";
import { formatInZone, itemKey } from "@tfm/progress";
import { notFound } from "next/navigation";
import { AssignmentForm } from "@/components/AssignmentForm.tsx";
import { Messages } from "@/components/Messages.tsx";
import { managedClass } from "@/lib/access.ts";
import { KIND_KEYS, STATUS_KEYS, itemCatalog, itemTitle, percent, title } from "@/lib/assignments.ts";
import { db } from "@/lib/db.ts";
import { csrfToken, getT, requireUser } from "@/lib/session.ts";

export const dynamic = "force-dynamic";

/** The instructor's view of one assignment: students x items, extensions, overrides, the burst, editing. */
export default async function AssignmentPage({ params, searchParams }: { params: Promise<{ id: string; aid: string }>; searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const { id, aid } = await params;
  const viewer = await requireUser(`/classes/${id}/assignments/${aid}`);
  const database = await db();
  const cls = await managedClass(database, viewer, id);
  if (cls === null) notFound();
  let data;
  try {
    data = await assignmentScores(database, aid);
  } catch (e) {
    if (e instanceof NotFoundError) notFound();
    throw e;
  }
  // An assignment of another class is not found here either.
  if (data.assignment.classId !== cls.id) notFound();
  const { assignment: a, students } = data;
  const [{ lang, t }, csrf, search, catalog, burst] = await Promise.all([getT(), csrfToken(), searchParams, itemCatalog(), deadlineBurst(database, cls.id)]);
  const zone = a.timeZone;
  const when = (d: Date) => formatInZone(d, zone, lang);
  const keys = a.items.map((i) => itemKey(i.kind, i.itemId));
  const maxMinute = Math.max(1, ...burst.perMinute.map((m) => m.count));
  const page = `/api/assignments/${aid}`;
  return (
    <>
      <h1>{title(a, lang)}</h1>
      <p className="actions">
        <a href={`/classes/${id}/assignments`}>{t("asgBack")}</a>
        <a href={`/classes/${id}`}>{t("backToDashboard")}</a>
        <a href={`/classes/${id}/audit`}>{t("asgAuditLink")}</a>
        <a className="button secondary" href={`/classes/${id}/assignments/${aid}/export`} download>
          {t("asgExportCsv")}
        </a>
      </p>
      <Messages t={t} search={search} />
      <dl className="facts" data-testid="rules">
        <dt>{t("asgStatus")}</dt>
        <dd>
          <span className={`badge ${a.publishedAt === null ? "pending" : "done"}`} data-testid="published">
            {a.publishedAt === null ? t("asgDraft") : t("asgPublished")}
          </span>{" "}
          <span className="hint">{t("asgRevision", { n: a.revision })}</span>
        </dd>
        <dt>{t("asgOpensAt")}</dt>
        <dd>{when(a.opensAt)}</dd>
        <dt>{t("asgDueAt")}</dt>
        <dd data-testid="due">{when(a.dueAt)}</dd>
        <dt>{t("asgClosesAt")}</dt>
        <dd>{a.closesAt === null ? t("asgNoClose") : when(a.closesAt)}</dd>
        <dt>{t("asgLatePolicy")}</dt>
        <dd>{a.latePolicy.kind === "none" ? t("asgLateNone") : t("asgLatePolicyText", { pct: a.latePolicy.percentPerDay, floor: a.latePolicy.floorPercent })}</dd>
      </dl>
      <p className="hint" data-testid="zone">
        {t("asgZoneIs", { zone })}
      </p>
      <form method="post" action={page} className="actions">
        <input type="hidden" name="csrf" value={csrf} />
        <input type="hidden" name="action" value={a.publishedAt === null ? "publish" : "unpublish"} />
        <button type="submit" data-testid="publish-toggle" className={a.publishedAt === null ? "" : "secondary"}>
          {a.publishedAt === null ? t("asgPublish") : t("asgUnpublish")}
        </button>
      </form>

      <section aria-labelledby="matrix">
        <h2 id="matrix">{t("asgMatrix")}</h2>
        <p className="hint">{t("asgMatrixCaption")}</p>
        <div className="scroll-x">
          <table className="matrix" data-testid="assignment-matrix">
            <thead>
              <tr>
                <th scope="col" className="rowhead">
                  {t("asgStudent")}
                </th>
                {a.items.map((i) => (
                  <th key={itemKey(i.kind, i.itemId)} scope="col" title={itemTitle(catalog, itemKey(i.kind, i.itemId), lang)}>
                    {t(KIND_KEYS[i.kind])} · {i.itemId} (×{i.weight})
                  </th>
                ))}
                <th scope="col">{t("asgTotal")}</th>
              </tr>
            </thead>
            <tbody>
              {students.map((s) => (
                <tr key={s.userId} data-learner={s.email}>
                  <th scope="row" className="rowhead">
                    <a href={`/classes/${id}/students/${s.userId}`}>{s.displayName}</a>
                  </th>
                  {s.score.items.map((c) => (
                    <td
                      key={itemKey(c.kind, c.itemId)}
                      className={c.status === "on_time" ? "passed" : c.status === "missing" ? "" : "attempted"}
                      data-cell={itemKey(c.kind, c.itemId)}
                      data-status={c.status}
                      data-score={c.score}
                      title={c.extended ? `${t("asgExtended")}: ${when(c.dueAt)}` : undefined}
                    >
                      {c.status === "missing" && c.override === null ? "—" : percent(c.score)} {t(STATUS_KEYS[c.status])}
                      {c.daysLate > 0 ? ` (${t("asgDaysLate", { n: c.daysLate })})` : ""}
                      {c.extended ? ` · ${t("asgExtended")}` : ""}
                      {c.override !== null ? <span title={`${t("asgOverridden")}: ${c.override.comment}`}> ✎</span> : null}
                    </td>
                  ))}
                  <td data-total={s.score.total}>
                    <strong>{percent(s.score.total)}</strong>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>

      <section aria-labelledby="burst">
        <h2 id="burst">{t("asgBurst")}</h2>
        <p className="hint">{t("asgBurstCaption")}</p>
        <p data-testid="queue-now">{t("asgQueueNow", { cls: burst.classQueue, all: burst.queueDepth })}</p>
        <div className="burst" data-testid="burst" role="img" aria-label={burst.perMinute.map((m) => `${when(m.start).slice(-9, -4)} ${m.count}`).join(", ")}>
          {burst.perMinute.map((m) => (
            <span key={m.start.toISOString()} className="burst-bar" title={`${when(m.start)}: ${m.count}`} style={{ height: `${(100 * m.count) / maxMinute}%` }} data-count={m.count} />
          ))}
        </div>
        <p className="hint">
          {when(burst.perMinute[0]?.start ?? new Date())} — {when(new Date())}
        </p>
      </section>

      <section aria-labelledby="extensions">
        <h2 id="extensions">{t("asgExtensions")}</h2>
        <ul data-testid="extensions">
          {students.flatMap((s) =>
            s.extensions.map((e) => (
              <li key={`${s.userId}-${e.itemKey}`}>
                {s.displayName} — {e.itemKey === "" ? t("asgExtWhole") : itemTitle(catalog, e.itemKey, lang)}: <strong>{when(e.dueAt)}</strong> — <em>{e.reason}</em>{" "}
                <form method="post" action={page} style={{ display: "inline" }}>
                  <input type="hidden" name="csrf" value={csrf} />
                  <input type="hidden" name="action" value="revoke" />
                  <input type="hidden" name="userId" value={s.userId} />
                  <input type="hidden" name="itemKey" value={e.itemKey} />
                  <button type="submit" className="link">
                    {t("asgExtRevoke")}
                  </button>
                </form>
              </li>
            )),
          )}
        </ul>
        <form method="post" action={page} className="card form-card" data-testid="extension-form">
          <input type="hidden" name="csrf" value={csrf} />
          <input type="hidden" name="action" value="extend" />
          <label htmlFor="ext-user">{t("asgStudent")}</label>
          <select id="ext-user" name="userId" required>
            {students.map((s) => (
              <option key={s.userId} value={s.userId}>
                {s.displayName} ({s.email})
              </option>
            ))}
          </select>
          <label htmlFor="ext-item">{t("asgExtItem")}</label>
          <select id="ext-item" name="itemKey">
            <option value="">{t("asgExtWhole")}</option>
            {keys.map((k) => (
              <option key={k} value={k}>
                {itemTitle(catalog, k, lang)}
              </option>
            ))}
          </select>
          <label htmlFor="ext-due">
            {t("asgExtDue")} ({zone})
          </label>
          <input id="ext-due" name="dueAt" type="datetime-local" step={1} required />
          <label htmlFor="ext-reason">{t("asgExtReason")}</label>
          <input id="ext-reason" name="reason" type="text" required maxLength={1000} />
          <p className="actions">
            <button type="submit">{t("asgExtend")}</button>
          </p>
        </form>
      </section>

      <section aria-labelledby="overrides">
        <h2 id="overrides">{t("asgOverrides")}</h2>
        <form method="post" action={page} className="card form-card" data-testid="override-form">
          <input type="hidden" name="csrf" value={csrf} />
          <input type="hidden" name="action" value="override" />
          <label htmlFor="ov-user">{t("asgStudent")}</label>
          <select id="ov-user" name="userId" required>
            {students.map((s) => (
              <option key={s.userId} value={s.userId}>
                {s.displayName} ({s.email})
              </option>
            ))}
          </select>
          <label htmlFor="ov-item">{t("asgItem")}</label>
          <select id="ov-item" name="itemKey">
            {keys.map((k) => (
              <option key={k} value={k}>
                {itemTitle(catalog, k, lang)}
              </option>
            ))}
          </select>
          <label htmlFor="ov-score">{t("asgOverrideScore")}</label>
          <input id="ov-score" name="score" type="number" min={0} max={100} step="0.01" />
          <label htmlFor="ov-comment">{t("asgOverrideComment")}</label>
          <input id="ov-comment" name="comment" type="text" required maxLength={2000} />
          <p className="actions">
            <button type="submit">{t("asgOverride")}</button>
          </p>
        </form>
        <h3>{t("asgOverrideHistory")}</h3>
        <ul data-testid="override-history">
          {students.flatMap((s) =>
            s.overrideHistory.map((o, k) => (
              <li key={`${s.userId}-${k}`}>
                {when(o.at)} · {s.displayName} · {itemTitle(catalog, o.itemKey, lang)}: <strong>{o.score === null ? t("asgOverrideCleared") : percent(o.score)}</strong> — {o.comment} ({o.byName})
              </li>
            )),
          )}
        </ul>
      </section>

      <section aria-labelledby="edit">
        <h2 id="edit">{t("asgEdit")}</h2>
        <AssignmentForm t={t} lang={lang} csrf={csrf} action={page} op="update" zone={zone} catalog={catalog} current={a} defaults={{ opensAt: "", dueAt: "" }} submit={t("asgSave")} />
        <form method="post" action={page} className="actions">
          <input type="hidden" name="csrf" value={csrf} />
          <input type="hidden" name="action" value="delete" />
          <label>
            <input type="checkbox" name="confirm" value="yes" required /> {t("asgDeleteConfirm")}
          </label>
          <button type="submit" className="secondary">
            {t("asgDelete")}
          </button>
        </form>
      </section>
    </>
  );
}
