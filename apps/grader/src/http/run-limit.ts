/**
 * Per-user limits on public-test runs (POST /v1/grade): at most `concurrency` of one user's runs graded
 * or waiting at once, and `perMinute` started in any 60 s. Six endless loops from one account then hold
 * at most `concurrency` workers for one turn each instead of the whole pool; the pool's turns between
 * users do the rest. In memory, per grader process (a run is not stored): with N processes behind a
 * balancer a user gets at most N times the budget.
 */
export interface RunLimits {
  perMinute: number;
  concurrency: number;
}

export type RunSlot = { ok: true; release: () => void } | { ok: false; reason: "concurrent" | "rate"; retryAfterSeconds: number; limit: number };

interface UserRuns {
  active: number;
  /** Start times (ms) inside the last minute, oldest first. */
  starts: number[];
}

const WINDOW_MS = 60_000;
/** Users tracked at once before idle entries are swept (bounds memory whatever the traffic). */
const MAX_USERS = 50_000;

export class RunLimiter {
  private readonly users = new Map<string, UserRuns>();

  constructor(private readonly limits: RunLimits) {}

  acquire(userKey: string, now = Date.now()): RunSlot {
    let u = this.users.get(userKey);
    if (u === undefined) {
      if (this.users.size >= MAX_USERS) this.sweep(now);
      u = { active: 0, starts: [] };
      this.users.set(userKey, u);
    }
    while (u.starts.length > 0 && (u.starts[0] ?? 0) <= now - WINDOW_MS) u.starts.shift();
    if (u.active >= this.limits.concurrency) return { ok: false, reason: "concurrent", retryAfterSeconds: 1, limit: this.limits.concurrency };
    if (this.limits.perMinute > 0 && u.starts.length >= this.limits.perMinute) {
      const oldest = u.starts[u.starts.length - this.limits.perMinute] ?? now;
      return { ok: false, reason: "rate", retryAfterSeconds: Math.max(1, Math.ceil((oldest + WINDOW_MS - now) / 1000)), limit: this.limits.perMinute };
    }
    u.active++;
    if (this.limits.perMinute > 0) u.starts.push(now);
    const entry = u;
    let released = false;
    return {
      ok: true,
      release: () => {
        if (released) return;
        released = true;
        entry.active--;
      },
    };
  }

  private sweep(now: number): void {
    for (const [key, u] of this.users) {
      if (u.active === 0 && (u.starts.at(-1) ?? 0) <= now - WINDOW_MS) this.users.delete(key);
    }
  }
}
