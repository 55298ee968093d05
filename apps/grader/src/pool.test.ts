import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadCatalog } from "./catalog.ts";
import type { StageTimes } from "./grade.ts";
import { GraderPool, HostFaultError, WORKER_V8_FLAGS } from "./pool.ts";
import { slowSolution } from "../../../test/slow-solution.ts";

const catalog = loadCatalog();
const SOLUTION = readFileSync(new URL("../../../exercises/scaled-dot-product-attention/solution.ts", import.meta.url), "utf8");
/** A correct solution that first spins for ~1.2 s at the top level: time to kill its worker. */
const SLOW = slowSolution("scaled-dot-product-attention", 1200, SOLUTION);

async function waitFor<T>(read: () => T | undefined, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = read();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("grader pool faults", () => {
  let pool: GraderPool;
  beforeAll(async () => {
    pool = new GraderPool({ size: 1, catalog, retries: 1, watchdogGraceMs: 0 });
    await pool.start();
  });
  afterAll(async () => pool.close());

  it("retries a job whose worker was killed and replaces the worker", async () => {
    const before = pool.stats().restarts;
    const result = pool.grade({ exerciseId: "scaled-dot-product-attention", source: SLOW, seed: 5 });
    const pid = await waitFor(() => pool.busyWorkerPids()[0]);
    process.kill(pid, "SIGKILL");
    const r = await result;
    expect(r.verdict).toBe("passed");
    expect(pool.stats().restarts).toBe(before + 1);
    expect(pool.workerPids()).not.toContain(pid);
  });

  it("gives internal_error (never a hang) when the worker dies on every try", async () => {
    const result = pool.grade({ exerciseId: "scaled-dot-product-attention", source: SLOW, seed: 6 });
    const first = await waitFor(() => pool.busyWorkerPids()[0]);
    process.kill(first, "SIGKILL");
    const second = await waitFor(() => {
      const p = pool.busyWorkerPids()[0];
      return p !== undefined && p !== first ? p : undefined;
    }, 30_000);
    process.kill(second, "SIGKILL");
    const r = await result;
    expect(r.verdict).toBe("internal_error");
    expect(r.summary.en).toMatch(/not counted against you/);
    const after = await pool.grade({ exerciseId: "scaled-dot-product-attention", source: SOLUTION, seed: 1 });
    expect(after.verdict).toBe("passed");
  });
});

describe("grader pool watchdog", () => {
  it("kills a frozen worker and reports a host fault, never the student's time_limit", async () => {
    const pool = new GraderPool({ size: 1, catalog, retries: 0, watchdogMs: 3_000 });
    await pool.start();
    try {
      const started = Date.now();
      const result = pool.grade({ exerciseId: "scaled-dot-product-attention", source: SLOW, seed: 2 });
      const pid = await waitFor(() => pool.busyWorkerPids()[0]);
      process.kill(pid, "SIGSTOP");
      const error = await result.then(() => null, (e: unknown) => e);
      expect(error).toBeInstanceOf(HostFaultError);
      expect((error as HostFaultError).hostFault).toBe(true);
      expect(Date.now() - started).toBeGreaterThanOrEqual(3_000);
      expect(pool.stats().watchdogKills).toBe(1);
      // The replacement worker grades the next one normally.
      const next = await pool.grade({ exerciseId: "scaled-dot-product-attention", source: SOLUTION, seed: 3 });
      expect(next.verdict).toBe("passed");
    } finally {
      await pool.close();
    }
  });
});

describe("grader pool workers' V8 flags", () => {
  it("starts every worker with WORKER_V8_FLAGS, and the scripts that grade as a worker does pass the same", async () => {
    const pool = new GraderPool({ size: 1, catalog });
    await pool.start();
    try {
      const [pid] = pool.workerPids();
      expect(pid).toBeDefined();
      const argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
      for (const flag of WORKER_V8_FLAGS) expect(argv).toContain(flag);
      expect((await pool.grade({ exerciseId: "scaled-dot-product-attention", source: SOLUTION, seed: 7 })).verdict).toBe("passed");
    } finally {
      await pool.close();
    }
    const scripts = (JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as { scripts: Record<string, string> }).scripts;
    for (const name of ["bench:inproc", "verdicts"]) {
      const words = (scripts[name] ?? "").split(/\s+/);
      for (const flag of WORKER_V8_FLAGS) expect(words, name).toContain(flag);
    }
  });
});

describe("grader pool dispatch", () => {
  /** A pool of one worker whose gradings' stage profiles are kept by seed. */
  const onePool = async () => {
    const pool = new GraderPool({ size: 1, catalog });
    await pool.start();
    const stagesBySeed = new Map<number, StageTimes>();
    pool.listen((_r, job, s) => {
      if (s !== null && job.seed !== undefined) stagesBySeed.set(job.seed, s);
    });
    return { pool, stagesBySeed };
  };
  const grade = (pool: GraderPool, seed: number) => pool.grade({ exerciseId: "scaled-dot-product-attention", source: SOLUTION, seed });

  it("tells a worker whose job ended with nothing waiting, and it prepares the next submission's isolates at once", async () => {
    const { pool, stagesBySeed } = await onePool();
    try {
      expect((await grade(pool, 200)).verdict).toBe("passed");
      expect(pool.stats().idleHints).toBe(1);
      // Submitted the moment the first result arrived: its isolate (the visible cases, then the hidden
      // ones in the same context) was prepared after the hint, not booted by the grading itself.
      expect((await grade(pool, 201)).verdict).toBe("passed");
      expect(stagesBySeed.get(201)?.spares).toBe(1);
      expect(stagesBySeed.get(201)?.isolates).toBe(1);
      expect(stagesBySeed.get(201)?.hiddenShared).toBe(1);
    } finally {
      await pool.close();
    }
  });

  it("gives a waiting job to the worker at once, without an idle hint or isolates prepared in between", async () => {
    const { pool, stagesBySeed } = await onePool();
    try {
      // The worker's start-up spares go to the first job; the second waits in the queue meanwhile.
      const both = await Promise.all([grade(pool, 210), grade(pool, 211)]);
      expect(both.map((r) => r.verdict)).toEqual(["passed", "passed"]);
      // Only after the last job: while one waited, nothing was prepared for a submission not yet known.
      expect(pool.stats().idleHints).toBe(1);
      expect(stagesBySeed.get(211)?.spares).toBe(0);
    } finally {
      await pool.close();
    }
  });

  it("gives each job to the worker idle longest, so one after another the workers take turns", async () => {
    const pool = new GraderPool({ size: 2, catalog });
    await pool.start();
    try {
      // start() returns once one worker is ready; the turns are between ready workers.
      await waitFor(() => (pool.stats().ready === 2 ? true : undefined), 60_000);
      const takenBy: number[] = [];
      for (let i = 0; i < 6; i++) {
        const r = await pool.grade(
          { exerciseId: "scaled-dot-product-attention", source: SOLUTION, seed: 100 + i },
          { onStart: () => takenBy.push(pool.busyWorkerPids()[0] ?? -1) },
        );
        expect(r.verdict).toBe("passed");
      }
      const pids = pool.workerPids();
      expect(new Set(takenBy)).toEqual(new Set(pids));
      // Back to back: never the same worker twice in a row (the first in the list would take every job).
      for (let i = 1; i < takenBy.length; i++) expect(takenBy[i]).not.toBe(takenBy[i - 1]);
    } finally {
      await pool.close();
    }
  });
});
