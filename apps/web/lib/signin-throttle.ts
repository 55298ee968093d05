/**
 * Slows password guessing: after `maxFailures` failed sign-ins for one email within `windowMs`, that
 * email is refused (before its password is checked) until the oldest failure leaves the window. A
 * successful sign-in clears the email's record. Process-local: the portal runs as one process; behind
 * several portal processes each keeps its own count (documented in SECURITY.md).
 */
export interface ThrottleOptions {
  maxFailures: number;
  windowMs: number;
  /** Emails tracked at most (the oldest records go first), so a flood of addresses cannot exhaust memory. */
  maxTracked: number;
}

export const DEFAULT_THROTTLE: ThrottleOptions = { maxFailures: 10, windowMs: 15 * 60_000, maxTracked: 50_000 };

export class SignInThrottle {
  readonly #failures = new Map<string, number[]>();

  constructor(readonly options: ThrottleOptions = DEFAULT_THROTTLE) {}

  static key(email: string): string {
    return email.trim().toLowerCase();
  }

  /** Seconds until this email may try again, or 0 when it may try now. */
  retryAfterSeconds(email: string, now = Date.now()): number {
    const recent = this.#recent(SignInThrottle.key(email), now);
    if (recent.length < this.options.maxFailures) return 0;
    const oldest = recent[recent.length - this.options.maxFailures] ?? now;
    return Math.max(1, Math.ceil((oldest + this.options.windowMs - now) / 1000));
  }

  recordFailure(email: string, now = Date.now()): void {
    const key = SignInThrottle.key(email);
    const recent = this.#recent(key, now);
    recent.push(now);
    this.#failures.delete(key);
    this.#failures.set(key, recent.slice(-this.options.maxFailures));
    while (this.#failures.size > this.options.maxTracked) {
      const first = this.#failures.keys().next();
      if (first.done === true) break;
      this.#failures.delete(first.value);
    }
  }

  recordSuccess(email: string): void {
    this.#failures.delete(SignInThrottle.key(email));
  }

  #recent(key: string, now: number): number[] {
    return (this.#failures.get(key) ?? []).filter((t) => now - t < this.options.windowMs);
  }
}

/** The portal's one throttle (module state survives between requests in the server process). */
export const signInThrottle = new SignInThrottle();
