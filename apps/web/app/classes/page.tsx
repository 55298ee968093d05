import { classesOf } from "@tfm/db";
import { Messages } from "@/components/Messages.tsx";
import { isStaff } from "@/lib/access.ts";
import { db } from "@/lib/db.ts";
import { csrfToken, getT, requireUser } from "@/lib/session.ts";

export const dynamic = "force-dynamic";

export default async function ClassesPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const user = await requireUser("/classes");
  const database = await db();
  const [{ t }, csrf, search] = await Promise.all([getT(), csrfToken(), searchParams]);
  const classes =
    user.role === "admin"
      ? await database.run("listing classes", (p) => p.class.findMany({ orderBy: { createdAt: "asc" }, select: { id: true, name: true, inviteCode: true, ownerId: true, createdAt: true } }))
      : await classesOf(database, user.id);
  const owned = classes.filter((c) => c.ownerId === user.id || user.role === "admin");
  const joined = classes.filter((c) => !owned.includes(c));
  return (
    <>
      <h1>{t("classesTitle")}</h1>
      <Messages t={t} search={search} />
      {isStaff(user) ? (
        <section aria-labelledby="owned">
          <h2 id="owned">{t("ownedClasses")}</h2>
          <ul>
            {owned.map((c) => (
              <li key={c.id}>
                <a href={`/classes/${c.id}`}>{c.name}</a> <span className="hint">{t("inviteCodeIs", { code: c.inviteCode })}</span>
              </li>
            ))}
          </ul>
          <form method="post" action="/api/classes/create" className="card form-card">
            <input type="hidden" name="csrf" value={csrf} />
            <label htmlFor="class-name">{t("className")}</label>
            <input id="class-name" name="name" type="text" required maxLength={200} />
            <p className="actions">
              <button type="submit">{t("createClass")}</button>
            </p>
          </form>
        </section>
      ) : null}
      <section aria-labelledby="joined">
        <h2 id="joined">{t("yourClasses")}</h2>
        {joined.length === 0 ? <p>{t("noClasses")}</p> : null}
        <ul>
          {joined.map((c) => (
            <li key={c.id}>{c.name}</li>
          ))}
        </ul>
        <form method="post" action="/api/classes/join" className="card form-card">
          <input type="hidden" name="csrf" value={csrf} />
          <label htmlFor="invite">{t("inviteCode")}</label>
          <input id="invite" name="inviteCode" type="text" required autoComplete="off" placeholder="ABCD-EFGH" />
          <p className="actions">
            <button type="submit">{t("join")}</button>
          </p>
        </form>
      </section>
    </>
  );
}
