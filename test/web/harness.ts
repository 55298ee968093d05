import { type ChildProcess, spawn } from "node:child_process";
import net from "node:net";
import path from "node:path";
import { type Browser, type Page, chromium } from "playwright-core";
import { expect } from "vitest";
import { ROOT, WEB_DIR, ensureWebBuild } from "../../apps/web/scripts/build.ts";

export { ROOT, WEB_DIR, ensureWebBuild };

/**
 * Runs the real portal for the web suites: a production build (`next build`, done once and reused
 * while the sources are unchanged, guarded by a lock so parallel suites build only once) served by
 * the portal's server (apps/web/scripts/server.ts, as `npm start` does) on a free port against a scratch database and a real grader.
 */

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const a = s.address();
      const port = typeof a === "object" && a !== null ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

export interface Portal {
  url: string;
  log(): string;
  close(): Promise<void>;
}

/** The portal on a free port; resolves once it answers. */
export async function startPortal(env: { TFM_DATABASE_URL: string; TFM_GRADER_URL: string } & NodeJS.ProcessEnv): Promise<Portal> {
  const port = await freePort();
  let output = "";
  // The portal's own server (scripts/server.ts): Next's handler, with the client address from the socket.
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", path.join(WEB_DIR, "scripts/server.ts"), "-H", "127.0.0.1", "-p", String(port)], {
    cwd: WEB_DIR,
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1", NODE_ENV: "production", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout?.on("data", (c: Buffer) => (output += c.toString()));
  child.stderr?.on("data", (c: Buffer) => (output += c.toString()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the portal exited (${child.exitCode}):\n${output}`);
    try {
      const res = await fetch(`${url}/`, { redirect: "manual" });
      if (res.status < 500) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`the portal did not start in 60 s:\n${output}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    url,
    log: () => output,
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
        setTimeout(() => child.kill("SIGKILL"), 5_000).unref();
      }),
  };
}

/** A browser-like HTTP client: keeps cookies, sends Origin on POSTs, reads the CSRF token from pages. */
export class Client {
  readonly cookies = new Map<string, string>();
  /** `extra`: headers sent with every request (e.g. x-forwarded-for, for a portal that trusts a proxy). */
  constructor(
    readonly base: string,
    readonly extra: Record<string, string> = {},
  ) {}

  private cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
  }

  private keep(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(";");
      const eq = (pair ?? "").indexOf("=");
      const name = (pair ?? "").slice(0, eq).trim();
      const value = (pair ?? "").slice(eq + 1).trim();
      if (value === "" || /max-age=0|expires=thu, 01 jan 1970/i.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  async get(p: string): Promise<{ status: number; location: string | null; body: string; type: string; headers: Headers }> {
    const res = await fetch(this.base + p, { redirect: "manual", headers: { ...this.extra, cookie: this.cookieHeader() } });
    this.keep(res);
    return { status: res.status, location: res.headers.get("location"), body: await res.text(), type: res.headers.get("content-type") ?? "", headers: res.headers };
  }

  /** The CSRF token of the forms on a page (every page has the language switch form). */
  async csrf(p = "/"): Promise<string> {
    const page = await this.get(p);
    const m = /name="csrf" value="([^"]*)"/.exec(page.body);
    if (m === null || m[1] === undefined || m[1] === "") throw new Error(`no CSRF token on ${p} (status ${page.status})`);
    return m[1];
  }

  async post(
    p: string,
    body: Record<string, string> | { json: unknown },
    options: { csrf?: string | null; origin?: string | null } = {},
  ): Promise<{ status: number; location: string | null; body: string }> {
    const headers: Record<string, string> = { ...this.extra, cookie: this.cookieHeader() };
    const origin = options.origin === undefined ? this.base : options.origin;
    if (origin !== null) headers.origin = origin;
    let payload: string;
    if ("json" in body) {
      headers["content-type"] = "application/json";
      if (options.csrf) headers["x-csrf-token"] = options.csrf;
      payload = JSON.stringify(body.json);
    } else {
      headers["content-type"] = "application/x-www-form-urlencoded";
      const form = new URLSearchParams(body);
      if (options.csrf) form.set("csrf", options.csrf);
      payload = form.toString();
    }
    const res = await fetch(this.base + p, { method: "POST", redirect: "manual", headers, body: payload });
    this.keep(res);
    return { status: res.status, location: res.headers.get("location"), body: await res.text() };
  }

  async signIn(email: string, password: string): Promise<void> {
    const csrf = await this.csrf("/signin");
    const res = await this.post("/api/auth/signin", { email, password }, { csrf });
    if (res.status !== 303 || !this.cookies.has("tfm_session")) throw new Error(`sign-in of ${email} failed: ${res.status} ${res.location}`);
  }
}

/** Debian's chromium, headless, with nothing reaching outside this machine: one launcher for every browser suite. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.TFM_CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
}

/** Form controls a screen reader could not name (no <label>, no aria-label), the editor's included. */
export function unlabelled(page: Page): Promise<string[]> {
  // A string: this runs in the page, and the repository's typecheck has no DOM library.
  return page.evaluate<string[]>(`[...document.querySelectorAll("input, select, textarea, [contenteditable=true]")]
    .filter((el) => !(el.tagName === "INPUT" && el.type === "hidden"))
    .filter((el) => (!el.labels || el.labels.length === 0) && !el.getAttribute("aria-label") && !el.getAttribute("aria-labelledby"))
    .map((el) => el.outerHTML.slice(0, 120))`);
}

/** Replaces the editor's text the way a person pasting does (CodeMirror's own input handling), and waits until it shows. */
export async function typeCode(page: Page, code: string): Promise<void> {
  await page.locator(".cm-content").click();
  await page.keyboard.press("Control+A");
  await page.keyboard.press("Delete");
  await page.keyboard.insertText(code);
  await expect.poll(async () => (await page.locator(".cm-content").innerText()).replace(/\s+/g, "")).toBe(code.replace(/\s+/g, ""));
}
