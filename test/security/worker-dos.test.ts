/**
 * One submission cannot disable a worker for anyone else, and a stalled host is never the student's
 * time. A real grader process with ONE worker: after each pathological source (each a bounded
 * compile_error), another user's correct submission passes on the same worker in normal time, and
 * /health says the transpiler works. A worker frozen mid-grading (SIGSTOP) gives a retryable
 * "grader stalled" answer or the right verdict, never time_limit.
 */
import { readFileSync } from "node:fs";
import { GradeResult } from "@tfm/contract";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type GraderProcess, childPids, startGraderProcess } from "./grader-process.ts";
import { slowSolution } from "../slow-solution.ts";

const SDPA = "scaled-dot-product-attention";
const SOLUTION = readFileSync(new URL(`../../exercises/${SDPA}/solution.ts`, import.meta.url), "utf8");

const ATTACKS: [string, string][] = [
  ["a 190,000-long unary chain", `export const x = ${"!".repeat(190_000)}1;`],
  ["20,000 nested blocks", `export function f() {${"{".repeat(20_000)}${"}".repeat(20_000)}}`],
  ["20,000 nested arrows", `export const f = ${"() => ".repeat(20_000)}1;`],
  ["3,000 unknown imports", Array.from({ length: 3_000 }, (_, i) => `import "m${i}";`).join(" ")],
  ["90 unknown imports on one 190,000-character line", `${Array.from({ length: 90 }, (_, i) => `import "m${i}";`).join(" ")}${" ".repeat(185_000)}x;`],
  ["5,000 nested template literals", `export const x = ${"`${".repeat(5_000)}1${"}`".repeat(5_000)};`],
  ["a 30,000-long ternary chain", `export const f = (a: boolean) => ${"a ? 1 : ".repeat(20_000)}0;`],
  ["many syntax errors", Array.from({ length: 20_000 }, () => "let = ;").join("\n")],
];

let grader: GraderProcess;

async function post(source: string, seed = 1): Promise<{ status: number; body: unknown; ms: number }> {
  const t = performance.now();
  const res = await fetch(`${grader.url}/v1/grade`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ exerciseId: SDPA, source, seed }) });
  const body: unknown = await res.json();
  return { status: res.status, body, ms: performance.now() - t };
}

function workerPid(): number {
  const pids = childPids(grader.pid).filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("worker/main.ts");
    } catch {
      return false;
    }
  });
  if (pids.length !== 1) throw new Error(`expected one worker, found ${pids.length}`);
  return pids[0] as number;
}

describe("one worker, pathological sources, then someone else's correct submission", () => {
  let normalMs = 0;
  beforeAll(async () => {
    grader = await startGraderProcess({ TFM_GRADER_WORKERS: "1", TFM_RUN_PER_MINUTE: "0" });
    for (let i = 0; i < 3; i++) {
      const r = await post(SOLUTION, 100 + i);
      expect(GradeResult.parse(r.body).verdict).toBe("passed");
      normalMs = Math.max(normalMs, r.ms);
    }
  });
  afterAll(async () => grader?.close());

  it.each(ATTACKS)("%s: a bounded compile_error, and the worker serves the next user normally", async (_name, source) => {
    const pid = workerPid();
    const attack = await post(source);
    expect(attack.status).toBe(200);
    const r = GradeResult.parse(attack.body);
    expect(r.verdict).toBe("compile_error");
    expect(JSON.stringify(r).length).toBeLessThan(100_000);
    expect(r.compileErrors.length).toBeLessThanOrEqual(20);
    const next = await post(SOLUTION, 7);
    expect(GradeResult.parse(next.body).verdict).toBe("passed");
    // Normal time: the same order as before the attack (generous for a busy CI machine).
    expect(next.ms).toBeLessThan(Math.max(5_000, 10 * normalMs));
    expect(workerPid()).toBe(pid);
    const health = (await (await fetch(`${grader.url}/health`)).json()) as { status: string; workers: { list: { transpiler: { status: string } | null }[] } };
    expect(health.status).toBe("ok");
    expect(health.workers.list.map((w) => w.transpiler?.status)).toEqual(["ok"]);
  });

  it("a worker frozen mid-grading (SIGSTOP 14 s) is never the student's time_limit", async () => {
    const slow = slowSolution(SDPA, 1500, SOLUTION);
    const pending = post(slow, 9);
    await new Promise((r) => setTimeout(r, 700));
    const pid = workerPid();
    process.kill(pid, "SIGSTOP");
    await new Promise((r) => setTimeout(r, 14_000));
    process.kill(pid, "SIGCONT");
    const r = await pending;
    if (r.status === 200) expect(GradeResult.parse(r.body).verdict, JSON.stringify(GradeResult.parse(r.body).tests.filter((t) => t.status !== "passed").map((t) => [t.id, t.status, t.message.en]))).toBe("passed");
    else {
      expect(r.status).toBe(503);
      expect((r.body as { error: string }).error).toBe("grader_stalled");
    }
    const after = await post(SOLUTION, 10);
    expect(GradeResult.parse(after.body).verdict).toBe("passed");
  }, 60_000);
});
