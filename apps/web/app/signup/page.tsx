import { Messages } from "@/components/Messages.tsx";
import { csrfToken, getT } from "@/lib/session.ts";

export default async function SignUp({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const [{ t }, csrf, search] = await Promise.all([getT(), csrfToken(), searchParams]);
  return (
    <div className="form-card">
      <h1>{t("signUpTitle")}</h1>
      <Messages t={t} search={search} />
      <form method="post" action="/api/auth/signup" className="card">
        <input type="hidden" name="csrf" value={csrf} />
        <label htmlFor="displayName">{t("displayName")}</label>
        <input id="displayName" name="displayName" type="text" autoComplete="name" required maxLength={100} />
        <label htmlFor="email">{t("email")}</label>
        <input id="email" name="email" type="email" autoComplete="username" required />
        <label htmlFor="password">{t("password")}</label>
        <input id="password" name="password" type="password" autoComplete="new-password" required minLength={8} aria-describedby="pw-hint" />
        <p id="pw-hint" className="hint">
          {t("passwordHint")}
        </p>
        <label htmlFor="inviteCode">{t("inviteCodeOptional")}</label>
        <input id="inviteCode" name="inviteCode" type="text" autoComplete="off" />
        <p className="actions">
          <button type="submit">{t("submitSignUp")}</button>
        </p>
      </form>
      <p>
        {t("haveAccount")} <a href="/signin">{t("navSignIn")}</a>
      </p>
    </div>
  );
}
