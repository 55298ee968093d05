/**
 * The audit trail (issue 13): the service writes one JSON line (pino) per grading verdict, per limit hit
 * and per internal_error, with the request id and, where known, the user and the submission, so an
 * operator can see who is attacking the service.
 */
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pino } from "pino";
import { z } from "zod";
import { logGrading } from "../apps/grader/src/log.ts";
import { type GraderProcess, startGraderProcess } from "../apps/grader/src/service-process.ts";
import { type ScratchDatabase, createScratchDatabase } from "../packages/db/src/testing.ts";
import { Database, createUser, migrate } from "../packages/db/src/index.ts";
import { waitFor } from "./security/grader-process.ts";

const EX = "scaled-dot-product-attention";
const SOLUTION = readFileSync(new URL(`../exercises/${EX}/solution.ts`, import.meta.url), "utf8");
const Line = z.looseObject({ level: z.string(), event: z.string().optional(), msg: z.string(), time: z.string() });
type Line = z.infer<typeof Line>;

describe("audit log", () => {
  let scratch: ScratchDatabase;
  let grader: GraderProcess;
  let userId: string;
  beforeAll(async () => {
    scratch = await createScratchDatabase("sqlite", "audit");
    await migrate(scratch.config);
    const db = await Database.connect(scratch.config);
    userId = (await createUser(db, { email: "audit@example.org", displayName: "Audit" })).id;
    await db.close();
    grader = await startGraderProcess({ TFM_DATABASE_URL: scratch.url, TFM_GRADER_WORKERS: "1", TFM_LOG_LEVEL: "info", TFM_SUBMIT_PER_MINUTE: "1", TFM_POLL_MS: "100" });
  }, 180_000);
  afterAll(async () => {
    await grader?.close();
    await scratch?.drop();
  });

  const lines = (): Line[] =>
    grader
      .output()
      .split("\n")
      .flatMap((l) => {
        try {
          const parsed = Line.safeParse(JSON.parse(l));
          return parsed.success ? [parsed.data] : [];
        } catch {
          return [];
        }
      });
  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${grader.url}${path}`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });

  it("a public run's verdict: event grading with the request id (echoed in X-Request-Id) and the user", async () => {
    const res = await post("/v1/grade", { exerciseId: EX, source: SOLUTION, scope: "public" }, { "x-tfm-user": userId, "x-request-id": "req-audit-1" });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-request-id")).toBe("req-audit-1");
    const line = await waitFor(() => lines().find((l) => l.requestId === "req-audit-1"), 10_000, "the log line");
    expect(line).toMatchObject({ level: "info", event: "grading", userId, exerciseId: EX, verdict: "passed", scope: "public" });
  });

  it("a durable submission's verdict names the submission and the user; a rate-limit hit is a limit line", async () => {
    const first = await post("/v1/submissions", { userId, exerciseId: EX, source: SOLUTION });
    expect(first.status).toBe(202);
    const { id } = (await first.json()) as { id: string };
    const graded = await waitFor(() => lines().find((l) => l.event === "grading" && l.submissionId === id), 60_000, "the verdict line");
    expect(graded).toMatchObject({ userId, verdict: "passed", scope: "all" });
    expect(String(graded.requestId)).toMatch(/^job:/);
    const second = await post("/v1/submissions", { userId, exerciseId: EX, source: `${SOLUTION}\n// again` });
    expect(second.status).toBe(429);
    const requestId = second.headers.get("x-request-id");
    expect(await waitFor(() => lines().find((l) => l.requestId === requestId), 10_000, "the limit line")).toMatchObject({
      level: "warn",
      event: "limit",
      limit: "submit_per_minute",
      userId,
    });
  }, 120_000);

  it("internal_error and limit verdicts are error and warn lines with their event", () => {
    const out: Line[] = [];
    const log = pino({ level: "info", formatters: { level: (label) => ({ level: label }) }, timestamp: pino.stdTimeFunctions.isoTime }, {
      write: (chunk: string) => {
        out.push(Line.parse(JSON.parse(chunk)));
      },
    });
    const base = { requestId: "r1", userId: "u1", submissionId: "s1", exerciseId: EX, score: 0, seed: 1, scope: "all" as const, ms: 12.4 };
    logGrading(log, { ...base, verdict: "internal_error", reason: "the grading process died" });
    logGrading(log, { ...base, verdict: "time_limit" });
    logGrading(log, { ...base, verdict: "failed" });
    expect(out.map((l) => [l.level, l.event, l.verdict])).toEqual([
      ["error", "internal_error", "internal_error"],
      ["warn", "limit", "time_limit"],
      ["info", "grading", "failed"],
    ]);
    expect(out[0]).toMatchObject({ requestId: "r1", userId: "u1", submissionId: "s1", reason: "the grading process died", ms: 12 });
  });
});
