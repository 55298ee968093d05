import { Messages } from "@/components/Messages.tsx";
import { safeNext } from "@/lib/security.ts";
import { csrfToken, getT } from "@/lib/session.ts";

export default async function SignIn({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const [{ t }, csrf, search] = await Promise.all([getT(), csrfToken(), searchParams]);
  return (
    <div className="form-card">
      <h1>{t("signInTitle")}</h1>
      <Messages t={t} search={search} />
      <form method="post" action="/api/auth/signin" className="card">
        <input type="hidden" name="csrf" value={csrf} />
        {typeof search.next === "string" ? <input type="hidden" name="next" value={safeNext(search.next)} /> : null}
        <label htmlFor="email">{t("email")}</label>
        <input id="email" name="email" type="email" autoComplete="username" required />
        <label htmlFor="password">{t("password")}</label>
        <input id="password" name="password" type="password" autoComplete="current-password" required />
        <p className="actions">
          <button type="submit">{t("submitSignIn")}</button>
        </p>
      </form>
      <p>
        {t("noAccount")} <a href="/signup">{t("navSignUp")}</a>
      </p>
    </div>
  );
}
