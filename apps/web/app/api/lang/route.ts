import { setUserLocale } from "@tfm/db";
import type { NextRequest } from "next/server";
import { db } from "@/lib/db.ts";
import { LANG_COOKIE, isLang } from "@/lib/i18n.ts";
import { back, beginMutation, fail } from "@/lib/mutation.ts";
import { cookieOptions, expectedOrigin } from "@/lib/security.ts";

/** The ja/en switch: remembered in a cookie for a year, and in the profile of a signed-in user. */
export async function POST(req: NextRequest) {
  const m = await beginMutation(req, { requireUser: false, errorPath: "/" });
  if (m instanceof Response) return m;
  const lang = m.fields.lang;
  if (!isLang(lang)) return fail(req, m.json, 400, "errInvalidInput", "/", "lang must be ja or en");
  if (m.user !== null) await setUserLocale(await db(), m.user.id, lang);
  let path = "/";
  const referer = req.headers.get("referer");
  if (referer !== null) {
    const r = new URL(referer);
    if (r.origin === expectedOrigin(req)) path = r.pathname + r.search;
  }
  const res = back(req, path);
  res.cookies.set(LANG_COOKIE, lang, { ...cookieOptions(req, process.env, 365 * 86_400), httpOnly: false });
  return res;
}
