import { type NextRequest, NextResponse } from "next/server";

const SESSION_COOKIE = "tfm_session";
const PRESESSION_COOKIE = "tfm_presession";

/**
 * The page's Content-Security-Policy: scripts only from this origin and with this response's nonce
 * (Next puts the nonce on its own scripts when it sees it in the request's CSP header; 'strict-dynamic'
 * lets those load the bundle's chunks). Styles allow inline attributes (KaTeX and the heatmaps set
 * style="..."), nothing is framed, forms post only here, workers come from here.
 */
export function contentSecurityPolicy(nonce: string): string {
  return [
    "default-src 'self'",
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "worker-src 'self' blob:",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
}

/**
 * Every page view: a fresh CSP nonce, and for a visitor without any session a pre-session cookie
 * (random 32 bytes, httpOnly), so that the sign-in and sign-up forms carry a CSRF token bound to it.
 * Both are added to the request too, so the page rendered for this very request sees them.
 */
export function proxy(request: NextRequest) {
  const nonce = Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString("base64");
  const csp = contentSecurityPolicy(nonce);
  const headers = new Headers(request.headers);
  headers.set("content-security-policy", csp);
  headers.set("x-nonce", nonce);
  let presession: string | null = null;
  if (!request.cookies.has(SESSION_COOKIE) && !request.cookies.has(PRESESSION_COOKIE)) {
    presession = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url");
    request.cookies.set(PRESESSION_COOKIE, presession);
    headers.set("cookie", request.cookies.toString());
  }
  const response = NextResponse.next({ request: { headers } });
  response.headers.set("content-security-policy", csp);
  if (presession !== null) {
    const secure = process.env.TFM_COOKIE_SECURE === "1" || (process.env.TFM_COOKIE_SECURE !== "0" && (request.headers.get("x-forwarded-proto") ?? request.nextUrl.protocol.replace(":", "")) === "https");
    response.cookies.set(PRESESSION_COOKIE, presession, { httpOnly: true, sameSite: "lax", secure, path: "/" });
  }
  return response;
}

export const config = {
  // Pages only: not static files, not the API (a POST without cookies fails the CSRF check anyway;
  // the API's JSON gets a deny-all CSP from next.config.ts).
  matcher: ["/((?!_next/|api/|favicon.ico).*)"],
};
