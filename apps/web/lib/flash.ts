import { createHash, randomBytes } from "node:crypto";

/**
 * Details of a message shown after a form post ("please check: the code is empty", the name of the
 * class just joined), kept on the server. The redirect carries only a random reference (`?ref=...`);
 * the page looks the reference up for the same cookie that made it. So no query string can put
 * text of an attacker's choosing into one of the portal's alert boxes: a forged or someone else's
 * reference shows nothing. Process-local and bounded (count and age), like the sign-in throttle.
 */
export interface FlashOptions {
  maxEntries: number;
  ttlMs: number;
}

export class FlashStore {
  readonly #entries = new Map<string, { owner: string; vars: Record<string, string>; at: number }>();
  constructor(readonly options: FlashOptions = { maxEntries: 20_000, ttlMs: 10 * 60_000 }) {}

  static owner(cookieToken: string): string {
    return createHash("sha256").update(`flash:${cookieToken}`).digest("base64url");
  }

  /** Stores the values for the holder of this cookie token; returns the reference for the URL. */
  put(cookieToken: string, vars: Record<string, string>, now = Date.now()): string {
    const ref = randomBytes(12).toString("base64url");
    const bounded = Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, v.slice(0, 500)]));
    this.#entries.set(ref, { owner: FlashStore.owner(cookieToken), vars: bounded, at: now });
    while (this.#entries.size > this.options.maxEntries) {
      const oldest = this.#entries.keys().next();
      if (oldest.done === true) break;
      this.#entries.delete(oldest.value);
    }
    return ref;
  }

  /** The values behind a reference, only for the cookie that made it and only while fresh. */
  get(cookieToken: string | undefined, ref: unknown, now = Date.now()): Record<string, string> | null {
    if (cookieToken === undefined || typeof ref !== "string") return null;
    const hit = this.#entries.get(ref);
    if (hit === undefined || hit.owner !== FlashStore.owner(cookieToken)) return null;
    if (now - hit.at > this.options.ttlMs) {
      this.#entries.delete(ref);
      return null;
    }
    return hit.vars;
  }

  get size(): number {
    return this.#entries.size;
  }
}

/**
 * One store per process: route handlers and pages are separate bundles, which may each hold their own
 * copy of this module, so the instance lives on globalThis.
 */
const KEY = Symbol.for("tfm.web.flash");
const holder = globalThis as typeof globalThis & { [KEY]?: FlashStore };
export const flash: FlashStore = (holder[KEY] ??= new FlashStore());

/** Query values a message may take from the URL: small whole numbers only (counts, minutes, points). */
export function numericVars(search: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(search)) if (typeof v === "string" && /^\d{1,9}$/.test(v)) out[k] = v;
  return out;
}
