import { z } from "zod";
import type { Database } from "./client.ts";
import { Prisma } from "./generated/sqlite/client.ts";

/**
 * Per-user submission rate limits, shared by the grader's submission route and the portal: a sliding
 * window over the user's stored submissions (`receivedAt`), one per minute and one per day. Counting
 * the rows themselves means every grader process and the portal see the same budget, with no extra
 * state to lose. Check, then submit: two requests of one user racing each other can both pass, so a
 * user can exceed a window by at most the number of requests they have in flight at once.
 * Regrades and retries do not create submissions and never count. A submission that ended
 * internal_error counts like any other: it is no attempt (it costs the student nothing in the
 * statistics), but a source that provokes internal_error on purpose must not buy unlimited gradings.
 */

export const RateLimitEnv = z
  .object({
    TFM_SUBMIT_PER_MINUTE: z.coerce.number().int().min(0).max(100_000).default(10).describe("submissions per user in any 60 s; 0 turns the limit off"),
    TFM_SUBMIT_PER_DAY: z.coerce.number().int().min(0).max(1_000_000).default(200).describe("submissions per user in any 24 h; 0 turns the limit off"),
  })
  .strip();

export interface RateLimits {
  perMinute: number;
  perDay: number;
}

export const DEFAULT_RATE_LIMITS: RateLimits = { perMinute: 10, perDay: 200 };

/** Reads TFM_SUBMIT_PER_MINUTE / TFM_SUBMIT_PER_DAY (defaults 10 and 200); a bad value throws saying which. */
export function loadRateLimits(env: NodeJS.ProcessEnv = process.env): RateLimits {
  const parsed = RateLimitEnv.safeParse(env);
  if (!parsed.success) {
    throw new Error(`invalid rate limit environment: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
  }
  return { perMinute: parsed.data.TFM_SUBMIT_PER_MINUTE, perDay: parsed.data.TFM_SUBMIT_PER_DAY };
}

/** The user has used up a window: nothing was stored; try again after `retryAfterSeconds`. */
export class SubmissionRateLimitError extends Error {
  override name = "SubmissionRateLimitError";
  readonly code = "rate_limited";
  constructor(
    readonly window: "minute" | "day",
    readonly limit: number,
    readonly retryAfterSeconds: number,
    readonly messageJa: string,
    message: string,
  ) {
    super(message);
  }
}

const WINDOWS = [
  { window: "minute", ms: 60_000, key: "perMinute", en: "a minute", ja: "1 分間" },
  { window: "day", ms: 86_400_000, key: "perDay", en: "a day", ja: "1 日" },
] as const;

/**
 * Per window (limit > 0): the limit-th most recent submission inside it, while it is there the window
 * is full. PostgreSQL answers every window in one raw statement straight to the driver (a POST's hot
 * path: Prisma's query compiler costs CPU on the grader's event loop for each statement, see
 * Database.pgRun); SQLite, a statement per window.
 */
async function windowEdges(db: Database, userId: string, now: Date, limits: RateLimits): Promise<Map<string, Date>> {
  const open = WINDOWS.filter((w) => limits[w.key] > 0);
  const edges = new Map<string, Date>();
  if (open.length === 0) return edges;
  if (db.provider === "postgresql") {
    // One column per window (e0, e1: names made here, never from input).
    const columns = open.map(
      (w, i) => Prisma.sql`(SELECT received_at FROM submissions WHERE user_id = ${userId}::text AND received_at > ${new Date(now.getTime() - w.ms)}::timestamp(3)
                             ORDER BY received_at DESC OFFSET ${limits[w.key] - 1}::int LIMIT 1) AS ${Prisma.raw(`e${i}`)}`,
    );
    const rows = await db.pgRun("checking a user's submission rate", (raw) => raw.rows<Record<string, Date | null>>(Prisma.sql`SELECT ${Prisma.join(columns)}`));
    open.forEach((w, i) => {
      const e = rows[0]?.[`e${i}`];
      if (e instanceof Date) edges.set(w.window, e);
    });
    return edges;
  }
  for (const w of open) {
    const since = new Date(now.getTime() - w.ms);
    const rows = await db.run("checking a user's submission rate", (p) =>
      p.submission.findMany({
        where: { userId, receivedAt: { gt: since } },
        orderBy: { receivedAt: "desc" },
        select: { receivedAt: true },
        skip: limits[w.key] - 1,
        take: 1,
      }),
    );
    if (rows[0] !== undefined) edges.set(w.window, rows[0].receivedAt);
  }
  return edges;
}

export interface RateLimitStatus {
  /** Submissions stored in the last minute and the last day. */
  lastMinute: number;
  lastDay: number;
  limits: RateLimits;
}

/** How much of each window the user has used. */
export async function submissionUsage(db: Database, userId: string, now = new Date(), limits: RateLimits = DEFAULT_RATE_LIMITS): Promise<RateLimitStatus> {
  const [lastMinute, lastDay] = await db.run("counting a user's recent submissions", (p) =>
    Promise.all(WINDOWS.map((w) => p.submission.count({ where: { userId, receivedAt: { gt: new Date(now.getTime() - w.ms) } } }))),
  );
  return { lastMinute: lastMinute ?? 0, lastDay: lastDay ?? 0, limits };
}

/**
 * Throws SubmissionRateLimitError when storing one more submission for `userId` at `now` would go over a
 * limit; call it right before `submit`. Retry-After is exact: the time until the oldest submission that
 * keeps the window full leaves it.
 */
export async function assertSubmissionAllowed(db: Database, userId: string, now = new Date(), limits: RateLimits = DEFAULT_RATE_LIMITS): Promise<void> {
  let worst: SubmissionRateLimitError | null = null;
  const edges = await windowEdges(db, userId, now, limits);
  for (const w of WINDOWS) {
    const limit = limits[w.key];
    // Only windows with a limit have an edge, and only while they are full.
    const edge = edges.get(w.window);
    if (edge === undefined) continue;
    const retryAfterSeconds = Math.max(1, Math.ceil((edge.getTime() + w.ms - now.getTime()) / 1000));
    // Both windows full: the later time is the one at which a submission is accepted again.
    if (worst !== null && worst.retryAfterSeconds >= retryAfterSeconds) continue;
    worst = new SubmissionRateLimitError(
      w.window,
      limit,
      retryAfterSeconds,
      `提出が多すぎます: ${w.ja}に ${limit} 回までです。${retryAfterSeconds} 秒後にもう一度提出してください`,
      `too many submissions: at most ${limit} in ${w.en}; submit again in ${retryAfterSeconds} s`,
    );
  }
  if (worst !== null) throw worst;
}
