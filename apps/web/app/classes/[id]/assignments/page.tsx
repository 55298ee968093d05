import { listAssignments } from "@tfm/db";
import { formatInZone, utcToLocalInput } from "@tfm/progress";
import { notFound } from "next/navigation";
import { AssignmentForm } from "@/components/AssignmentForm.tsx";
import { Messages } from "@/components/Messages.tsx";
import { managedClass } from "@/lib/access.ts";
import { itemCatalog, title } from "@/lib/assignments.ts";
import { db } from "@/lib/db.ts";
import { csrfToken, getT, requireUser } from "@/lib/session.ts";

export const dynamic = "force-dynamic";

/** The instructor's list of a class's assignments, the form for a new one, and the class's time zone. */
export default async function ClassAssignmentsPage({ params, searchParams }: { params: Promise<{ id: string }>; searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const { id } = await params;
  const viewer = await requireUser(`/classes/${id}/assignments`);
  const database = await db();
  const cls = await managedClass(database, viewer, id);
  if (cls === null) notFound();
  const [{ lang, t }, csrf, search, assignments, catalog, zoneRow] = await Promise.all([
    getT(),
    csrfToken(),
    searchParams,
    listAssignments(database, id),
    itemCatalog(),
    database.run("reading a class's time zone", (p) => p.class.findUniqueOrThrow({ where: { id }, select: { timeZone: true } })),
  ]);
  const zone = zoneRow.timeZone;
  const now = new Date();
  const inDays = (d: number, h: number) => utcToLocalInput(new Date(now.getTime() + d * 86_400_000), zone).slice(0, 11) + `${String(h).padStart(2, "0")}:${h === 23 ? "59" : "00"}`;
  return (
    <>
      <h1>{t("asgClassTitle", { name: cls.name })}</h1>
      <p className="actions">
        <a href={`/classes/${id}`}>{t("backToDashboard")}</a>
        <a href={`/classes/${id}/audit`}>{t("asgAuditLink")}</a>
      </p>
      <Messages t={t} search={search} />
      <p className="hint" data-testid="zone">
        {t("asgZoneIs", { zone })}
      </p>
      {assignments.length === 0 ? (
        <p>{t("asgNone")}</p>
      ) : (
        <div className="scroll-x">
          <table data-testid="assignments">
            <thead>
              <tr>
                <th scope="col">{t("asgTitle")}</th>
                <th scope="col">{t("asgDueAt")}</th>
                <th scope="col">{t("asgStatus")}</th>
                <th scope="col">{t("asgItems")}</th>
              </tr>
            </thead>
            <tbody>
              {assignments.map((a) => (
                <tr key={a.id}>
                  <td>
                    <a href={`/classes/${id}/assignments/${a.id}`}>{title(a, lang)}</a>
                  </td>
                  <td>{formatInZone(a.dueAt, zone, lang)}</td>
                  <td>
                    <span className={`badge ${a.publishedAt === null ? "pending" : "done"}`}>{a.publishedAt === null ? t("asgDraft") : t("asgPublished")}</span>
                  </td>
                  <td>{a.items.length}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <section aria-labelledby="create">
        <h2 id="create">{t("asgCreate")}</h2>
        <AssignmentForm
          t={t}
          lang={lang}
          csrf={csrf}
          action={`/api/classes/${id}/assignments`}
          op={null}
          zone={zone}
          catalog={catalog}
          current={null}
          defaults={{ opensAt: inDays(0, 0), dueAt: inDays(7, 23) }}
          submit={t("asgCreate")}
        />
      </section>
      <section aria-labelledby="zone-form">
        <h2 id="zone-form">{t("asgClassZone")}</h2>
        <form method="post" action={`/api/classes/${id}/assignments`} className="actions">
          <input type="hidden" name="csrf" value={csrf} />
          <input type="hidden" name="action" value="timezone" />
          <label htmlFor="tz">{t("asgClassZone")}</label>
          <input id="tz" name="timeZone" type="text" defaultValue={zone} maxLength={64} list="tz-list" />
          <datalist id="tz-list">
            {["Asia/Tokyo", "Asia/Seoul", "Asia/Shanghai", "Europe/Berlin", "Europe/London", "America/New_York", "America/Los_Angeles", "UTC"].map((z) => (
              <option key={z} value={z} />
            ))}
          </datalist>
          <button type="submit" className="secondary">
            {t("asgZoneSave")}
          </button>
        </form>
      </section>
    </>
  );
}
