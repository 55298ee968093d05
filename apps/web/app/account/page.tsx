import { Messages } from "@/components/Messages.tsx";
import { csrfToken, getT, requireUser } from "@/lib/session.ts";

export const dynamic = "force-dynamic";

/** The signed-in account: change the password, sign out on every device. */
export default async function AccountPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const user = await requireUser("/account");
  const [{ t }, csrf, search] = await Promise.all([getT(), csrfToken(), searchParams]);
  return (
    <div className="form-card">
      <h1>{t("accountTitle")}</h1>
      <p>
        {user.displayName} ({user.email})
      </p>
      <Messages t={t} search={search} />
      <form method="post" action="/api/account/password" className="card">
        <h2>{t("changePasswordTitle")}</h2>
        <input type="hidden" name="csrf" value={csrf} />
        <input type="hidden" name="username" value={user.email} autoComplete="username" />
        <label htmlFor="current">{t("currentPassword")}</label>
        <input id="current" name="current" type="password" autoComplete="current-password" required />
        <label htmlFor="password">{t("newPassword")}</label>
        <input id="password" name="password" type="password" autoComplete="new-password" required minLength={8} aria-describedby="pw-hint" />
        <p id="pw-hint" className="hint">
          {t("passwordHint")} · {t("changePasswordHint")}
        </p>
        <p className="actions">
          <button type="submit">{t("changePasswordSubmit")}</button>
        </p>
      </form>
      <form method="post" action="/api/account/signout-all" className="card">
        <h2>{t("signOutEverywhereTitle")}</h2>
        <input type="hidden" name="csrf" value={csrf} />
        <p className="hint">{t("signOutEverywhereHint")}</p>
        <p className="actions">
          <button type="submit" className="secondary">
            {t("signOutEverywhere")}
          </button>
        </p>
      </form>
    </div>
  );
}
