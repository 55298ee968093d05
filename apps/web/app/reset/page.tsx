import { Messages } from "@/components/Messages.tsx";
import { resetTarget } from "@/lib/account.ts";
import { db } from "@/lib/db.ts";
import { csrfToken, getT } from "@/lib/session.ts";

export const dynamic = "force-dynamic";

/** The page of a one-time reset link: a new password for the account it was issued for. */
export default async function ResetPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const [{ t }, csrf, search] = await Promise.all([getT(), csrfToken(), searchParams]);
  const token = typeof search.token === "string" ? search.token : "";
  const target = token === "" ? null : await resetTarget(await db(), token);
  return (
    <div className="form-card">
      <h1>{t("resetTitle")}</h1>
      <Messages t={t} search={search} />
      {target === null ? (
        <p className="msg error" role="alert">
          {t("errResetInvalid")}
        </p>
      ) : (
        <form method="post" action="/api/auth/reset" className="card">
          <input type="hidden" name="csrf" value={csrf} />
          <input type="hidden" name="token" value={token} />
          <p>{t("resetFor", { email: target.email })}</p>
          <input type="hidden" name="username" value={target.email} autoComplete="username" />
          <label htmlFor="password">{t("newPassword")}</label>
          <input id="password" name="password" type="password" autoComplete="new-password" required minLength={8} aria-describedby="pw-hint" />
          <p id="pw-hint" className="hint">
            {t("passwordHint")}
          </p>
          <p className="actions">
            <button type="submit">{t("resetSubmit")}</button>
          </p>
        </form>
      )}
    </div>
  );
}
