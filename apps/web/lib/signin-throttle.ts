/**
 * Slows password guessing without letting a stranger lock an owner out.
 *
 * - Per (account, client address): the first `freeFailures` failures cost nothing; after that each
 *   failure makes that pair wait `baseDelayMs * 2^(n - freeFailures)` (at most `maxDelayMs`) from the
 *   last failure. A successful sign-in clears the pair. A pair is forgotten `forgetAfterMs` after its
 *   last failure. Failures from one address never slow the same account at another address: the
 *   owner, from an address that has not failed, signs in with the right password at once.
 * - Per client address: more than `addressMaxFailures` failures within `addressWindowMs`, over any
 *   accounts, and that address is refused until the oldest leaves the window (password spraying over
 *   many emails from one place).
 *
 * The client address is the one the portal's server (scripts/server.ts) put in x-forwarded-for.
 * Process-local: the portal runs as one process (behind several, each keeps its own counts).
 */
export interface ThrottleOptions {
  freeFailures: number;
  baseDelayMs: number;
  maxDelayMs: number;
  forgetAfterMs: number;
  addressMaxFailures: number;
  addressWindowMs: number;
  /** Pairs and addresses tracked at most each (the oldest go first), so a flood cannot exhaust memory. */
  maxTracked: number;
}

export const DEFAULT_THROTTLE: ThrottleOptions = {
  freeFailures: 5,
  baseDelayMs: 2_000,
  maxDelayMs: 15 * 60_000,
  forgetAfterMs: 24 * 60 * 60_000,
  addressMaxFailures: 50,
  addressWindowMs: 15 * 60_000,
  maxTracked: 50_000,
};

function bump<V>(map: Map<string, V>, key: string, value: V, max: number): void {
  map.delete(key);
  map.set(key, value);
  while (map.size > max) {
    const first = map.keys().next();
    if (first.done === true) break;
    map.delete(first.value);
  }
}

export class SignInThrottle {
  readonly #pairs = new Map<string, { failures: number; last: number }>();
  readonly #addresses = new Map<string, number[]>();

  constructor(readonly options: ThrottleOptions = DEFAULT_THROTTLE) {}

  static key(email: string): string {
    return email.trim().toLowerCase();
  }

  static #pair(email: string, address: string): string {
    return `${SignInThrottle.key(email)}\u0000${address}`;
  }

  /** Seconds until this account may be tried again from this address, or 0 when it may now. */
  retryAfterSeconds(email: string, address: string, now = Date.now()): number {
    const o = this.options;
    let waitMs = 0;
    const pair = this.#pairs.get(SignInThrottle.#pair(email, address));
    if (pair !== undefined && now - pair.last < o.forgetAfterMs && pair.failures >= o.freeFailures) {
      const delay = Math.min(o.maxDelayMs, o.baseDelayMs * 2 ** (pair.failures - o.freeFailures));
      waitMs = Math.max(waitMs, pair.last + delay - now);
    }
    const recent = this.#recentFromAddress(address, now);
    if (recent.length >= o.addressMaxFailures) {
      const oldest = recent[recent.length - o.addressMaxFailures] ?? now;
      waitMs = Math.max(waitMs, oldest + o.addressWindowMs - now);
    }
    return waitMs <= 0 ? 0 : Math.max(1, Math.ceil(waitMs / 1000));
  }

  recordFailure(email: string, address: string, now = Date.now()): void {
    const o = this.options;
    const key = SignInThrottle.#pair(email, address);
    const pair = this.#pairs.get(key);
    const failures = pair !== undefined && now - pair.last < o.forgetAfterMs ? pair.failures + 1 : 1;
    bump(this.#pairs, key, { failures, last: now }, o.maxTracked);
    const recent = this.#recentFromAddress(address, now);
    recent.push(now);
    bump(this.#addresses, address, recent.slice(-o.addressMaxFailures), o.maxTracked);
  }

  /** The right password: this pair starts afresh (the address keeps its count of failures). */
  recordSuccess(email: string, address: string): void {
    this.#pairs.delete(SignInThrottle.#pair(email, address));
  }

  get tracked(): { pairs: number; addresses: number } {
    return { pairs: this.#pairs.size, addresses: this.#addresses.size };
  }

  #recentFromAddress(address: string, now: number): number[] {
    return (this.#addresses.get(address) ?? []).filter((t) => now - t < this.options.addressWindowMs);
  }
}

/** The portal's one throttle, on globalThis so that every bundle of the server process shares it. */
const KEY = Symbol.for("tfm.web.signin-throttle");
const holder = globalThis as typeof globalThis & { [KEY]?: SignInThrottle };
export const signInThrottle: SignInThrottle = (holder[KEY] ??= new SignInThrottle());

/**
 * The client's address as the portal's server recorded it (scripts/server.ts sets x-forwarded-for to
 * the socket's peer, or with TFM_TRUST_PROXY=1 to the last proxy entry). Its last entry is used.
 */
export function clientAddress(headers: Headers): string {
  const raw = headers.get("x-forwarded-for") ?? "";
  return raw.split(",").map((s) => s.trim()).filter((s) => s !== "").at(-1)?.slice(0, 100) ?? "unknown";
}

/**
 * What scripts/server.ts writes into x-forwarded-for: the socket's peer address, replacing whatever the
 * client sent; with a trusted reverse proxy in front, the last entry (the one that proxy appended).
 */
export function forwardedFor(incoming: string | string[] | undefined, peer: string | undefined, trustProxy: boolean): string {
  if (trustProxy) {
    const raw = Array.isArray(incoming) ? incoming.join(",") : (incoming ?? "");
    const last = raw.split(",").map((s) => s.trim()).filter((s) => s !== "").at(-1);
    if (last !== undefined) return last;
  }
  return peer ?? "unknown";
}
