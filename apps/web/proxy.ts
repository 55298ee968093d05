import { type NextRequest, NextResponse } from "next/server";

const SESSION_COOKIE = "tfm_session";
const PRESESSION_COOKIE = "tfm_presession";

/**
 * Gives a visitor without any session a pre-session cookie (random 32 bytes, httpOnly), so that the
 * sign-in and sign-up forms carry a CSRF token bound to it. The cookie is added to the request too,
 * so the page rendered for this very request already sees it.
 */
export function proxy(request: NextRequest) {
  if (request.cookies.has(SESSION_COOKIE) || request.cookies.has(PRESESSION_COOKIE)) return NextResponse.next();
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  const token = Buffer.from(bytes).toString("base64url");
  request.cookies.set(PRESESSION_COOKIE, token);
  const response = NextResponse.next({ request: { headers: request.headers } });
  const secure = process.env.TFM_COOKIE_SECURE === "1" || (process.env.TFM_COOKIE_SECURE !== "0" && (request.headers.get("x-forwarded-proto") ?? request.nextUrl.protocol.replace(":", "")) === "https");
  response.cookies.set(PRESESSION_COOKIE, token, { httpOnly: true, sameSite: "lax", secure, path: "/" });
  return response;
}

export const config = {
  // Pages only: not static files, not the API (a POST without cookies fails the CSRF check anyway).
  matcher: ["/((?!_next/|api/|favicon.ico).*)"],
};
