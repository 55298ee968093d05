/**
 * Faults: grading processes killed mid-grading, a whole durable grader killed with jobs in flight,
 * the database restarted mid-run (a private PostgreSQL cluster, never the shared one), and a pool
 * exhausted by slow submissions. Nothing accepted is lost, nothing is graded twice, the queue
 * drains, and an infrastructure fault is internal_error and costs the student no attempt.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { chownSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadCatalog } from "../../apps/grader/src/catalog.ts";
import { DurableRunner, catalogVersions } from "../../apps/grader/src/durable/runner.ts";
import { GraderPool } from "../../apps/grader/src/pool.ts";
import {
  type Database,
  assertSubmissionAllowed,
  createUser,
  getSubmission,
  migrate,
  parseDatabaseUrl,
  submit,
  syncExercises,
} from "../../packages/db/src/index.ts";
import { openScratchDatabase, testProviders } from "../../packages/db/src/testing.ts";
import { ROOT, waitFor } from "./grader-process.ts";
import { slowSolution } from "../slow-solution.ts";

const EX = "scaled-dot-product-attention";
const SOLUTION = readFileSync(`${ROOT}/exercises/${EX}/solution.ts`, "utf8");
/** A correct solution that spins 1.5 s at its top level first (under the 2 s limit): time to kill whoever grades it. */
const SLOW = slowSolution(EX, 1500, SOLUTION);
const catalog = loadCatalog();
const quiet = () => {};
/** These tests start, kill and restart processes: on a loaded 2-core machine that takes minutes, not seconds. */
const LONG = 300_000;

async function gradingsOf(db: Database, submissionId: string) {
  return db.run("t", (p) => p.grading.findMany({ where: { submissionId }, orderBy: { attempt: "asc" }, select: { verdict: true, countsAsAttempt: true, attempt: true, workerId: true } }));
}

/** Attempts as the dashboards count them: submissions whose current verdict counts. */
async function attemptsOf(db: Database, userId: string): Promise<number> {
  return db.run("t", (p) => p.submission.count({ where: { userId, countsAsAttempt: true } }));
}

describe.each(testProviders())("faults on %s", (provider) => {
  let db: Database;
  let close: () => Promise<void>;
  let url: string;
  let pool: GraderPool;

  beforeAll(async () => {
    const opened = await openScratchDatabase(provider, "faults");
    ({ db, close } = opened);
    url = opened.scratch.url;
    await syncExercises(db, catalogVersions(catalog));
    pool = new GraderPool({ size: 1, catalog });
    await pool.start();
  });
  afterAll(async () => {
    await pool.close();
    await close();
  });

  it("a grading process SIGKILLed mid-grading: the pool grades the job again, once, and it counts once", async () => {
    const user = (await createUser(db, { email: `a-${provider}@example.org`, displayName: "A" })).id;
    const { id } = await submit(db, { userId: user, exerciseId: EX, source: SLOW, seed: 31 });
    const runner = new DurableRunner({ db, grader: pool, workerId: "kill-one", loops: 1, pollMs: 50, log: quiet });
    runner.start();
    const victim = await waitFor(() => pool.busyWorkerPids()[0], 30_000, "a busy worker");
    process.kill(victim, "SIGKILL");
    await waitFor(async () => ((await getSubmission(db, id)).status === "done" ? true : undefined), 180_000, "the submission to finish");
    await runner.stop();
    expect(await getSubmission(db, id)).toMatchObject({ status: "done", verdict: "passed", countsAsAttempt: true, gradings: 1 });
    expect(await gradingsOf(db, id)).toMatchObject([{ verdict: "passed", countsAsAttempt: true }]);
    expect(await attemptsOf(db, user)).toBe(1);
    expect(pool.workerPids()).not.toContain(victim);
  }, LONG);

  it("killed on the pool's retry too: internal_error (not an attempt) is kept in the history, the queue retries, one attempt in all", async () => {
    const user = (await createUser(db, { email: `b-${provider}@example.org`, displayName: "B" })).id;
    const { id } = await submit(db, { userId: user, exerciseId: EX, source: SLOW, seed: 32 });
    const runner = new DurableRunner({ db, grader: pool, workerId: "kill-two", loops: 1, pollMs: 50, retryDelayMs: 100, maxAttempts: 3, log: quiet });
    runner.start();
    // Kill the first grading and the pool's retry of it: two different worker processes.
    const killed: number[] = [];
    for (let k = 0; k < 2; k++) {
      const victim = await waitFor(() => pool.busyWorkerPids().find((p) => !killed.includes(p)), 30_000, "a busy worker");
      process.kill(victim, "SIGKILL");
      killed.push(victim);
    }
    await waitFor(async () => ((await getSubmission(db, id)).status === "done" ? true : undefined), 180_000, "the submission to finish");
    await runner.stop();
    const history = await gradingsOf(db, id);
    expect(history.map((g) => [g.verdict, g.countsAsAttempt])).toEqual([
      ["internal_error", false],
      ["passed", true],
    ]);
    expect(await getSubmission(db, id)).toMatchObject({ status: "done", verdict: "passed", countsAsAttempt: true });
    expect(await attemptsOf(db, user)).toBe(1);
  }, LONG);

  it("killed every time: the submission ends internal_error, counts as no attempt, and still takes its rate-limit place", async () => {
    const user = (await createUser(db, { email: `c-${provider}@example.org`, displayName: "C" })).id;
    const { id } = await submit(db, { userId: user, exerciseId: EX, source: SLOW, seed: 33 });
    const runner = new DurableRunner({ db, grader: pool, workerId: "kill-all", loops: 1, pollMs: 50, retryDelayMs: 50, maxAttempts: 2, log: quiet });
    runner.start();
    const killed = new Set<number>();
    let stop = false;
    const killer = (async () => {
      while (!stop) {
        for (const p of pool.busyWorkerPids()) {
          if (!killed.has(p)) {
            killed.add(p);
            process.kill(p, "SIGKILL");
          }
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    await waitFor(async () => ((await getSubmission(db, id)).status === "failed" ? true : undefined), 240_000, "the submission to be given up");
    stop = true;
    await killer;
    await runner.stop();
    expect(await getSubmission(db, id)).toMatchObject({ status: "failed", verdict: "internal_error", countsAsAttempt: false });
    const history = await gradingsOf(db, id);
    expect(history.length).toBe(2);
    expect(history.every((g) => g.verdict === "internal_error" && !g.countsAsAttempt)).toBe(true);
    expect(await attemptsOf(db, user)).toBe(0);
    // internal_error is no attempt, but it is rate-limited like any submission (issue 13: no free re-runs).
    await expect(assertSubmissionAllowed(db, user, new Date(), { perMinute: 1, perDay: 1 })).rejects.toThrow(/too many submissions/);
  }, LONG);

  // Several grading processes share a queue on PostgreSQL (test/db-durable.test.ts kills one on both databases).
  if (provider === "postgresql") it("a whole durable grader killed with jobs in flight: another process grades every job exactly once", async () => {
    const user = (await createUser(db, { email: `d-${provider}@example.org`, displayName: "D" })).id;
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) ids.push((await submit(db, { userId: user, exerciseId: EX, source: i % 2 === 0 ? SLOW : SOLUTION, seed: 40 + i })).id);
    const env = { ...process.env, TFM_DATABASE_URL: url, TFM_GRADER_WORKERS: "2", TFM_LEASE_MS: "2000", TFM_POLL_MS: "100" };
    const start = (workerId: string, drain: boolean): ChildProcess =>
      spawn(process.execPath, ["--no-node-snapshot", "--import", "tsx", "apps/grader/src/durable/main.ts", ...(drain ? ["--drain"] : [])], {
        cwd: ROOT,
        detached: true,
        stdio: "ignore",
        env: { ...env, TFM_WORKER_ID: workerId },
      });
    const doomed = start("doomed", false);
    try {
      await waitFor(async () => {
        const n = await db.run("t", (p) => p.submission.count({ where: { id: { in: ids }, status: "grading", leaseOwner: { startsWith: "doomed" } } }));
        return n >= 1 ? n : undefined;
      }, 60_000, "the doomed grader to claim jobs");
      process.kill(-(doomed.pid ?? 0), "SIGKILL");
    } finally {
      try {
        process.kill(-(doomed.pid ?? 0), "SIGKILL");
      } catch {
        // already gone
      }
    }
    const survivor = start("survivor", true);
    const code = await new Promise<number | null>((resolve) => survivor.once("exit", (c) => resolve(c)));
    expect(code).toBe(0);
    let takenOver = 0;
    for (const id of ids) {
      const s = await getSubmission(db, id);
      expect(s).toMatchObject({ status: "done", verdict: "passed", countsAsAttempt: true });
      // Exactly one grading per submission: whatever the doomed process finished before it died is
      // kept, what it held when it died was graded again by the survivor (its second claim).
      const history = await gradingsOf(db, id);
      expect(history.map((g) => g.verdict)).toEqual(["passed"]);
      if (history[0]?.workerId.startsWith("survivor") && (history[0]?.attempt ?? 0) >= 2) takenOver++;
    }
    expect(takenOver).toBeGreaterThanOrEqual(1);
    expect(await db.run("t", (p) => p.gradingTest.count({ where: { grading: { submissionId: { in: ids } } } }))).toBeGreaterThan(0);
  }, LONG);

  it("a pool exhausted by slow submissions: the queue drains, the later submissions are graded, and no wait is unbounded", async () => {
    const user = (await createUser(db, { email: `e-${provider}@example.org`, displayName: "E" })).id;
    // Endless loops: each costs its whole time limit (2 s per call) before the next job gets the worker.
    const slow = `import { type Tensor } from "@tfm/kit";\nexport function scaledDotProductAttention(Q: Tensor, K: Tensor): [Tensor, Tensor] { for (;;) {} }`;
    const slowIds: string[] = [];
    for (let i = 0; i < 4; i++) slowIds.push((await submit(db, { userId: user, exerciseId: EX, source: `${slow}\n// ${i}`, seed: 50 + i })).id);
    const lateIds: string[] = [];
    for (let i = 0; i < 3; i++) lateIds.push((await submit(db, { userId: user, exerciseId: EX, source: SOLUTION, seed: 60 + i })).id);
    const started = Date.now();
    const runner = new DurableRunner({ db, grader: pool, workerId: "busy", loops: 1, pollMs: 50, log: quiet });
    runner.start();
    await runner.drain({ timeoutMs: 240_000 });
    await runner.stop();
    const drainedMs = Date.now() - started;
    for (const id of slowIds) expect(await getSubmission(db, id)).toMatchObject({ status: "done", verdict: "time_limit", countsAsAttempt: true, gradings: 1 });
    const waits: number[] = [];
    for (const id of lateIds) {
      const s = await getSubmission(db, id);
      expect(s).toMatchObject({ status: "done", verdict: "passed", gradings: 1 });
      waits.push((s.finishedAt?.getTime() ?? Number.POSITIVE_INFINITY) - s.queuedAt.getTime());
    }
    // Bounded: a slow submission holds a worker for at most its wall-clock limit plus the watchdog's
    // grace, so the last one waits at most for everything queued before it.
    const wall = catalog.exercises.get(EX)?.meta.limits.wallTimeoutMs ?? 20_000;
    const bound = (slowIds.length + lateIds.length) * (wall + 5_000);
    expect(Math.max(...waits)).toBeLessThan(bound);
    console.log(`pool exhaustion (${provider}): ${slowIds.length} endless loops + ${lateIds.length} solutions on 1 worker drained in ${drainedMs} ms; longest wait ${Math.max(...waits)} ms (bound ${bound} ms)`);
  }, LONG);
});

// ---------------------------------------------------------------- database restart

/** The server binaries of the installed PostgreSQL (Debian: /usr/lib/postgresql/<major>/bin). */
const PG_BIN = (() => {
  try {
    const majors = readdirSync("/usr/lib/postgresql").filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a));
    return `/usr/lib/postgresql/${majors[0] ?? "15"}/bin`;
  } catch {
    return "/usr/lib/postgresql/15/bin";
  }
})();

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const address = s.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** A private PostgreSQL cluster (initdb as the postgres user) that this test may stop and start at will. */
class PrivateCluster {
  readonly dir = mkdtempSync(path.join(os.tmpdir(), "tfm-pg-"));
  constructor(readonly port: number) {}

  private pgCtl(args: string[]): void {
    execFileSync("runuser", ["-u", "postgres", "--", `${PG_BIN}/pg_ctl`, "-D", path.join(this.dir, "data"), ...args], { stdio: "pipe", timeout: 60_000 });
  }

  init(): void {
    const postgres = Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }).trim());
    const group = Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }).trim());
    chownSync(this.dir, postgres, group);
    execFileSync("runuser", ["-u", "postgres", "--", `${PG_BIN}/initdb`, "-D", path.join(this.dir, "data"), "-A", "trust", "-U", "postgres", "--no-sync"], { stdio: "pipe", timeout: 120_000 });
  }

  start(): void {
    this.pgCtl(["-o", `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c fsync=off`, "-l", path.join(this.dir, "log"), "-w", "start"]);
  }

  /** Immediate shutdown: like a crash, every connection is cut without a goodbye. */
  crash(): void {
    this.pgCtl(["-m", "immediate", "-w", "stop"]);
  }

  destroy(): void {
    try {
      this.crash();
    } catch {
      // not running
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

// Runs wherever the PostgreSQL half of the suites runs (CI included): a missing initdb is a failure, not a skip.
describe.runIf(testProviders().includes("postgresql"))("the database restarted mid-run (private PostgreSQL cluster)", () => {
  let cluster: PrivateCluster;
  let db: Database;
  let pool: GraderPool;

  beforeAll(async () => {
    cluster = new PrivateCluster(await freePort());
    cluster.init();
    cluster.start();
    const config = parseDatabaseUrl(`postgresql://postgres@127.0.0.1:${cluster.port}/tfm_restart`);
    await migrate(config, { createDatabase: true });
    const { Database: Db } = await import("../../packages/db/src/index.ts");
    db = await Db.connect(config);
    await syncExercises(db, catalogVersions(catalog));
    pool = new GraderPool({ size: 1, catalog });
    await pool.start();
  });
  afterAll(async () => {
    await pool?.close();
    await db?.close().catch(() => {});
    cluster?.destroy();
  });

  it("loses nothing accepted, grades nothing twice, and the runner recovers by itself", async () => {
    const user = (await createUser(db, { email: "restart@example.org", displayName: "Restart" })).id;
    const accepted: string[] = [];
    for (let i = 0; i < 4; i++) accepted.push((await submit(db, { userId: user, exerciseId: EX, source: i === 0 ? SLOW : SOLUTION, seed: 70 + i })).id);
    const lines: string[] = [];
    const runner = new DurableRunner({ db, grader: pool, workerId: "restart", loops: 1, pollMs: 50, leaseMs: 3_000, log: (l) => lines.push(l) });
    runner.start();
    // Crash the database while the first (slow) job is being graded.
    await waitFor(() => pool.busyWorkerPids()[0], 30_000, "grading to start");
    cluster.crash();
    // While it is down, a submission is refused with a clear, retryable error, and not stored.
    const refused = await submit(db, { userId: user, exerciseId: EX, source: SOLUTION, seed: 79 }).then(
      () => null,
      (e: unknown) => e as { code?: string; retryable?: boolean; message?: string },
    );
    expect(refused).toMatchObject({ code: "unavailable", retryable: true });
    expect(refused?.message).toMatch(/nothing of this operation was written/);
    await new Promise((r) => setTimeout(r, 2_000));
    cluster.start();
    // More work accepted after the restart.
    for (let i = 0; i < 2; i++) accepted.push((await waitFor(() => submit(db, { userId: user, exerciseId: EX, source: SOLUTION, seed: 80 + i }).catch(() => undefined), 30_000, "a submission after the restart")).id);
    await runner.drain({ timeoutMs: 120_000 });
    await runner.stop();
    expect(runner.stats().dbErrors).toBeGreaterThan(0);
    for (const id of accepted) {
      expect(await getSubmission(db, id)).toMatchObject({ status: "done", verdict: "passed", countsAsAttempt: true });
      expect((await gradingsOf(db, id)).map((g) => g.verdict)).toEqual(["passed"]);
    }
    expect(await db.run("t", (p) => p.submission.count({ where: { userId: user } }))).toBe(accepted.length);
  }, LONG);
});
