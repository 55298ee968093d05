import { NotFoundError, studentAssignment } from "@tfm/db";
import { assignmentPhase, effectiveClose, effectiveDue, formatInZone, itemKey } from "@tfm/progress";
import { notFound } from "next/navigation";
import { Countdown } from "@/components/Countdown.tsx";
import { KIND_KEYS, PHASE_KEYS, STATUS_KEYS, itemCatalog, percent, title } from "@/lib/assignments.ts";
import { db } from "@/lib/db.ts";
import { getT, requireUser } from "@/lib/session.ts";

export const dynamic = "force-dynamic";

/**
 * A student's own assignment: the due time in the class's zone (named) and a live countdown with the
 * time in the reader's own zone, each item's status and score after the policy, overrides shown as
 * such. Only their own data; extension reasons never reach this page (the data layer leaves them out).
 */
export default async function MyAssignmentPage({ params }: { params: Promise<{ aid: string }> }) {
  const { aid } = await params;
  const user = await requireUser(`/assignments/${aid}`);
  const database = await db();
  let v;
  try {
    v = await studentAssignment(database, user.id, aid);
  } catch (e) {
    if (e instanceof NotFoundError) notFound();
    throw e;
  }
  const [{ lang, t }, catalog] = await Promise.all([getT(), itemCatalog()]);
  const a = v.assignment;
  const zone = a.timeZone;
  const now = new Date();
  const when = (d: Date) => formatInZone(d, zone, lang);
  const whole = v.extensions.find((e) => e.itemKey === "");
  const due = effectiveDue(a, whole === undefined ? [] : [{ kind: null, itemId: null, dueAt: whole.dueAt }], "exercise", "").dueAt;
  const phase = assignmentPhase(a, due, now);
  const close = effectiveClose(a, due);
  const countdownTo = phase === "not_open" ? a.opensAt : phase === "open" ? due : close;
  return (
    <>
      <h1>{title(a, lang)}</h1>
      <p>
        <a href="/assignments">{t("asgBack")}</a>
      </p>
      <p>
        <span className={`badge ${phase === "open" ? "done" : phase === "closed" ? "error" : "pending"}`} data-testid="phase" data-phase={phase}>
          {t(PHASE_KEYS[phase])}
        </span>
      </p>
      <dl className="facts">
        <dt>{t("asgOpensAt")}</dt>
        <dd>{when(a.opensAt)}</dd>
        <dt>{t("asgDueAt")}</dt>
        <dd data-testid="due">
          {when(due)}
          {whole !== undefined ? ` · ${t("asgExtended")}` : ""}
        </dd>
        <dt>{t("asgClosesAt")}</dt>
        <dd>{close === null ? t("asgNoClose") : when(close)}</dd>
        <dt>{t("asgLatePolicy")}</dt>
        <dd>{a.latePolicy.kind === "none" ? t("asgLateNone") : t("asgLatePolicyText", { pct: a.latePolicy.percentPerDay, floor: a.latePolicy.floorPercent })}</dd>
      </dl>
      <p className="hint" data-testid="zone">
        {t("asgZoneIs", { zone })}
      </p>
      {countdownTo === null ? null : (
        <Countdown
          target={countdownTo.toISOString()}
          serverNow={now.toISOString()}
          lang={lang}
          labels={{
            before: phase === "not_open" ? t("asgOpensIn") : t("asgTimeLeft"),
            after: phase === "open" ? t("asgPhaseLate") : t("asgPhaseClosed"),
            countdown: t("asgCountdown"),
            yourZone: t("asgYourZone"),
          }}
        />
      )}
      {phase === "closed" ? (
        <p className="notice closed" data-testid="closed-notice">
          {t("asgPracticeNotCounted", { title: title(a, lang), time: close === null ? "" : when(close) })}
        </p>
      ) : null}
      <div className="scroll-x">
        <table data-testid="my-items">
          <thead>
            <tr>
              <th scope="col">{t("asgItem")}</th>
              <th scope="col">{t("asgWeight")}</th>
              <th scope="col">{t("asgDue")}</th>
              <th scope="col">{t("asgStatus")}</th>
              <th scope="col">{t("asgYourScore")}</th>
            </tr>
          </thead>
          <tbody>
            {v.score.items.map((i) => {
              const key = itemKey(i.kind, i.itemId);
              const c = catalog.find((x) => x.key === key);
              return (
                <tr key={key} data-item={key} data-status={i.status} data-score={i.score}>
                  <td>
                    <span className="badge">{t(KIND_KEYS[i.kind])}</span> {c === undefined ? i.itemId : <a href={c.href}>{c.title[lang]}</a>}
                  </td>
                  <td>{i.weight}</td>
                  <td>
                    {when(i.dueAt)}
                    {i.extended ? ` · ${t("asgExtended")}` : ""}
                  </td>
                  <td>
                    <span className={`badge ${i.status === "on_time" ? "done" : i.status === "missing" ? "not_started" : "attempted"}`}>{t(STATUS_KEYS[i.status])}</span>
                    {i.daysLate > 0 ? ` ${t("asgDaysLate", { n: i.daysLate })}` : ""}
                    {i.waiting > 0 && i.status !== "pending" ? ` · ${t("asgWaiting", { n: i.waiting })}` : ""}
                    {i.notCounted > 0 ? (
                      <>
                        <br />
                        <span className="hint">{t("asgNotCounted", { n: i.notCounted })}</span>
                      </>
                    ) : null}
                  </td>
                  <td>
                    {i.status === "missing" && i.override === null ? "—" : percent(i.score)}
                    {i.override !== null ? (
                      <>
                        <br />
                        <span className="hint" data-testid="override">
                          ✎ {t("asgOverridden")}: {i.override.comment}
                        </span>
                      </>
                    ) : null}
                  </td>
                </tr>
              );
            })}
          </tbody>
          <tfoot>
            <tr>
              <th scope="row" colSpan={4}>
                {t("asgTotal")}
              </th>
              <td data-testid="my-total" data-total={v.score.total}>
                <strong>{percent(v.score.total)}</strong>
              </td>
            </tr>
          </tfoot>
        </table>
      </div>
    </>
  );
}
