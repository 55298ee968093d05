import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createUser } from "./accounts.ts";
import { syncExercises } from "./catalog.ts";
import { Database } from "./client.ts";
import { ConflictError, ConstraintError, LeaseLostError, NotFoundError } from "./errors.ts";
import { getSubmission } from "./learner.ts";
import { assertSubmissionAllowed } from "./rate-limit.ts";
import {
  listenForJobs,
  type ClaimedJob,
  SubmitInput,
  abandonGrading,
  claimJobs,
  claimNext,
  markStarted,
  completeGrading,
  queueStats,
  regradeExercise,
  regradeSubmission,
  renewLease,
  submit,
} from "./queue.ts";
import { openScratchDatabase, syntheticResult, testProviders } from "./testing.ts";

const EX = "scaled-dot-product-attention";
const exercise = (version: string) => ({ id: EX, version, order: 1, area: "implementation", title: { ja: "注意", en: "attention" }, meta: { id: EX } });
const at = (base: Date, ms: number) => new Date(base.getTime() + ms);
const refOf = (job: ClaimedJob) => ({ submissionId: job.submissionId, workerId: job.workerId, attempt: job.attempt });
const passed = (job: ClaimedJob, version = "v1") =>
  syntheticResult({ exerciseId: EX, exerciseVersion: version, seed: job.seed, verdict: "passed", tests: [{ id: "shape", status: "passed" }] });

describe.each(testProviders())("durable queue on %s", (provider) => {
  let db: Database;
  let close: () => Promise<void>;
  let userId: string;

  beforeAll(async () => {
    const opened = await openScratchDatabase(provider, "queue");
    db = opened.db;
    close = opened.close;
    await syncExercises(db, [exercise("v1")]);
    userId = (await createUser(db, { email: "queue@example.org", displayName: "Queue" })).id;
  });
  afterAll(async () => close());
  beforeEach(async () => {
    await syncExercises(db, [exercise("v1")]);
    await db.run("cleaning up", (p) => p.submission.deleteMany());
  });

  it("stores a submission as queued before anything else happens and returns its id", async () => {
    const received = new Date(Date.now() - 1_000);
    const s = await submit(db, { userId, exerciseId: EX, source: "export const x = 1;", receivedAt: received });
    const row = await db.run("t", (p) => p.submission.findUniqueOrThrow({ where: { id: s.id }, include: { gradings: true } }));
    expect(row.status).toBe("queued");
    expect(row.receivedAt).toEqual(received);
    expect(row.queuedAt.getTime()).toBeGreaterThanOrEqual(received.getTime());
    expect(row.startedAt).toBeNull();
    expect(row.finishedAt).toBeNull();
    expect(Number(row.seed)).toBe(s.seed);
    expect(row.gradings).toHaveLength(0);
    expect(s.exerciseVersion).toBe("v1");
  });

  it("keeps a 32-bit seed exactly, and refuses unknown exercises and users with typed errors", async () => {
    const s = await submit(db, { userId, exerciseId: EX, source: "x", seed: 0xffff_ffff });
    expect((await getSubmission(db, s.id)).seed).toBe(0xffff_ffff);
    await expect(submit(db, { userId, exerciseId: "no-such-exercise", source: "x" })).rejects.toBeInstanceOf(NotFoundError);
    await expect(submit(db, { userId: "nobody", exerciseId: EX, source: "x" })).rejects.toThrow(/no user with id nobody/);
  });

  it("gives submissions stored in one millisecond ids in the order they were stored (lists order by time, then id)", async () => {
    const now = new Date();
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) ids.push((await submit(db, { userId, exerciseId: EX, source: `same ms ${i}`, receivedAt: now }, now)).id);
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(6);
  });

  it("announces a stored submission to the runners listening (PostgreSQL), and not a replayed one", async () => {
    let heard = 0;
    const stop = await listenForJobs(db, () => heard++);
    if (provider === "sqlite") {
      // One process: the runner is woken in-process.
      expect(stop).toBeNull();
      return;
    }
    try {
      await submit(db, { userId, exerciseId: EX, source: "announced", idempotencyKey: "announce-0001" });
      for (let i = 0; i < 250 && heard === 0; i++) await new Promise((r) => setTimeout(r, 20));
      expect(heard).toBe(1);
      const again = await submit(db, { userId, exerciseId: EX, source: "announced", idempotencyKey: "announce-0001" });
      expect(again.replayed).toBe(true);
      await expect(submit(db, { userId, exerciseId: "no-such-exercise", source: "x" })).rejects.toBeInstanceOf(NotFoundError);
      await new Promise((r) => setTimeout(r, 300));
      expect(heard).toBe(1);
    } finally {
      await stop?.();
    }
  });

  it("claims the oldest due job with a lease, fresh submissions before regrades", async () => {
    const t0 = new Date();
    const first = await submit(db, { userId, exerciseId: EX, source: "a" }, t0);
    const second = await submit(db, { userId, exerciseId: EX, source: "b" }, at(t0, 10));
    const job = await claimNext(db, { workerId: "w1", leaseMs: 30_000, now: at(t0, 20) });
    expect(job?.submissionId).toBe(first.id);
    expect(job?.attempt).toBe(1);
    expect(job?.leaseExpiresAt).toEqual(at(t0, 30_020));
    const row = await db.run("t", (p) => p.submission.findUniqueOrThrow({ where: { id: first.id } }));
    expect(row).toMatchObject({ status: "grading", leaseOwner: "w1", startedAt: at(t0, 20), gradingAttempts: 1 });
    expect((await claimNext(db, { workerId: "w2", leaseMs: 30_000, now: at(t0, 30) }))?.submissionId).toBe(second.id);
    expect(await claimNext(db, { workerId: "w3", leaseMs: 30_000, now: at(t0, 40) })).toBeNull();
  });

  // PostgreSQL: three clients (connection pools) in this process; SQLite: one client, as a process has
  // (a second connection in the same thread would wait on the first synchronously). Several processes
  // on either database: test/db-durable.test.ts.
  it("never gives one job to two of several concurrent claimers", async () => {
    const jobs = 60;
    for (let i = 0; i < jobs; i++) await submit(db, { userId, exerciseId: EX, source: `s${i}` });
    const clients = provider === "postgresql" ? await Promise.all([0, 1, 2].map(() => Database.connect(db.config))) : [db, db, db];
    try {
      const claimed: string[] = [];
      await Promise.all(
        clients.flatMap((client, c) =>
          [0, 1, 2].map(async (l) => {
            for (;;) {
              const job = await claimNext(client, { workerId: `c${c}l${l}`, leaseMs: 60_000 });
              if (job === null) return;
              claimed.push(job.submissionId);
            }
          }),
        ),
      );
      expect(claimed).toHaveLength(jobs);
      expect(new Set(claimed).size).toBe(jobs);
    } finally {
      if (provider === "postgresql") await Promise.all(clients.map((c) => c.close()));
    }
  });

  it("reclaims a job whose lease expired, and refuses the first worker's late result", async () => {
    const t0 = new Date();
    const s = await submit(db, { userId, exerciseId: EX, source: "a" }, t0);
    const first = await claimNext(db, { workerId: "dead", leaseMs: 1_000, now: t0 });
    expect(first?.submissionId).toBe(s.id);
    expect(await claimNext(db, { workerId: "other", leaseMs: 1_000, now: at(t0, 500) })).toBeNull();
    const second = await claimNext(db, { workerId: "alive", leaseMs: 1_000, now: at(t0, 1_500) });
    expect(second).toMatchObject({ submissionId: s.id, attempt: 2, workerId: "alive" });
    if (first === null || second === null) throw new Error("unreachable");
    await expect(completeGrading(db, refOf(first), passed(first))).rejects.toBeInstanceOf(LeaseLostError);
    await completeGrading(db, refOf(second), passed(second));
    const detail = await getSubmission(db, s.id);
    expect(detail.status).toBe("done");
    expect(detail.history.map((g) => [g.workerId, g.attempt])).toEqual([["alive", 2]]);
  });

  it("writes a result exactly once, even when the same completion races itself", async () => {
    await submit(db, { userId, exerciseId: EX, source: "a" });
    const job = await claimNext(db, { workerId: "w", leaseMs: 60_000 });
    if (job === null) throw new Error("no job");
    const outcomes = await Promise.allSettled([completeGrading(db, refOf(job), passed(job)), completeGrading(db, refOf(job), passed(job))]);
    expect(outcomes.filter((o) => o.status === "fulfilled")).toHaveLength(1);
    const rejected = outcomes.find((o) => o.status === "rejected");
    expect(rejected?.status === "rejected" && rejected.reason).toBeInstanceOf(LeaseLostError);
    const counts = await db.run("t", async (p) => ({ gradings: await p.grading.count(), tests: await p.gradingTest.count() }));
    expect(counts).toEqual({ gradings: 1, tests: 1 });
  });

  it("stores the grading and every test row as the result says (PostgreSQL writes them with raw statements)", async () => {
    await submit(db, { userId, exerciseId: EX, source: "a" });
    const job = (await claimNext(db, { workerId: "w#1", leaseMs: 60_000 })) as ClaimedJob;
    const result = syntheticResult({
      exerciseId: EX,
      exerciseVersion: "v1",
      seed: job.seed,
      verdict: "failed",
      score: 0.5,
      tests: [
        { id: "ok", status: "passed" },
        { id: "scale", status: "failed", pitfallId: "missing-scale" },
        { id: "hidden 'quoted' \\ 名前", status: "failed", kind: "hidden" },
        { id: "slow", status: "time_limit" },
      ],
    });
    result.tests[0] = { ...result.tests[0], maxAbsError: null, maxRelError: null } as (typeof result.tests)[number];
    await completeGrading(db, refOf(job), result);
    const stored = await db.run("reading back", (p) =>
      p.grading.findFirstOrThrow({ where: { submissionId: job.submissionId }, include: { tests: { orderBy: { position: "asc" } } } }),
    );
    expect({ verdict: stored.verdict, score: stored.score, passed: stored.passedTests, total: stored.totalTests, counts: stored.countsAsAttempt, seed: stored.seed, trigger: stored.trigger, attempt: stored.attempt, workerId: stored.workerId }).toEqual({
      verdict: "failed", score: 0.5, passed: 1, total: 4, counts: true, seed: BigInt(job.seed), trigger: "submit", attempt: job.attempt, workerId: "w#1",
    });
    expect(stored.result).toEqual(JSON.parse(JSON.stringify(result)));
    expect(stored.finishedAt.getTime()).toBeGreaterThanOrEqual(stored.startedAt.getTime());
    expect(stored.tests.map((t) => [t.position, t.testId, t.kind, t.status, t.pitfallId, t.maxAbsError, t.maxRelError, t.mismatchCount, t.durationMs, t.nameJa, t.messageEn])).toEqual(
      result.tests.map((t, i) => [i, t.id, t.kind, t.status, t.pitfall?.id ?? null, t.maxAbsError, t.maxRelError, t.mismatches?.count ?? null, t.durationMs, t.name.ja, t.message.en]),
    );
    const sub = await getSubmission(db, job.submissionId);
    expect(sub).toMatchObject({ status: "done", verdict: "failed", score: 0.5 });
  });

  it("renews a held lease and refuses to renew a lost one", async () => {
    const t0 = new Date();
    await submit(db, { userId, exerciseId: EX, source: "a" }, t0);
    const job = await claimNext(db, { workerId: "w", leaseMs: 1_000, now: t0 });
    if (job === null) throw new Error("no job");
    expect(await renewLease(db, refOf(job), 1_000, at(t0, 900))).toBe(true);
    expect(await claimNext(db, { workerId: "x", leaseMs: 1_000, now: at(t0, 1_500) })).toBeNull();
    const stolen = await claimNext(db, { workerId: "x", leaseMs: 1_000, now: at(t0, 2_000) });
    expect(stolen?.attempt).toBe(2);
    expect(await renewLease(db, refOf(job), 1_000, at(t0, 2_100))).toBe(false);
  });

  it("keeps every time of the queue's path in UTC, whatever the grader's time zone (PostgreSQL's raw statements go to the driver)", async () => {
    // The driver alone would send a Date in the process's local time and read timestamp(3) as local
    // time; Prisma reads and writes UTC. Tokyo is 9 hours off, so a slip either way shows.
    const zone = process.env.TZ;
    process.env.TZ = "Asia/Tokyo";
    try {
      expect(new Date(Date.UTC(2026, 0, 1)).getHours()).toBe(9);
      const t0 = new Date(Date.UTC(2026, 11, 7, 23, 30, 0, 123));
      const received = at(t0, -250);
      const s = await submit(db, { userId, exerciseId: EX, source: "times", receivedAt: received }, t0);
      expect(s.queuedAt).toEqual(t0);
      const job = await claimNext(db, { workerId: "w", leaseMs: 60_000, now: at(t0, 1_000) });
      if (job === null) throw new Error("no job");
      expect(job).toMatchObject({ receivedAt: received, queuedAt: t0, leaseExpiresAt: at(t0, 61_000) });
      expect(await markStarted(db, refOf(job), at(t0, 1_100))).toBe(true);
      expect(await renewLease(db, refOf(job), 60_000, at(t0, 2_000))).toBe(true);
      const leased = await db.run("t", (p) => p.submission.findUniqueOrThrow({ where: { id: s.id } }));
      expect(leased).toMatchObject({ receivedAt: received, queuedAt: t0, startedAt: at(t0, 1_100), leaseExpiresAt: at(t0, 62_000) });
      // Not yet expired at +61.9 s (renewed to +62 s); another claimer gets it only after.
      expect(await claimNext(db, { workerId: "x", leaseMs: 1_000, now: at(t0, 61_900) })).toBeNull();
      await completeGrading(db, refOf(job), passed(job), { now: at(t0, 3_000) });
      const done = await db.run("t", (p) => p.submission.findUniqueOrThrow({ where: { id: s.id }, include: { currentGrading: true } }));
      expect(done).toMatchObject({ status: "done", finishedAt: at(t0, 3_000), leaseExpiresAt: null });
      expect(done.currentGrading).toMatchObject({ startedAt: at(t0, 1_100), finishedAt: at(t0, 3_000) });
      // The rate limit's window edge is read back as the stored instant: one a minute, so the next is
      // allowed exactly 60 s after `received`.
      const refused = await assertSubmissionAllowed(db, userId, at(received, 10_000), { perMinute: 1, perDay: 0 }).catch((e: unknown) => e);
      expect(refused).toMatchObject({ window: "minute", retryAfterSeconds: 50 });
      await expect(assertSubmissionAllowed(db, userId, at(received, 60_001), { perMinute: 1, perDay: 0 })).resolves.toBeUndefined();
    } finally {
      if (zone === undefined) delete process.env.TZ;
      else process.env.TZ = zone;
    }
  });

  it("keeps an internal_error in the history without counting it, retries it once after a back-off, then fails", async () => {
    const t0 = new Date();
    const s = await submit(db, { userId, exerciseId: EX, source: "a" }, t0);
    let now = t0;
    // maxAttempts 3 bounds interruptions; an internal_error is retried at most once whatever it says.
    for (let round = 1; round <= 2; round++) {
      const job = await claimNext(db, { workerId: `w${round}`, leaseMs: 1_000, now });
      expect(job?.submissionId).toBe(s.id);
      if (job === null) throw new Error("no job");
      const broken = syntheticResult({ exerciseId: EX, exerciseVersion: "v1", seed: job.seed, verdict: "internal_error" });
      const out = await completeGrading(db, refOf(job), broken, { now, retryDelayMs: 1_000, maxAttempts: 3 });
      expect(out.requeued).toBe(round < 2 ? "retry" : null);
      expect(out.status).toBe(round < 2 ? "queued" : "failed");
      if (round < 2) {
        // Back-off: not due before 1 s has passed.
        expect(await claimNext(db, { workerId: "early", leaseMs: 1_000, now: at(now, 500) })).toBeNull();
        now = at(now, 1_001);
      }
    }
    expect(await claimNext(db, { workerId: "late", leaseMs: 1_000, now: at(now, 60_000) })).toBeNull();
    const detail = await getSubmission(db, s.id);
    expect(detail).toMatchObject({ status: "failed", verdict: "internal_error", countsAsAttempt: false });
    expect(detail.history.map((g) => [g.verdict, g.countsAsAttempt, g.trigger])).toEqual([
      ["internal_error", false, "submit"],
      ["internal_error", false, "retry"],
    ]);
  });

  it("a regrade starts a new round: its internal_error is retried once again", async () => {
    const t0 = new Date();
    const s = await submit(db, { userId, exerciseId: EX, source: "a" }, t0);
    const broken = (job: ClaimedJob) => syntheticResult({ exerciseId: EX, exerciseVersion: "v1", seed: job.seed, verdict: "internal_error" });
    let now = t0;
    for (let i = 0; i < 2; i++) {
      const job = await claimNext(db, { workerId: `a${i}`, leaseMs: 1_000, now });
      if (job === null) throw new Error("no job");
      await completeGrading(db, refOf(job), broken(job), { now, retryDelayMs: 0 });
      now = at(now, 10);
    }
    expect((await getSubmission(db, s.id)).status).toBe("failed");
    await regradeSubmission(db, s.id, now);
    const job = await claimNext(db, { workerId: "r", leaseMs: 1_000, now });
    if (job === null) throw new Error("no job");
    expect((await completeGrading(db, refOf(job), broken(job), { now, retryDelayMs: 0 })).requeued).toBe("retry");
  });

  it("gives up a job whose worker keeps dying while grading it (started, lease expired maxAttempts times)", async () => {
    const t0 = new Date();
    const s = await submit(db, { userId, exerciseId: EX, source: "a" }, t0);
    for (let i = 0; i < 3; i++) {
      const job = await claimNext(db, { workerId: `w${i}`, leaseMs: 100, now: at(t0, i * 200) });
      expect(job?.submissionId).toBe(s.id);
      if (job === null) throw new Error("no job");
      expect(await markStarted(db, refOf(job), at(t0, i * 200 + 1))).toBe(true);
    }
    expect(await claimNext(db, { workerId: "w3", leaseMs: 100, now: at(t0, 1_000), maxAttempts: 3 })).toBeNull();
    const detail = await getSubmission(db, s.id);
    expect(detail).toMatchObject({ status: "failed", verdict: "internal_error", countsAsAttempt: false, gradings: 0 });
    expect(detail.lastError).toMatch(/interrupted 3 times/);
  });

  it("does not hold an interruption against a job that was claimed but never started (it only waited)", async () => {
    const t0 = new Date();
    const s = await submit(db, { userId, exerciseId: EX, source: "a" }, t0);
    for (let i = 0; i < 6; i++) {
      const job = await claimNext(db, { workerId: `w${i}`, leaseMs: 100, now: at(t0, i * 200), maxAttempts: 2 });
      expect(job?.submissionId).toBe(s.id);
    }
    const last = await claimNext(db, { workerId: "w6", leaseMs: 100, now: at(t0, 2_000), maxAttempts: 2 });
    if (last === null) throw new Error("no job");
    expect(await markStarted(db, { ...refOf(last), workerId: "someone-else" })).toBe(false);
    await completeGrading(db, refOf(last), passed(last), { now: at(t0, 2_050), maxAttempts: 2 });
    expect(await getSubmission(db, s.id)).toMatchObject({ status: "done", verdict: "passed" });
  });

  it("claims several jobs in one call, each once, oldest first", async () => {
    const t0 = new Date(Date.now() - 10_000);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await submit(db, { userId, exerciseId: EX, source: `// ${i}` }, at(t0, i))).id);
    const first = await claimJobs(db, { workerId: "batch", leaseMs: 60_000, limit: 3 });
    expect(first.map((j) => j.submissionId).sort()).toEqual(ids.slice(0, 3).sort());
    expect(first.every((j) => j.submittedVersion === "v1" && j.scope === "all" && j.attempt === 1 && j.workerId === "batch")).toBe(true);
    const rest = await claimJobs(db, { workerId: "batch2", leaseMs: 60_000, limit: 10 });
    expect(rest.map((j) => j.submissionId).sort()).toEqual(ids.slice(3).sort());
    expect(await claimJobs(db, { workerId: "batch3", leaseMs: 60_000, limit: 10 })).toEqual([]);
  });

  it("an idempotency key returns the first submission on a retry, and refuses the key for other code", async () => {
    const key = "key-0123456789";
    const a = await submit(db, { userId, exerciseId: EX, source: "x", idempotencyKey: key });
    const b = await submit(db, { userId, exerciseId: EX, source: "x", idempotencyKey: key });
    expect(a.replayed).toBe(false);
    expect(b).toMatchObject({ id: a.id, seed: a.seed, replayed: true });
    // Racing retries of one request: all get the one submission.
    const race = await Promise.all(Array.from({ length: 4 }, () => submit(db, { userId, exerciseId: EX, source: "y", idempotencyKey: "key-race-000" })));
    expect(new Set(race.map((r) => r.id)).size).toBe(1);
    await expect(submit(db, { userId, exerciseId: EX, source: "other code", idempotencyKey: key })).rejects.toBeInstanceOf(ConflictError);
    expect(await db.run("t", (p) => p.submission.count())).toBe(2);
    // The key belongs to its user: another user's equal key is their own submission.
    const other = (await createUser(db, { email: `idem-${provider}@example.org`, displayName: "Idem" })).id;
    expect((await submit(db, { userId: other, exerciseId: EX, source: "x", idempotencyKey: key })).id).not.toBe(a.id);
    expect(() => SubmitInput.parse({ userId, exerciseId: EX, source: "x", idempotencyKey: "short" })).toThrow(/at least 8/);
  });

  it("refuses a public-only run as a submission: practice is never stored", async () => {
    await expect(submit(db, { userId, exerciseId: EX, source: "x", scope: "public" as "all" })).rejects.toThrow(/practice run.*POST \/v1\/grade/);
    expect(await db.run("t", (p) => p.submission.count())).toBe(0);
  });

  it("does not count a compile error as an attempt", async () => {
    const s = await submit(db, { userId, exerciseId: EX, source: "const = ;" });
    const job = await claimNext(db, { workerId: "w", leaseMs: 60_000 });
    if (job === null) throw new Error("no job");
    await completeGrading(db, refOf(job), syntheticResult({ exerciseId: EX, exerciseVersion: "v1", seed: job.seed, verdict: "compile_error" }));
    expect(await getSubmission(db, s.id)).toMatchObject({ status: "done", verdict: "compile_error", countsAsAttempt: false });
  });

  it("refuses a result for another exercise or seed (a mixed-up worker) and writes nothing", async () => {
    await submit(db, { userId, exerciseId: EX, source: "a", seed: 7 });
    const job = await claimNext(db, { workerId: "w", leaseMs: 60_000 });
    if (job === null) throw new Error("no job");
    const wrongSeed = syntheticResult({ exerciseId: EX, exerciseVersion: "v1", seed: 8, verdict: "passed" });
    await expect(completeGrading(db, refOf(job), wrongSeed)).rejects.toBeInstanceOf(ConstraintError);
    // The transaction rolled back: the lease is still held and a correct result goes through.
    await completeGrading(db, refOf(job), passed(job));
    expect(await db.run("t", (p) => p.grading.count())).toBe(1);
  });

  it("regrading an exercise requeues its submissions and appends gradings, keeping the old ones with their version", async () => {
    const a = await submit(db, { userId, exerciseId: EX, source: "a" });
    const b = await submit(db, { userId, exerciseId: EX, source: "b" });
    for (let i = 0; i < 2; i++) {
      const job = await claimNext(db, { workerId: "w", leaseMs: 60_000 });
      if (job === null) throw new Error("no job");
      const verdict = job.submissionId === a.id ? "passed" : "failed";
      await completeGrading(db, refOf(job), syntheticResult({ exerciseId: EX, exerciseVersion: "v1", seed: job.seed, verdict, tests: [{ id: "t", status: verdict === "passed" ? "passed" : "failed" }] }));
    }
    await syncExercises(db, [exercise("v2")]);
    expect(await regradeExercise(db, EX)).toEqual({ requeued: 2, flagged: 0 });
    const fresh = await submit(db, { userId, exerciseId: EX, source: "c" });
    const order: string[] = [];
    for (;;) {
      const job = await claimNext(db, { workerId: "w", leaseMs: 60_000 });
      if (job === null) break;
      order.push(job.submissionId);
      expect(job.trigger).toBe(job.submissionId === fresh.id ? "submit" : "regrade");
      await completeGrading(db, refOf(job), passed(job, "v2"));
    }
    expect(order[0]).toBe(fresh.id);
    const detail = await getSubmission(db, b.id);
    expect(detail.exerciseVersion).toBe("v1");
    expect(detail.history.map((g) => [g.trigger, g.exerciseVersion, g.verdict, g.current])).toEqual([
      ["submit", "v1", "failed", false],
      ["regrade", "v2", "passed", true],
    ]);
    expect(detail).toMatchObject({ status: "done", verdict: "passed" });
    expect((await getSubmission(db, fresh.id)).exerciseVersion).toBe("v2");
  });

  it("a regrade asked for during grading keeps that grading's result and queues the submission again", async () => {
    const s = await submit(db, { userId, exerciseId: EX, source: "a" });
    const job = await claimNext(db, { workerId: "w", leaseMs: 60_000 });
    if (job === null) throw new Error("no job");
    expect(await regradeSubmission(db, s.id)).toEqual({ requeued: 0, flagged: 1 });
    const out = await completeGrading(db, refOf(job), passed(job));
    expect(out).toMatchObject({ status: "queued", requeued: "regrade" });
    const again = await claimNext(db, { workerId: "w", leaseMs: 60_000 });
    expect(again).toMatchObject({ submissionId: s.id, trigger: "regrade", attempt: 2 });
    if (again === null) throw new Error("no job");
    await completeGrading(db, refOf(again), passed(again));
    expect((await getSubmission(db, s.id)).history.map((g) => g.trigger)).toEqual(["submit", "regrade"]);
    await expect(regradeSubmission(db, "missing")).rejects.toBeInstanceOf(NotFoundError);
  });

  it("hands a job back: a graceful stop does not use up an attempt, a refusal does until maxAttempts", async () => {
    const s = await submit(db, { userId, exerciseId: EX, source: "a" });
    const job = await claimNext(db, { workerId: "w", leaseMs: 60_000 });
    if (job === null) throw new Error("no job");
    expect(await markStarted(db, refOf(job))).toBe(true);
    expect(await abandonGrading(db, refOf(job), "stopping", { countAttempt: false })).toBe("requeued");
    let row = await db.run("t", (p) => p.submission.findUniqueOrThrow({ where: { id: s.id } }));
    expect(row).toMatchObject({ status: "queued", roundAttempts: 0, gradingAttempts: 1, leaseOwner: null });
    for (let i = 0; i < 3; i++) {
      const j = await claimNext(db, { workerId: "w", leaseMs: 60_000, now: new Date(Date.now() + 3_600_000) });
      if (j === null) throw new Error("no job");
      // The pool refused it before any worker started it: the refusal itself is what counts.
      const r = await abandonGrading(db, refOf(j), "pool refused", { retryDelayMs: 0, started: false });
      expect(r).toBe(i < 2 ? "requeued" : "failed");
    }
    row = await db.run("t", (p) => p.submission.findUniqueOrThrow({ where: { id: s.id } }));
    expect(row).toMatchObject({ status: "failed", lastError: "pool refused", verdict: "internal_error" });
    expect(await queueStats(db)).toMatchObject({ queued: 0, grading: 0, failed: 1 });
  });
});
