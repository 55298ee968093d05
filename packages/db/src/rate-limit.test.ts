import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createUser } from "./accounts.ts";
import { syncExercises } from "./catalog.ts";
import type { Database } from "./client.ts";
import { claimNext, completeGrading, submit } from "./queue.ts";
import { DEFAULT_RATE_LIMITS, SubmissionRateLimitError, assertSubmissionAllowed, loadRateLimits, submissionUsage } from "./rate-limit.ts";
import { openScratchDatabase, syntheticResult, testProviders } from "./testing.ts";

const EX = "scaled-dot-product-attention";
const exercise = { id: EX, version: "v1", order: 1, area: "implementation", title: { ja: "注意", en: "attention" }, meta: { id: EX } };
const T0 = new Date("2026-03-02T10:00:00.000Z");
const at = (ms: number) => new Date(T0.getTime() + ms);

async function refused(p: Promise<void>): Promise<SubmissionRateLimitError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof SubmissionRateLimitError) return e;
    throw e;
  }
  throw new Error("expected SubmissionRateLimitError, but the submission was allowed");
}

describe("rate limit configuration", () => {
  it("defaults to 10 a minute and 200 a day, reads the environment and refuses bad values saying which", () => {
    expect(loadRateLimits({})).toEqual({ perMinute: 10, perDay: 200 });
    expect(DEFAULT_RATE_LIMITS).toEqual({ perMinute: 10, perDay: 200 });
    expect(loadRateLimits({ TFM_SUBMIT_PER_MINUTE: "3", TFM_SUBMIT_PER_DAY: "0" })).toEqual({ perMinute: 3, perDay: 0 });
    expect(() => loadRateLimits({ TFM_SUBMIT_PER_MINUTE: "-1" })).toThrow(/TFM_SUBMIT_PER_MINUTE/);
    expect(() => loadRateLimits({ TFM_SUBMIT_PER_DAY: "many" })).toThrow(/TFM_SUBMIT_PER_DAY/);
  });
});

describe.each(testProviders())("per-user submission rate limits on %s", (provider) => {
  let db: Database;
  let close: () => Promise<void>;
  let alice: string;
  let bob: string;

  beforeAll(async () => {
    const opened = await openScratchDatabase(provider, "ratelimit");
    ({ db, close } = opened);
    await syncExercises(db, [exercise]);
    alice = (await createUser(db, { email: "alice@example.org", displayName: "Alice" })).id;
    bob = (await createUser(db, { email: "bob@example.org", displayName: "Bob" })).id;
  });
  afterAll(async () => close());
  beforeEach(async () => {
    await db.run("cleaning up", (p) => p.submission.deleteMany());
  });

  const submitAt = (userId: string, ms: number) => submit(db, { userId, exerciseId: EX, source: `// ${ms}`, receivedAt: at(ms) }, at(ms));

  it("allows the per-minute number, refuses the next with an exact Retry-After in ja and en, and per user", async () => {
    const limits = { perMinute: 3, perDay: 100 };
    for (const ms of [0, 10_000, 20_000]) {
      await assertSubmissionAllowed(db, alice, at(ms), limits);
      await submitAt(alice, ms);
    }
    const e = await refused(assertSubmissionAllowed(db, alice, at(30_000), limits));
    expect(e).toMatchObject({ code: "rate_limited", window: "minute", limit: 3, retryAfterSeconds: 30 });
    expect(e.message).toMatch(/at most 3 in a minute; submit again in 30 s/);
    expect(e.messageJa).toMatch(/1 分間に 3 回まで.*30 秒後/);
    // Bob has his own budget.
    await assertSubmissionAllowed(db, bob, at(30_000), limits);
    // Exactly when the oldest of the three leaves the window, Alice may submit again.
    await refused(assertSubmissionAllowed(db, alice, at(59_999), limits));
    await assertSubmissionAllowed(db, alice, at(60_000), limits);
    expect(await submissionUsage(db, alice, at(30_000), limits)).toMatchObject({ lastMinute: 3, lastDay: 3 });
  });

  it("limits a day, reports the later of two full windows, and 0 turns a limit off", async () => {
    const limits = { perMinute: 2, perDay: 4 };
    for (const ms of [0, 3_600_000, 7_200_000, 7_230_000]) await submitAt(alice, ms);
    // Both windows are full at 7 230 s + 1 s: the day frees up later than the minute.
    const e = await refused(assertSubmissionAllowed(db, alice, at(7_231_000), limits));
    expect(e.window).toBe("day");
    expect(e.retryAfterSeconds).toBe(86_400 - 7_231);
    expect(e.message).toMatch(/at most 4 in a day/);
    expect(e.messageJa).toMatch(/1 日に 4 回まで/);
    await assertSubmissionAllowed(db, alice, at(7_231_000), { perMinute: 0, perDay: 0 });
    await assertSubmissionAllowed(db, alice, at(86_400_000), limits);
  });

  it("counts a submission that ended internal_error like any other (it is still no attempt)", async () => {
    const limits = { perMinute: 1, perDay: 10 };
    const s = await submitAt(alice, 0);
    await refused(assertSubmissionAllowed(db, alice, at(1_000), limits));
    const job = await claimNext(db, { workerId: "w", leaseMs: 60_000, now: at(500) });
    expect(job?.submissionId).toBe(s.id);
    if (job === null) throw new Error("no job");
    // maxAttempts 1: the internal error is final (status failed, verdict internal_error).
    await completeGrading(db, { submissionId: job.submissionId, workerId: "w", attempt: job.attempt }, syntheticResult({ exerciseId: EX, exerciseVersion: "v1", seed: job.seed, verdict: "internal_error" }), {
      now: at(800),
      maxAttempts: 1,
    });
    expect(await db.run("t", (p) => p.submission.findUniqueOrThrow({ where: { id: s.id }, select: { verdict: true, countsAsAttempt: true } }))).toEqual({
      verdict: "internal_error",
      countsAsAttempt: false,
    });
    // A user whose submissions keep ending internal_error cannot use that to submit without limit.
    const e = await refused(assertSubmissionAllowed(db, alice, at(1_000), limits));
    expect(e.window).toBe("minute");
    await assertSubmissionAllowed(db, alice, at(60_001), limits);
  });
});
