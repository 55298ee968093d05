import type { Metadata, Viewport } from "next";
import type { ReactNode } from "react";
import { csrfToken, currentUser, getT } from "@/lib/session.ts";
import "katex/dist/katex.min.css";
import "./globals.css";

export const metadata: Metadata = { title: "Transformer 演習 / exercises" };
export const viewport: Viewport = { width: "device-width", initialScale: 1 };

export default async function RootLayout({ children }: { children: ReactNode }) {
  const [{ lang, t }, user, csrf] = await Promise.all([getT(), currentUser(), csrfToken()]);
  return (
    <html lang={lang}>
      <body>
        <a className="skip" href="#main">
          {t("skipToContent")}
        </a>
        <header className="top">
          <a className="brand" href="/">
            {t("appName")}
          </a>
          <nav aria-label="main">
            <ul>
              <li>
                <a href="/exercises">{t("navExercises")}</a>
              </li>
              <li>
                <a href="/checklist">{t("navChecklist")}</a>
              </li>
              <li>
                <a href="/classes">{t("navClasses")}</a>
              </li>
            </ul>
          </nav>
          <form method="post" action="/api/lang">
            <input type="hidden" name="csrf" value={csrf} />
            <input type="hidden" name="lang" value={lang === "ja" ? "en" : "ja"} />
            <button type="submit" className="secondary" title={t("langSwitchLabel")} lang={lang === "ja" ? "en" : "ja"}>
              {t("langSwitch")}
            </button>
          </form>
          {user === null ? (
            <span>
              <a href="/signin">{t("navSignIn")}</a> · <a href="/signup">{t("navSignUp")}</a>
            </span>
          ) : (
            <span>
              <span className="hint">{t("signedInAs", { name: user.displayName })}</span>{" "}
              <form method="post" action="/api/auth/signout">
                <input type="hidden" name="csrf" value={csrf} />
                <button type="submit" className="link">
                  {t("navSignOut")}
                </button>
              </form>
            </span>
          )}
        </header>
        <main id="main">{children}</main>
      </body>
    </html>
  );
}
