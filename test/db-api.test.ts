/**
 * Durable submissions through the grader's HTTP API, on SQLite and on PostgreSQL: a submission is
 * stored (202, queued) before grading, then graded once and kept with its result.
 */
import { readFileSync } from "node:fs";
import { createUser } from "@tfm/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mutantSourceIn } from "../apps/grader/src/mutants.ts";
import { startGrader } from "../apps/grader/src/server.ts";
import { openScratchDatabase, testProviders } from "../packages/db/src/testing.ts";

const EX = "scaled-dot-product-attention";
const read = (file: string) => readFileSync(new URL(`../exercises/${EX}/${file}`, import.meta.url), "utf8");
const TOKEN = "test-token-0123456789abcdef";

interface Detail {
  id: string;
  status: string;
  verdict: string | null;
  seed: number;
  history: { current: boolean; result: { verdict: string; tests: { pitfall: { id: string } | null }[] } }[];
}

describe.each(testProviders())("durable submissions API on %s", (provider) => {
  let grader: Awaited<ReturnType<typeof startGrader>>;
  let close: () => Promise<void>;
  let userId: string;
  const call = (path: string, init: RequestInit = {}, token: string | null = TOKEN) =>
    fetch(`${grader.url}${path}`, {
      ...init,
      headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    });

  beforeAll(async () => {
    const opened = await openScratchDatabase(provider, "api");
    close = opened.close;
    userId = (await createUser(opened.db, { email: `learner-${provider}@example.org`, displayName: "Learner", role: "student" })).id;
    grader = await startGrader({
      ...process.env,
      TFM_GRADER_PORT: "0",
      TFM_GRADER_WORKERS: "1",
      TFM_DATABASE_URL: opened.scratch.url,
      TFM_GRADER_TOKEN: TOKEN,
    });
  });
  afterAll(async () => {
    await grader?.close();
    await close?.();
  });

  async function waitGraded(id: string): Promise<Detail> {
    const end = Date.now() + 60_000;
    for (;;) {
      const res = await call(`/v1/submissions/${id}`);
      const body = (await res.json()) as Detail;
      if (body.status === "done") return body;
      if (Date.now() > end) throw new Error(`submission ${id} not graded: ${JSON.stringify(body).slice(0, 300)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  it("stores, grades once and keeps a right and a wrong submission", async () => {
    const posts = await Promise.all(
      [read("solution.ts"), mutantSourceIn(new URL(`../exercises/${EX}`, import.meta.url).pathname, "mask-inverted")].map((source) =>
        call("/v1/submissions", { method: "POST", body: JSON.stringify({ userId, exerciseId: EX, source }) }),
      ),
    );
    const ids: string[] = [];
    for (const res of posts) {
      expect(res.status).toBe(202);
      const body = (await res.json()) as { id: string; status: string; seed: number };
      expect(body.status).toBe("queued");
      // Drawn by the grader, and not shown before grading.
      expect(body).not.toHaveProperty("seed");
      ids.push(body.id);
    }
    const [right, wrong] = await Promise.all(ids.map(waitGraded));
    expect(right?.verdict).toBe("passed");
    expect(wrong?.verdict).toBe("failed");
    expect(wrong?.history.filter((h) => h.current)).toHaveLength(1);
    expect(wrong?.history[0]?.result.tests.some((t) => t.pitfall?.id === "mask-inverted")).toBe(true);
    expect(right?.history).toHaveLength(1);
  });

  it("rejects calls without the token, bad bodies and unknown ids with clear errors", async () => {
    const anonymous = await call("/v1/submissions", { method: "POST", body: "{}" }, null);
    expect(anonymous.status).toBe(401);
    const bad = await call("/v1/submissions", { method: "POST", body: JSON.stringify({ userId, exerciseId: EX }) });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { message: string }).message).toMatch(/source/);
    const chosenSeed = await call("/v1/submissions", { method: "POST", body: JSON.stringify({ userId, exerciseId: EX, source: "x", seed: 11 }) });
    expect(chosenSeed.status).toBe(400);
    expect(((await chosenSeed.json()) as { message: string }).message).toMatch(/seed.*drawn by the grader/);
    const unknownUser = await call("/v1/submissions", { method: "POST", body: JSON.stringify({ userId: "nobody", exerciseId: EX, source: "x" }) });
    expect(unknownUser.status).toBe(404);
    const missing = await call("/v1/submissions/does-not-exist");
    expect(missing.status).toBe(404);
  });
});
