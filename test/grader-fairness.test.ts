/**
 * Fair scheduling and per-user limits on public runs (issue 17 #2): one user's queue of endless loops
 * cannot starve another user's run, and a user's public runs are capped in concurrency and rate.
 * Ordering and queue positions are asserted, not wall-clock times.
 */
import { readFileSync } from "node:fs";
import { GradeResult } from "@tfm/contract";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadCatalog } from "../apps/grader/src/catalog.ts";
import { FairQueue } from "../apps/grader/src/fair-queue.ts";
import { GraderPool } from "../apps/grader/src/pool.ts";
import { startGrader } from "../apps/grader/src/server.ts";
import { slowSolution } from "./slow-solution.ts";

const EX = "scaled-dot-product-attention";
const SOLUTION = readFileSync(new URL(`../exercises/${EX}/solution.ts`, import.meta.url), "utf8");
/** Spins at the top level until the time limit stops it: holds a worker for the whole limit. */
const ENDLESS = `while (true) {}\n${SOLUTION}`;
/** A correct run that holds its worker ~1.5 s (its visible half of 3 s): public runs in flight long enough to count. */
const HOLDING = slowSolution(EX, 3_000, SOLUTION);

describe("FairQueue", () => {
  it("serves keys in turns, each key in its own order", () => {
    const q = new FairQueue<string>();
    for (let i = 0; i < 6; i++) q.push("a", `a${i}`);
    q.push("b", "b0");
    q.push("c", "c0");
    q.push("b", "b1");
    const order: string[] = [];
    for (let x = q.shift(); x !== undefined; x = q.shift()) order.push(x);
    expect(order).toEqual(["a0", "b0", "c0", "a1", "b1", "a2", "a3", "a4", "a5"]);
    // A key served last waits behind one that pushes afterwards.
    q.push("a", "a6");
    q.push("z", "z0");
    expect([q.shift(), q.shift()]).toEqual(["z0", "a6"]);
    expect(q.length).toBe(0);
  });

  it("a newcomer waits at most one turn per other user, however long their lines", () => {
    const q = new FairQueue<string>();
    for (let i = 0; i < 1_000; i++) q.push("flood", `f${i}`);
    expect(q.shift()).toBe("f0");
    q.push("late", "l0");
    // "flood" was just served: the newcomer goes next.
    expect([q.shift(), q.shift()]).toEqual(["l0", "f1"]);
    q.unshift("late", "retry");
    expect(q.shift()).toBe("retry");
    expect(q.drain()).toHaveLength(998);
  });
});

describe("the pool takes turns between users", () => {
  const catalog = loadCatalog();
  let pool: GraderPool;
  beforeAll(async () => {
    pool = new GraderPool({ size: 1, catalog });
    await pool.start();
  });
  afterAll(async () => pool.close());

  it("six endless loops from one user: another user's run is the second to start, and passes", async () => {
    const started: string[] = [];
    const loops = Array.from({ length: 6 }, (_, i) =>
      pool.grade({ exerciseId: EX, source: `${ENDLESS}\n// ${i}`, scope: "public" }, { userId: "flooder", onStart: () => started.push(`loop${i}`) }).catch((e: Error) => e),
    );
    const other = pool.grade({ exerciseId: EX, source: SOLUTION, scope: "public" }, { userId: "newcomer", onStart: () => started.push("newcomer") });
    expect(pool.stats().queued).toBe(6);
    const result = await other;
    expect(result.verdict).toBe("passed");
    // Only the loop that already had the worker went before it; the other five waited behind it.
    expect(started.slice(0, 2)).toEqual(["loop0", "newcomer"]);
    expect(started.length + pool.stats().queued).toBe(7);
    // The loops are not awaited: closing the pool ends them (queued ones are refused).
    void loops;
    await pool.close();
  }, 120_000);
});

describe("POST /v1/grade per-user limits", () => {
  let grader: Awaited<ReturnType<typeof startGrader>>;
  beforeAll(async () => {
    grader = await startGrader({ ...process.env, TFM_GRADER_PORT: "0", TFM_GRADER_WORKERS: "1", TFM_RUN_CONCURRENCY: "2", TFM_RUN_PER_MINUTE: "4" });
  });
  afterAll(async () => grader?.close());

  const run = (user: string | undefined, source: string) =>
    fetch(`${grader.url}/v1/grade`, {
      method: "POST",
      headers: { "content-type": "application/json", ...(user === undefined ? {} : { "x-tfm-user": user }) },
      body: JSON.stringify({ exerciseId: EX, source, scope: "public" }),
    });

  it("caps one user's runs in flight, not another user's, and labels the result as practice", async () => {
    const a1 = run("user-a", `${HOLDING}\n// 1`);
    const a2 = run("user-a", `${HOLDING}\n// 2`);
    // Let both reach the grader before the third.
    await new Promise((r) => setTimeout(r, 300));
    const a3 = await run("user-a", `${HOLDING}\n// 3`);
    expect(a3.status).toBe(429);
    const refused = (await a3.json()) as { error: string; message: string; messageJa: string };
    expect(refused).toMatchObject({ error: "too_many_running" });
    expect(refused.message).toMatch(/at most 2/);
    expect(refused.messageJa).toMatch(/2 件まで/);
    const b = await run("user-b", SOLUTION);
    expect(b.status).toBe(200);
    const result = GradeResult.parse(await b.json());
    expect(result.verdict).toBe("passed");
    expect(result.scope).toBe("public");
    expect(result.summary.en).toMatch(/^Practice \(public tests only; not recorded/);
    expect(result.summary.ja).toMatch(/^練習/);
    expect((await a1).status).toBe(200);
    expect((await a2).status).toBe(200);
  }, 120_000);

  it("limits one user's runs per minute with Retry-After, in both languages", async () => {
    // user-a used 2 of 4 above; user-c starts fresh.
    for (let i = 0; i < 4; i++) expect((await run("user-c", `${SOLUTION}\n// ${i}`)).status).toBe(200);
    const refused = await run("user-c", SOLUTION);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    const body = (await refused.json()) as { error: string; message: string; messageJa: string };
    expect(body.error).toBe("rate_limited");
    expect(body.message).toMatch(/at most 4 a minute/);
    expect(body.messageJa).toMatch(/1 分間に 4 回まで/);
    expect((await run("user-d", SOLUTION)).status).toBe(200);
  }, 120_000);

  it("rejects a malformed X-TFM-User with 400", async () => {
    const res = await run("two words", SOLUTION);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { message: string }).message).toMatch(/X-TFM-User/);
  });
});
