import type { Metadata, Viewport } from "next";
import type { ReactNode } from "react";
import { LangSwitch } from "@/components/LangSwitch.tsx";
import { SignOutButton } from "@/components/SignOutButton.tsx";
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
                <a href="/kit">{t("navKit")}</a>
              </li>
              <li>
                <a href="/classes">{t("navClasses")}</a>
              </li>
              <li>
                <a href="/assignments">{t("navAssignments")}</a>
              </li>
            </ul>
          </nav>
          <LangSwitch csrf={csrf} lang={lang} label={t("langSwitchLabel")} text={t("langSwitch")} />
          {user === null ? (
            <span>
              <a href="/signin">{t("navSignIn")}</a> · <a href="/signup">{t("navSignUp")}</a>
            </span>
          ) : (
            <span>
              <a className="hint" href="/account" title={t("accountTitle")}>
                {t("signedInAs", { name: user.displayName })}
              </a>{" "}
              <SignOutButton csrf={csrf} label={t("navSignOut")} />
            </span>
          )}
        </header>
        <main id="main">{children}</main>
      </body>
    </html>
  );
}
