import { studentAssignments } from "@tfm/db";
import { assignmentPhase, effectiveDue, formatInZone } from "@tfm/progress";
import { isStaff } from "@/lib/access.ts";
import { PHASE_KEYS, percent, title } from "@/lib/assignments.ts";
import { db } from "@/lib/db.ts";
import { getT, requireUser } from "@/lib/session.ts";

export const dynamic = "force-dynamic";

/** A student's published assignments: due time (their extension's when they have one), phase, progress, score. */
export default async function AssignmentsPage() {
  const user = await requireUser("/assignments");
  const database = await db();
  const [{ lang, t }, views] = await Promise.all([getT(), studentAssignments(database, user.id)]);
  const now = new Date();
  return (
    <>
      <h1>{t("asgTitle")}</h1>
      {isStaff(user) ? (
        <p>
          <a href="/classes">{t("asgManage")}</a>
        </p>
      ) : null}
      {views.length === 0 ? (
        <p>{t("asgStudentNone")}</p>
      ) : (
        <div className="scroll-x">
          <table data-testid="my-assignments">
            <thead>
              <tr>
                <th scope="col">{t("asgTitle")}</th>
                <th scope="col">{t("asgDue")}</th>
                <th scope="col">{t("asgStatus")}</th>
                <th scope="col">{t("asgItems")}</th>
                <th scope="col">{t("asgYourScore")}</th>
              </tr>
            </thead>
            <tbody>
              {views.map((v) => {
                const a = v.assignment;
                const whole = v.extensions.find((e) => e.itemKey === "");
                const due = effectiveDue(a, whole === undefined ? [] : [{ kind: null, itemId: null, dueAt: whole.dueAt }], "exercise", "");
                const phase = assignmentPhase(a, due.dueAt, now);
                const done = v.score.items.filter((i) => i.status !== "missing").length;
                return (
                  <tr key={a.id} data-assignment={a.id}>
                    <td>
                      <a href={`/assignments/${a.id}`}>{title(a, lang)}</a>
                    </td>
                    <td>
                      {formatInZone(due.dueAt, a.timeZone, lang)} <span className="hint">({a.timeZone})</span>
                      {due.extended ? ` · ${t("asgExtended")}` : ""}
                    </td>
                    <td>
                      <span className={`badge ${phase === "open" ? "done" : phase === "closed" ? "error" : "pending"}`} data-phase={phase}>
                        {t(PHASE_KEYS[phase])}
                      </span>
                    </td>
                    <td>{t("asgDoneCount", { done, total: v.score.items.length })}</td>
                    <td data-total={v.score.total}>{percent(v.score.total)}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
