import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

/**
 * Session cookies and CSRF protection, without Next.js imports so the rules are unit-tested directly.
 *
 * - The session cookie `tfm_session` holds a random 32-byte token (httpOnly, SameSite=Lax, Secure over
 *   https or in production). The database stores only its SHA-256 (@tfm/db sessions).
 * - Before sign-in, `tfm_presession` holds another random token (same flags) so the sign-in and sign-up
 *   forms are protected too.
 * - CSRF (synchronizer token bound to the session): every form and every mutation carries
 *   HMAC-SHA256(cookie token, "csrf"), in a hidden `csrf` field or an `x-csrf-token` header. An attacker
 *   page can neither read the httpOnly cookie nor the token in our pages, so it cannot forge the value.
 *   On top, a POST must come from our own origin (Origin header, or Referer when Origin is absent).
 */

export const SESSION_COOKIE = "tfm_session";
export const PRESESSION_COOKIE = "tfm_presession";
export const CSRF_FIELD = "csrf";
export const CSRF_HEADER = "x-csrf-token";

export function newPresessionToken(): string {
  return randomBytes(32).toString("base64url");
}

export function csrfTokenFor(cookieToken: string): string {
  return createHmac("sha256", cookieToken).update("csrf").digest("base64url");
}

export function csrfMatches(cookieToken: string | undefined, given: string | null | undefined): boolean {
  if (cookieToken === undefined || cookieToken.length === 0 || typeof given !== "string" || given.length === 0) return false;
  const want = Buffer.from(csrfTokenFor(cookieToken));
  const got = Buffer.from(given);
  return want.length === got.length && timingSafeEqual(want, got);
}

export interface CookieOptions {
  httpOnly: true;
  sameSite: "lax";
  secure: boolean;
  path: "/";
  maxAge?: number;
}

/**
 * Secure when the request came over https (directly or through a proxy that says so), or always when
 * TFM_COOKIE_SECURE=1. Plain http on 127.0.0.1 (the embedded default) keeps cookies usable in dev.
 */
export function cookieOptions(req: { url: string; headers: Headers }, env: NodeJS.ProcessEnv = process.env, maxAgeSeconds?: number): CookieOptions {
  const proto = req.headers.get("x-forwarded-proto") ?? new URL(req.url).protocol.replace(":", "");
  const secure = env.TFM_COOKIE_SECURE === "1" || (env.TFM_COOKIE_SECURE !== "0" && proto === "https");
  return { httpOnly: true, sameSite: "lax", secure, path: "/", ...(maxAgeSeconds === undefined ? {} : { maxAge: maxAgeSeconds }) };
}

/** The origin the browser sees: from Host (and x-forwarded-proto/host when a proxy sets them). */
export function expectedOrigin(req: { url: string; headers: Headers }): string {
  const url = new URL(req.url);
  const host = req.headers.get("x-forwarded-host") ?? req.headers.get("host") ?? url.host;
  const proto = req.headers.get("x-forwarded-proto") ?? url.protocol.replace(":", "");
  return `${proto}://${host}`;
}

/** A mutation must name our origin in Origin (or, without Origin, in Referer). Neither: refused. */
export function sameOrigin(req: { url: string; headers: Headers }): boolean {
  const want = expectedOrigin(req);
  const origin = req.headers.get("origin");
  if (origin !== null) return origin === want;
  const referer = req.headers.get("referer");
  if (referer === null) return false;
  try {
    return new URL(referer).origin === want;
  } catch {
    return false;
  }
}

/** A made-up origin to resolve a path against: only the comparison of origins matters. */
const LOCAL_ORIGIN = "http://portal.invalid";

/**
 * Where to go after signing in: a path on this portal only. The value is parsed as a URL relative to
 * the portal's origin and kept only when the result has that same origin; a string-prefix check is not
 * enough, because the URL parser drops tabs and line breaks ("/\t/evil" becomes "//evil") and reads
 * backslashes as slashes. Control characters and backslashes are refused outright, and the answer is
 * the normalised path (never the raw input), checked once more so that it parses back to itself.
 */
export function safeNext(next: unknown, fallback = "/exercises"): string {
  if (typeof next !== "string" || next.length === 0 || next.length > 2000 || !next.startsWith("/")) return fallback;
  if (/[\u0000-\u001f\u007f\\]/.test(next)) return fallback;
  let url: URL;
  try {
    url = new URL(next, LOCAL_ORIGIN);
  } catch {
    return fallback;
  }
  if (url.origin !== LOCAL_ORIGIN || url.username !== "" || url.password !== "") return fallback;
  const path = url.pathname + url.search + url.hash;
  // "/.//evil" normalises to "//evil": a path that would itself read as another host is refused.
  if (!path.startsWith("/") || path.startsWith("//")) return fallback;
  try {
    if (new URL(path, LOCAL_ORIGIN).origin !== LOCAL_ORIGIN) return fallback;
  } catch {
    return fallback;
  }
  return path;
}
