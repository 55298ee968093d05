import type { GradeRequest, GradeResult } from "@tfm/contract";
import { type Database, MAX_HOST_STALLS, claimNext, createUser, getSubmission, regradeSubmission, submit, syncExercises } from "@tfm/db";
import { openScratchDatabase, syntheticResult, testProviders } from "@tfm/db/testing";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { DurableRunner, type Grader } from "./runner.ts";

const EX = "layer-norm";

/** A grader that answers after `delayMs`, or refuses. */
function fakeGrader(options: { delayMs?: number; refuse?: string } = {}): Grader & { calls: GradeRequest[] } {
  const calls: GradeRequest[] = [];
  return {
    calls,
    async grade(request: GradeRequest): Promise<GradeResult> {
      calls.push(request);
      await new Promise((r) => setTimeout(r, options.delayMs ?? 0));
      if (options.refuse !== undefined) throw new Error(options.refuse);
      return syntheticResult({ exerciseId: request.exerciseId, exerciseVersion: "ln1", seed: request.seed ?? 0, verdict: "passed" });
    },
  };
}

describe.each(testProviders())("durable runner on %s", (provider) => {
  let db: Database;
  let close: () => Promise<void>;
  let userId: string;
  beforeAll(async () => {
    ({ db, close } = await openScratchDatabase(provider, "runner"));
    await syncExercises(db, [{ id: EX, version: "ln1", order: 13, area: "implementation", title: { ja: "LN", en: "LN" }, meta: {} }]);
    userId = (await createUser(db, { email: "runner@example.org", displayName: "r" })).id;
  });
  afterAll(async () => close());
  beforeEach(async () => {
    await db.run("clean", (p) => p.submission.deleteMany());
  });

  it("grades with the stored seed, language and scope, and writes the result", async () => {
    const s = await submit(db, { userId, exerciseId: EX, source: "x", seed: 99, lang: "en" });
    const grader = fakeGrader();
    const runner = new DurableRunner({ db, grader, workerId: "r", loops: 2, pollMs: 20, log: () => {} });
    runner.start();
    await runner.drain();
    await runner.stop();
    expect(grader.calls).toEqual([{ exerciseId: EX, source: "x", seed: 99, lang: "en", scope: "all" }]);
    expect(await getSubmission(db, s.id)).toMatchObject({ status: "done", verdict: "passed" });
  });

  it("renews the lease while a grading outlasts it, so nobody else takes the job", async () => {
    const s = await submit(db, { userId, exerciseId: EX, source: "slow" });
    const runner = new DurableRunner({ db, grader: fakeGrader({ delayMs: 1_500 }), workerId: "r", loops: 1, leaseMs: 400, pollMs: 20, log: () => {} });
    runner.start();
    const seen: (string | null)[] = [];
    for (let i = 0; i < 8; i++) {
      await new Promise((r) => setTimeout(r, 150));
      seen.push((await claimNext(db, { workerId: "thief", leaseMs: 400 }))?.submissionId ?? null);
    }
    await runner.drain();
    await runner.stop();
    expect(seen.every((x) => x === null)).toBe(true);
    expect((await getSubmission(db, s.id)).history.map((g) => g.workerId)).toEqual(["r#0"]);
  });

  it("hands a job the grader refused back to the queue with the reason, and fails it after maxAttempts", async () => {
    const s = await submit(db, { userId, exerciseId: EX, source: "x" });
    const runner = new DurableRunner({ db, grader: fakeGrader({ refuse: "the grading queue is full" }), workerId: "r", loops: 1, pollMs: 20, maxAttempts: 2, retryDelayMs: 10, log: () => {} });
    runner.start();
    await runner.drain();
    await runner.stop();
    expect(await getSubmission(db, s.id)).toMatchObject({ status: "failed", verdict: "internal_error", countsAsAttempt: false, gradings: 0 });
    expect((await getSubmission(db, s.id)).lastError).toMatch(/queue is full/);
    expect(runner.stats()).toMatchObject({ abandoned: 2, completed: 0 });
  });

  it("a host stall (the pool's hostFault error) queues the job again at once, not counted, and it is then graded", async () => {
    const s = await submit(db, { userId, exerciseId: EX, source: "x" });
    let stalls = 3;
    const grader: Grader = {
      async grade(request, options) {
        options?.onStart?.();
        if (stalls-- > 0) throw Object.assign(new Error("the grading host stalled"), { hostFault: true });
        return syntheticResult({ exerciseId: request.exerciseId, exerciseVersion: "ln1", seed: request.seed ?? 0, verdict: "passed" });
      },
    };
    // maxAttempts 1: had a stall counted, the job would have failed at the first one.
    const runner = new DurableRunner({ db, grader, workerId: "r", loops: 1, pollMs: 20, maxAttempts: 1, retryDelayMs: 60_000, log: () => {} });
    runner.start();
    await runner.drain();
    await runner.stop();
    expect(await getSubmission(db, s.id)).toMatchObject({ status: "done", verdict: "passed", countsAsAttempt: true, gradings: 1 });
  });

  it("a submission that stalls the host every time is given up after MAX_HOST_STALLS stalls, not counted, and never loops", async () => {
    // A stall is the host's fault and costs the student nothing, but a submission that stalls every
    // worker it reaches (the pool's watchdog replaces the worker after ~90 s each time) must not be
    // requeued for ever: that is every other student's grading time.
    const s = await submit(db, { userId, exerciseId: EX, source: "stalls every time" });
    const other = await submit(db, { userId, exerciseId: EX, source: "an honest one" });
    const stalled: string[] = [];
    const grader: Grader = {
      async grade(request, options) {
        options?.onStart?.();
        if (request.source === "stalls every time") {
          stalled.push(request.source);
          throw Object.assign(new Error("the grading worker stalled (no answer within the watchdog's time)"), { hostFault: true });
        }
        return syntheticResult({ exerciseId: request.exerciseId, exerciseVersion: "ln1", seed: request.seed ?? 0, verdict: "passed" });
      },
    };
    const runner = new DurableRunner({ db, grader, workerId: "r", loops: 1, pollMs: 20, maxAttempts: 3, retryDelayMs: 10, log: () => {} });
    runner.start();
    await runner.drain({ pollMs: 20, timeoutMs: 20_000 });
    await runner.stop();
    expect(stalled).toHaveLength(MAX_HOST_STALLS);
    const row = await getSubmission(db, s.id);
    expect(row).toMatchObject({ status: "failed", verdict: "internal_error", countsAsAttempt: false, gradings: 0 });
    expect(row.lastError).toMatch(new RegExp(`stalled the grader ${MAX_HOST_STALLS} times`));
    expect(await getSubmission(db, other.id)).toMatchObject({ status: "done", verdict: "passed" });
  });

  it("a regrade gives a submission given up for stalls its full count of stalls again", async () => {
    const s = await submit(db, { userId, exerciseId: EX, source: "stalls, then is fixed" });
    let stalls = MAX_HOST_STALLS;
    const grader: Grader = {
      async grade(request, options) {
        options?.onStart?.();
        if (stalls-- > 0) throw Object.assign(new Error("the grading host stalled"), { hostFault: true });
        return syntheticResult({ exerciseId: request.exerciseId, exerciseVersion: "ln1", seed: request.seed ?? 0, verdict: "passed" });
      },
    };
    const first = new DurableRunner({ db, grader, workerId: "r", loops: 1, pollMs: 20, log: () => {} });
    first.start();
    await first.drain({ pollMs: 20, timeoutMs: 20_000 });
    await first.stop();
    expect(await getSubmission(db, s.id)).toMatchObject({ status: "failed", verdict: "internal_error" });
    await regradeSubmission(db, s.id);
    stalls = MAX_HOST_STALLS - 1;
    const second = new DurableRunner({ db, grader, workerId: "r2", loops: 1, pollMs: 20, log: () => {} });
    second.start();
    await second.drain({ pollMs: 20, timeoutMs: 20_000 });
    await second.stop();
    expect(await getSubmission(db, s.id)).toMatchObject({ status: "done", verdict: "passed", countsAsAttempt: true });
  });

  it("claims no more jobs than the grader has idle workers (nothing waits claimed behind a slow job)", async () => {
    for (let i = 0; i < 3; i++) await submit(db, { userId, exerciseId: EX, source: `slow ${i}` });
    let busy = 0;
    let maxBusy = 0;
    const grader: Grader = {
      openSlots: (ahead) => 1 - busy + ahead,
      async grade(request, options) {
        busy++;
        maxBusy = Math.max(maxBusy, busy);
        options?.onStart?.();
        await new Promise((r) => setTimeout(r, 400));
        busy--;
        return syntheticResult({ exerciseId: request.exerciseId, exerciseVersion: "ln1", seed: request.seed ?? 0, verdict: "passed" });
      },
    };
    const runner = new DurableRunner({ db, grader, workerId: "r", loops: 4, pollMs: 20, log: () => {} });
    runner.start();
    // Every claimed job went straight to a worker: never two handed to one free worker.
    await runner.drain();
    await runner.stop();
    expect(maxBusy).toBe(1);
    expect(runner.stats()).toMatchObject({ claimed: 3, completed: 3 });
  });

  it("with claimAhead, claims the next job while the worker is busy, so it starts the moment the worker frees up; never more than that many wait", async () => {
    for (let i = 0; i < 4; i++) await submit(db, { userId, exerciseId: EX, source: `ahead ${i}` });
    let running = false;
    let maxWaiting = 0;
    const waiting: (() => void)[] = [];
    const events: string[] = [];
    const grader: Grader = {
      openSlots: (ahead) => (running ? 0 : 1) + ahead - waiting.length,
      async grade(request, options) {
        events.push("claimed");
        if (running) {
          await new Promise<void>((resolve) => {
            waiting.push(resolve);
            maxWaiting = Math.max(maxWaiting, waiting.length);
          });
        }
        running = true;
        events.push("started");
        options?.onStart?.();
        await new Promise((r) => setTimeout(r, 300));
        events.push("finished");
        running = false;
        // The pool's worker takes the waiting job at once (as GraderPool.dispatch does).
        waiting.shift()?.();
        return syntheticResult({ exerciseId: request.exerciseId, exerciseVersion: "ln1", seed: request.seed ?? 0, verdict: "passed" });
      },
    };
    const runner = new DurableRunner({ db, grader, workerId: "r", loops: 1, claimAhead: 1, pollMs: 20, log: () => {} });
    runner.start();
    await runner.drain();
    await runner.stop();
    expect(runner.stats()).toMatchObject({ claimed: 4, completed: 4 });
    expect(maxWaiting).toBe(1);
    // Every job after the first was claimed before the one ahead of it finished.
    const starts = events.flatMap((e, i) => (e === "started" ? [i] : []));
    expect(starts).toHaveLength(4);
    for (let k = 1; k < 4; k++) {
      const claims = events.slice(0, events.indexOf("finished", starts[k - 1])).filter((e) => e === "claimed").length;
      expect(claims).toBeGreaterThanOrEqual(k + 1);
    }
    const rows = await db.run("t", (p) => p.submission.findMany({ where: { source: { startsWith: "ahead " } } }));
    expect(rows.map((r) => [r.status, r.roundAttempts])).toEqual(rows.map(() => ["done", 1]));
  });

  it("refuses a negative claimAhead", () => {
    expect(() => new DurableRunner({ db, grader: fakeGrader({}), workerId: "r", loops: 1, claimAhead: -1, log: () => {} })).toThrow(/claimAhead/);
  });

  it("on stop, gives in-flight jobs back without using up an attempt", async () => {
    const s = await submit(db, { userId, exerciseId: EX, source: "x" });
    const runner = new DurableRunner({ db, grader: fakeGrader({ delayMs: 2_000 }), workerId: "r", loops: 1, pollMs: 20, stopTimeoutMs: 100, log: () => {} });
    runner.start();
    while ((await getSubmission(db, s.id)).status !== "grading") await new Promise((r) => setTimeout(r, 20));
    await runner.stop();
    const row = await db.run("t", (p) => p.submission.findUniqueOrThrow({ where: { id: s.id } }));
    expect(row).toMatchObject({ status: "queued", roundAttempts: 0, leaseOwner: null });
    // The grading that finishes later is not written: the job belongs to the queue again.
    await new Promise((r) => setTimeout(r, 2_200));
    expect(await db.run("t", (p) => p.grading.count())).toBe(0);
  });
});
