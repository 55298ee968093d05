import { type SessionUser, sessionUser } from "@tfm/db";
import { type NextRequest, NextResponse } from "next/server";
import { db } from "./db.ts";
import { flash } from "./flash.ts";
import { type Lang, LANG_COOKIE, type MessageKey, isLang } from "./i18n.ts";
import { CSRF_FIELD, CSRF_HEADER, PRESESSION_COOKIE, SESSION_COOKIE, csrfMatches, expectedOrigin, sameOrigin } from "./security.ts";

/**
 * The one entry of every mutation (route handlers under app/api): same-origin check, CSRF token,
 * body parsing, and the signed-in user. HTML forms get 303 redirects back to a page with a message;
 * fetch() callers (JSON) get JSON with a status.
 */

export interface Mutation {
  user: SessionUser | null;
  lang: Lang;
  json: boolean;
  /** Form fields or the JSON body's top-level string values. */
  fields: Record<string, string>;
  body: unknown;
  /** The form as sent (repeated fields such as checkboxes), null for JSON. */
  form: FormData | null;
}

export function wantsJson(req: NextRequest): boolean {
  return (req.headers.get("content-type") ?? "").includes("application/json");
}

function requestLang(req: NextRequest, user: SessionUser | null): Lang {
  const c = req.cookies.get(LANG_COOKIE)?.value;
  return isLang(c) ? c : (user?.locale ?? "ja");
}

/** Redirect after a form post (303: the browser follows with GET). */
export function back(req: NextRequest, path: string, params: Record<string, string> = {}): NextResponse {
  // The origin the browser used (Host header): Next's own idea of it may say localhost for 127.0.0.1.
  const url = new URL(path, expectedOrigin(req));
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  return NextResponse.redirect(url, 303);
}

/**
 * Redirect with a message whose text values (a detail, a class name) stay on the server: the URL gets
 * only a reference to them, valid for the holder of `cookieToken` (by default the cookie this request
 * came with; pass the new session's token right after signing in). See lib/flash.ts.
 */
export function backWith(req: NextRequest, path: string, params: Record<string, string>, vars: Record<string, string>, cookieToken?: string): NextResponse {
  const owner = cookieToken ?? req.cookies.get(SESSION_COOKIE)?.value ?? req.cookies.get(PRESESSION_COOKIE)?.value;
  if (owner === undefined) return back(req, path, params);
  return back(req, path, { ...params, ref: flash.put(owner, vars) });
}

export function fail(req: NextRequest, json: boolean, status: number, key: MessageKey, path: string, detail?: string): NextResponse {
  if (json) return NextResponse.json({ error: key, ...(detail === undefined ? {} : { detail }) }, { status });
  if (detail === undefined) return back(req, path, { err: key });
  return backWith(req, path, { err: key }, { detail: detail.slice(0, 300) });
}

export async function beginMutation(
  req: NextRequest,
  options: { requireUser: boolean; errorPath: string },
): Promise<Mutation | NextResponse> {
  const json = wantsJson(req);
  if (!sameOrigin(req)) return fail(req, json, 403, "errCsrf", options.errorPath);
  let fields: Record<string, string> = {};
  let body: unknown = undefined;
  let formData: FormData | null = null;
  try {
    if (json) {
      body = await req.json();
      if (typeof body === "object" && body !== null) {
        fields = Object.fromEntries(Object.entries(body).filter((e): e is [string, string] => typeof e[1] === "string"));
      }
    } else {
      const form = await req.formData();
      formData = form;
      fields = Object.fromEntries([...form.entries()].filter((e): e is [string, string] => typeof e[1] === "string"));
      body = fields;
    }
  } catch {
    return fail(req, json, 400, "errInvalidInput", options.errorPath, "the body could not be read");
  }
  const sessionToken = req.cookies.get(SESSION_COOKIE)?.value;
  const csrfBase = sessionToken ?? req.cookies.get(PRESESSION_COOKIE)?.value;
  const given = req.headers.get(CSRF_HEADER) ?? fields[CSRF_FIELD];
  if (!csrfMatches(csrfBase, given)) return fail(req, json, 403, "errCsrf", options.errorPath);
  const user = sessionToken === undefined ? null : await sessionUser(await db(), sessionToken);
  if (options.requireUser && user === null) {
    if (json) return NextResponse.json({ error: "errBadCredentials" }, { status: 401 });
    return back(req, "/signin", { next: options.errorPath });
  }
  return { user, lang: requestLang(req, user), json, fields, body, form: formData };
}

/** For GET route handlers that read data (CSV, polling): the signed-in user or null. */
export async function readerOf(req: NextRequest): Promise<SessionUser | null> {
  const token = req.cookies.get(SESSION_COOKIE)?.value;
  return token === undefined ? null : sessionUser(await db(), token);
}
