import { type SessionUser, sessionUser } from "@tfm/db";
import { cookies } from "next/headers";
import { redirect } from "next/navigation";
import { cache } from "react";
import { db } from "./db.ts";
import { type Lang, LANG_COOKIE, isLang, translator, type Translator } from "./i18n.ts";
import { PRESESSION_COOKIE, SESSION_COOKIE, csrfTokenFor } from "./security.ts";

/** The signed-in user of this request (server components and route handlers), or null. */
export const currentUser = cache(async (): Promise<SessionUser | null> => {
  const token = (await cookies()).get(SESSION_COOKIE)?.value;
  if (token === undefined) return null;
  return sessionUser(await db(), token);
});

/** Pages that need a signed-in user: anonymous visitors go to the sign-in page and come back. */
export async function requireUser(next: string): Promise<SessionUser> {
  const user = await currentUser();
  if (user === null) redirect(`/signin?next=${encodeURIComponent(next)}`);
  return user;
}

/** The cookie's choice, else the user's profile, else Japanese. */
export const currentLang = cache(async (): Promise<Lang> => {
  const fromCookie = (await cookies()).get(LANG_COOKIE)?.value;
  if (isLang(fromCookie)) return fromCookie;
  const user = await currentUser();
  return user?.locale ?? "ja";
});

export async function getT(): Promise<{ lang: Lang; t: Translator }> {
  const lang = await currentLang();
  return { lang, t: translator(lang) };
}

/**
 * The CSRF token for forms on this page: bound to the session cookie, or before sign-in to the
 * pre-session cookie (set by the middleware on every page view).
 */
export async function csrfToken(): Promise<string> {
  const jar = await cookies();
  const base = jar.get(SESSION_COOKIE)?.value ?? jar.get(PRESESSION_COOKIE)?.value;
  return base === undefined ? "" : csrfTokenFor(base);
}
