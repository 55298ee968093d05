import { type ChildProcess, execFile, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadCatalog } from "../apps/grader/src/catalog.ts";
import { mutantSourceIn } from "../apps/grader/src/mutants.ts";
import { DurableRunner, catalogVersions } from "../apps/grader/src/durable/runner.ts";
import { GraderPool } from "../apps/grader/src/pool.ts";
import { type Database, createUser, getSubmission, submit, syncExercises } from "../packages/db/src/index.ts";
import { openScratchDatabase, testProviders } from "../packages/db/src/testing.ts";
import { slowSolution } from "./slow-solution.ts";

/**
 * Durable grading end to end, on each database: real sources graded by the real pool, a grading
 * process SIGKILLed mid-job, and several processes sharing one queue.
 */

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const EX = "scaled-dot-product-attention";
const read = (file: string) => readFileSync(new URL(`../exercises/${EX}/${file}`, import.meta.url), "utf8");
const SOLUTION = read("solution.ts");
/** A correct solution that first spins for 1.5 s at the top level (under the 2 s CPU limit): time to kill the process grading it. */
const SLOW = slowSolution(EX, 1500, SOLUTION);
const catalog = loadCatalog();

async function waitFor<T>(read: () => Promise<T | undefined>, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await read();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 100));
  }
}

function runClaimer(url: string, workerId: string): Promise<{ workerId: string; graded: string[]; lost: string[] }> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ["--import", "tsx", "packages/db/src/testing-claimer.ts", url, workerId, "2"], { cwd: ROOT, timeout: 120_000 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`${workerId} failed: ${stderr}`));
      const line = stdout.trim().split("\n").pop() ?? "";
      resolve(JSON.parse(line));
    });
  });
}

describe.each(testProviders())("durable grading on %s", (provider) => {
  let db: Database;
  let close: () => Promise<void>;
  let url: string;
  let userId: string;
  let pool: GraderPool;

  beforeAll(async () => {
    const opened = await openScratchDatabase(provider, "durable");
    ({ db, close } = opened);
    url = opened.scratch.url;
    await syncExercises(db, catalogVersions(catalog));
    userId = (await createUser(db, { email: "durable@example.org", displayName: "Durable" })).id;
    pool = new GraderPool({ size: 1, catalog });
    await pool.start();
  });
  afterAll(async () => {
    await pool.close();
    await close();
  });

  it("stores submissions before grading, then grades real sources and keeps every result", async () => {
    const ids = {
      solution: (await submit(db, { userId, exerciseId: EX, source: SOLUTION, seed: 11 })).id,
      starter: (await submit(db, { userId, exerciseId: EX, source: read("starter.ts"), seed: 12 })).id,
      mutant: (await submit(db, { userId, exerciseId: EX, source: mutantSourceIn(fileURLToPath(new URL(`../exercises/${EX}`, import.meta.url)), "mask-inverted"), seed: 13 })).id,
      broken: (await submit(db, { userId, exerciseId: EX, source: "export function scaledDotProductAttention( {", seed: 14 })).id,
    };
    for (const id of Object.values(ids)) expect((await getSubmission(db, id)).status).toBe("queued");
    const runner = new DurableRunner({ db, grader: pool, workerId: "test", loops: 1, pollMs: 50, log: () => {} });
    runner.start();
    await runner.drain();
    await runner.stop();
    const solution = await getSubmission(db, ids.solution);
    expect(solution).toMatchObject({ status: "done", verdict: "passed", score: 1, countsAsAttempt: true });
    expect(solution.history[0]?.result).toMatchObject({ seed: 11, exerciseVersion: catalog.exercises.get(EX)?.version });
    expect((await getSubmission(db, ids.starter)).verdict).toBe("failed");
    const mutant = await getSubmission(db, ids.mutant);
    expect(mutant.verdict).toBe("failed");
    expect(mutant.history[0]?.result.tests.some((t) => t.status === "failed" && t.pitfall?.id === "mask-inverted")).toBe(true);
    expect(await getSubmission(db, ids.broken)).toMatchObject({ verdict: "compile_error", countsAsAttempt: false });
    expect(runner.stats()).toMatchObject({ completed: 4, leaseLost: 0 });
  });

  it("grades the job of a SIGKILLed grading process exactly once, after its lease expires", async () => {
    const { id } = await submit(db, { userId, exerciseId: EX, source: SLOW, seed: 21 });
    let child: ChildProcess | undefined;
    try {
      child = spawn(process.execPath, ["--no-node-snapshot", "--import", "tsx", "apps/grader/src/durable/main.ts"], {
        cwd: ROOT,
        detached: true,
        stdio: "ignore",
        env: { ...process.env, TFM_DATABASE_URL: url, TFM_GRADER_WORKERS: "1", TFM_LEASE_MS: "3000", TFM_POLL_MS: "100", TFM_WORKER_ID: "doomed" },
      });
      const claimed = await waitFor(async () => {
        const row = await db.run("t", (p) => p.submission.findUniqueOrThrow({ where: { id }, select: { status: true, leaseOwner: true } }));
        return row.status === "grading" && row.leaseOwner?.startsWith("doomed") ? row : undefined;
      });
      expect(claimed.leaseOwner).toBe("doomed#0");
      // The whole process group: the runner and its sandbox worker, mid-grading.
      process.kill(-(child.pid ?? 0), "SIGKILL");
    } finally {
      if (child?.pid !== undefined) {
        try {
          process.kill(-child.pid, "SIGKILL");
        } catch {
          // already gone
        }
      }
    }
    const runner = new DurableRunner({ db, grader: pool, workerId: "survivor", loops: 1, leaseMs: 3_000, pollMs: 100, log: () => {} });
    runner.start();
    await waitFor(async () => ((await getSubmission(db, id)).status === "done" ? true : undefined));
    await runner.stop();
    const detail = await getSubmission(db, id);
    expect(detail).toMatchObject({ status: "done", verdict: "passed", gradings: 1 });
    expect(detail.history.map((g) => [g.workerId, g.attempt])).toEqual([["survivor#0", 2]]);
    expect(await db.run("t", (p) => p.grading.count({ where: { submissionId: id } }))).toBe(1);
  });

  it("lets several processes share one queue without grading anything twice", async () => {
    const jobs = 120;
    const ids = new Set<string>();
    for (let i = 0; i < jobs; i++) ids.add((await submit(db, { userId, exerciseId: EX, source: `// ${i}` })).id);
    const results = await Promise.all(["p1", "p2", "p3"].map((w) => runClaimer(url, w)));
    const graded = results.flatMap((r) => r.graded);
    expect(results.flatMap((r) => r.lost)).toEqual([]);
    expect(graded).toHaveLength(jobs);
    expect(new Set(graded)).toEqual(ids);
    // Every process got a share (SKIP LOCKED / compare-and-set, not one process doing all the work).
    expect(results.filter((r) => r.graded.length > 0).length).toBeGreaterThanOrEqual(2);
    const perSubmission = await db.run("t", (p) => p.grading.groupBy({ by: ["submissionId"], where: { submissionId: { in: [...ids] } }, _count: { _all: true } }));
    expect(perSubmission).toHaveLength(jobs);
    expect(perSubmission.every((g) => g._count._all === 1)).toBe(true);
  });
});
