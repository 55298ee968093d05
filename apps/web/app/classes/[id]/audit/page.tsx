import { auditLog } from "@tfm/db";
import { formatInZone } from "@tfm/progress";
import { notFound } from "next/navigation";
import { managedClass } from "@/lib/access.ts";
import { db } from "@/lib/db.ts";
import { getT, requireUser } from "@/lib/session.ts";

export const dynamic = "force-dynamic";

const PAGE = 100;

/** The class's audit log (assignments, extensions, overrides, the time zone): its instructors only. */
export default async function AuditPage({ params, searchParams }: { params: Promise<{ id: string }>; searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const { id } = await params;
  const viewer = await requireUser(`/classes/${id}/audit`);
  const database = await db();
  const cls = await managedClass(database, viewer, id);
  if (cls === null) notFound();
  const search = await searchParams;
  const before = typeof search.before === "string" && /^[a-z0-9]{1,40}$/.test(search.before) ? search.before : undefined;
  const [{ lang, t }, entries, zoneRow] = await Promise.all([
    getT(),
    auditLog(database, id, { limit: PAGE, ...(before === undefined ? {} : { before }) }),
    database.run("reading a class's time zone", (p) => p.class.findUniqueOrThrow({ where: { id }, select: { timeZone: true } })),
  ]);
  const json = (v: unknown) => (v === null || v === undefined ? "—" : JSON.stringify(v, null, 1));
  return (
    <>
      <h1>{t("asgAuditTitle", { name: cls.name })}</h1>
      <p className="actions">
        <a href={`/classes/${id}/assignments`}>{t("asgBack")}</a>
        <a href={`/classes/${id}`}>{t("backToDashboard")}</a>
      </p>
      <p className="hint">{t("asgZoneIs", { zone: zoneRow.timeZone })}</p>
      {entries.length === 0 ? (
        <p>{t("asgAuditEmpty")}</p>
      ) : (
        <div className="scroll-x">
          <table data-testid="audit">
            <thead>
              <tr>
                <th scope="col">{t("asgAuditWhen")}</th>
                <th scope="col">{t("asgAuditWho")}</th>
                <th scope="col">{t("asgAuditWhat")}</th>
                <th scope="col">{t("asgAuditBefore")}</th>
                <th scope="col">{t("asgAuditAfter")}</th>
              </tr>
            </thead>
            <tbody>
              {entries.map((e) => (
                <tr key={e.id} data-action={e.action}>
                  <td>{formatInZone(e.at, zoneRow.timeZone, lang)}</td>
                  <td>
                    {e.actorName}
                    <br />
                    <span className="hint">{e.actorEmail}</span>
                  </td>
                  <td>
                    <code>{e.action}</code>
                    <br />
                    <span className="hint">
                      {e.targetType} {e.targetId}
                    </span>
                  </td>
                  <td>
                    <pre className="audit-json">{json(e.before)}</pre>
                  </td>
                  <td>
                    <pre className="audit-json" data-after>
                      {json(e.after)}
                    </pre>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {entries.length === PAGE ? (
        <p>
          <a href={`/classes/${id}/audit?before=${entries.at(-1)?.id ?? ""}`} rel="next">
            →
          </a>
        </p>
      ) : null}
    </>
  );
}
