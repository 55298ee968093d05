import { z } from "zod";

/**
 * "Run public tests" is graded at once and stored nowhere, so the submission rate limit (in the
 * database) does not cover it. This limit does, per user, in the portal process:
 * - at most `concurrent` runs of one user at a time (six endless loops from one account used to take
 *   six grader slots and slow everyone else's runs);
 * - at most `perMinute` runs of one user started within any 60 seconds.
 * The grader additionally schedules fairly between users (apps/grader), so one user's queue cannot
 * starve another's even within these limits.
 */
export const RunLimitEnv = z
  .object({
    TFM_RUN_PER_MINUTE: z.coerce.number().int().min(1).max(10_000).default(20).describe("public-test runs one user may start per minute"),
    TFM_RUN_CONCURRENT: z.coerce.number().int().min(1).max(100).default(2).describe("public-test runs of one user at the same time"),
  })
  .strip();

export type RunDecision = { ok: true; release: () => void } | { ok: false; reason: "concurrent" | "rate"; retryAfterSeconds: number };

export class RunLimiter {
  readonly #users = new Map<string, { running: number; starts: number[] }>();

  constructor(
    readonly perMinute: number,
    readonly concurrent: number,
    /** Users tracked at most; the least recently active go first (a running user's slot is kept). */
    readonly maxTracked = 50_000,
  ) {}

  acquire(userId: string, now = Date.now()): RunDecision {
    const entry = this.#users.get(userId) ?? { running: 0, starts: [] };
    entry.starts = entry.starts.filter((t) => now - t < 60_000);
    if (entry.running >= this.concurrent) return { ok: false, reason: "concurrent", retryAfterSeconds: 1 };
    if (entry.starts.length >= this.perMinute) {
      const oldest = entry.starts[entry.starts.length - this.perMinute] ?? now;
      return { ok: false, reason: "rate", retryAfterSeconds: Math.max(1, Math.ceil((oldest + 60_000 - now) / 1000)) };
    }
    entry.running += 1;
    entry.starts.push(now);
    entry.starts = entry.starts.slice(-this.perMinute);
    this.#users.delete(userId);
    this.#users.set(userId, entry);
    this.#evict();
    let released = false;
    return {
      ok: true,
      release: () => {
        if (released) return;
        released = true;
        entry.running = Math.max(0, entry.running - 1);
      },
    };
  }

  get tracked(): number {
    return this.#users.size;
  }

  #evict(): void {
    if (this.#users.size <= this.maxTracked) return;
    for (const [id, e] of this.#users) {
      if (this.#users.size <= this.maxTracked) break;
      if (e.running === 0) this.#users.delete(id);
    }
  }
}

/** The portal's one limiter, on globalThis so every bundle of the server process shares it. */
const KEY = Symbol.for("tfm.web.run-limit");
const holder = globalThis as typeof globalThis & { [KEY]?: RunLimiter };
export function runLimiter(): RunLimiter {
  if (holder[KEY] === undefined) {
    const env = RunLimitEnv.parse(process.env);
    holder[KEY] = new RunLimiter(env.TFM_RUN_PER_MINUTE, env.TFM_RUN_CONCURRENT);
  }
  return holder[KEY];
}
