/** The grader's HTTP API: validation, limits, what a student may see, health and metrics. */
import { readFileSync } from "node:fs";
import { GradeResult, PublicExercise } from "@tfm/contract";
import { loadCatalog } from "@tfm/grader/catalog";
import { mutantSourceIn } from "@tfm/grader/mutants";
import { loadRuntime } from "@tfm/grader/runtime";
import { describe, expect, it } from "vitest";
import { gradeViaApi, graderUrl } from "./grader-client.ts";

const post = (path: string, body: string, type = "application/json") =>
  fetch(`${graderUrl()}${path}`, { method: "POST", headers: { "content-type": type }, body });

const SOLUTION = readFileSync(new URL("../exercises/positional-encoding/solution.ts", import.meta.url), "utf8");

describe("POST /v1/grade input validation", () => {
  it.each([
    ["malformed JSON", "{not json", 400, /not valid JSON/],
    ["a missing source", JSON.stringify({ exerciseId: "positional-encoding" }), 400, /source/],
    ["a wrongly typed source", JSON.stringify({ exerciseId: "positional-encoding", source: 42 }), 400, /source/],
    ["a negative seed", JSON.stringify({ exerciseId: "positional-encoding", source: "x", seed: -1 }), 400, /seed must be >= 0/],
    ["a fractional seed", JSON.stringify({ exerciseId: "positional-encoding", source: "x", seed: 1.5 }), 400, /seed must be an integer/],
    ["an unknown language", JSON.stringify({ exerciseId: "positional-encoding", source: "x", lang: "fr" }), 400, /lang/],
    ["an unknown field", JSON.stringify({ exerciseId: "positional-encoding", source: "x", admin: true }), 400, /admin/],
    ["an invalid exercise id", JSON.stringify({ exerciseId: "../../etc/passwd", source: "x" }), 400, /exerciseId/],
    ["an unknown exercise", JSON.stringify({ exerciseId: "no-such-exercise", source: "x" }), 404, /no exercise/],
    ["an array body", JSON.stringify([1, 2]), 400, /body/],
  ])("rejects %s with a message", async (_what, body, status, message) => {
    const res = await post("/v1/grade", body);
    expect(res.status).toBe(status);
    const json = (await res.json()) as { error: string; message: string };
    expect(json.message).toMatch(message);
  });

  it("rejects a body that is not JSON with 415", async () => {
    const res = await post("/v1/grade", "source=x", "application/x-www-form-urlencoded");
    expect(res.status).toBe(415);
  });

  it("rejects an oversized body with 413", async () => {
    const res = await post("/v1/grade", JSON.stringify({ exerciseId: "positional-encoding", source: "x".repeat(600_000) }));
    expect(res.status).toBe(413);
    expect(((await res.json()) as { message: string }).message).toMatch(/larger than the limit/);
  });

  it("accepts non-UTF-8-looking and NUL characters in source as a compile error, not a crash", async () => {
    const r = await gradeViaApi({ exerciseId: "positional-encoding", source: `export const x = "\u0000";\n\uFFFD\uD800 export function` });
    expect(r.verdict).toBe("compile_error");
  });
});

describe("grading results", () => {
  it("returns a valid result with the seed, backend and timings", async () => {
    const r = await gradeViaApi({ exerciseId: "positional-encoding", source: SOLUTION, seed: 77, lang: "en" });
    expect(GradeResult.safeParse(r).success).toBe(true);
    expect(r.verdict).toBe("passed");
    expect(r.seed).toBe(77);
    expect(r.backend).toMatch(/^(wasm|cpu|tensorflow|tensorflow-gpu|webgpu \(.+\))$/);
    expect(r.timings.totalMs).toBeGreaterThan(0);
  });

  it("chooses and returns a seed when none is given", async () => {
    const r = await gradeViaApi({ exerciseId: "positional-encoding", source: SOLUTION });
    expect(Number.isInteger(r.seed)).toBe(true);
    const replay = await gradeViaApi({ exerciseId: "positional-encoding", source: SOLUTION, seed: r.seed });
    expect(replay.tests.map((t) => t.id)).toEqual(r.tests.map((t) => t.id));
  });

  it("reports a runtime error at the student's own line", async () => {
    const source = [
      'import { torch, type Tensor } from "@tfm/kit";',
      "",
      "export function positionalEncoding(x: Tensor): Tensor {",
      "  const pe = torch.zeros(x.size(1), x.size(2) + 1);",
      "  return x.add(pe);",
      "}",
    ].join("\n");
    const r = await gradeViaApi({ exerciseId: "positional-encoding", source, seed: 1 });
    expect(r.verdict).toBe("runtime_error");
    expect(r.runtimeError?.line).toBe(5);
    expect(r.runtimeError?.message.en).toMatch(/\[1, 3, 4\].*\[3, 5\]|\[3, 5\].*\[1, 3, 4\]/);
    const first = r.tests.find((t) => t.status === "error");
    expect(first?.message.en).toMatch(/line 5/);
    expect(first?.message.ja).toMatch(/5 行/);
  });

  it("runs only public and pitfall tests with scope 'public'", async () => {
    const r = await gradeViaApi({ exerciseId: "positional-encoding", source: SOLUTION, scope: "public" });
    expect(r.tests.length).toBeGreaterThan(0);
    expect(r.tests.every((t) => t.kind === "public" || t.kind === "pitfall")).toBe(true);
  });

  it("tells hidden tests only pass/fail and a generic hint", async () => {
    const mutant = mutantSourceIn(new URL("../exercises/positional-encoding", import.meta.url).pathname, "pe-sin-cos-swapped");
    const r = await gradeViaApi({ exerciseId: "positional-encoding", source: mutant, seed: 3 });
    const hidden = r.tests.filter((t) => t.kind === "hidden" && t.status === "failed");
    expect(hidden.length).toBeGreaterThan(0);
    for (const t of hidden) {
      expect(t.expectedShape).toBeNull();
      expect(t.actualShape).toBeNull();
      expect(t.maxAbsError).toBeNull();
      expect(t.mismatches).toBeNull();
      expect(t.message.en).toMatch(/hidden test failed/);
    }
  });
});

describe("exercise routes show only what a student may see", () => {
  const catalog = loadCatalog();

  it("lists the exercises in the chapter's order", async () => {
    const res = await fetch(`${graderUrl()}/v1/exercises`);
    const body = (await res.json()) as { exercises: { id: string; order: number }[] };
    expect(body.exercises.map((e) => e.id)).toEqual([...catalog.exercises.keys()]);
  });

  it.each([...catalog.exercises.keys()])("never leaks hidden cases, references or mutants of %s", async (id) => {
    const res = await fetch(`${graderUrl()}/v1/exercises/${id}`);
    expect(res.status).toBe(200);
    const text = await res.text();
    const view = PublicExercise.parse(JSON.parse(text));
    expect(view.statement.ja.length).toBeGreaterThan(0);
    const entry = catalog.exercises.get(id);
    if (entry === undefined) throw new Error(id);
    const { spec } = await loadRuntime(entry);
    for (const c of spec.cases.filter((k) => k.kind === "hidden")) expect(text).not.toContain(c.id);
    for (const inv of spec.invariants ?? []) expect(text).not.toContain(inv.id);
    expect(text).not.toContain(readFileSync(entry.solutionPath, "utf8").slice(0, 200));
    expect(text).not.toMatch(/mutants|reference\/src|defineReference/);
  });

  it("answers 404 for an unknown exercise", async () => {
    const res = await fetch(`${graderUrl()}/v1/exercises/nope`);
    expect(res.status).toBe(404);
  });
});

describe("operations", () => {
  it("reports health with the backend and workers", async () => {
    const res = await fetch(`${graderUrl()}/health`);
    const body = (await res.json()) as { status: string; backend: string; workers: { size: number; ready: number; list: { limits: unknown; measured: unknown }[] } };
    expect(res.status).toBe(200);
    expect(body.status).toBe("ok");
    expect(body.workers.ready).toBe(body.workers.size);
    // How each worker set its limits for this machine (the suites' grader fixes the committed ones).
    for (const w of body.workers.list) {
      // The scale it grades with (the pool's, one for all its workers) and the one it set itself.
      expect(w.limits).toMatchObject({ scale: 1, source: "configured" });
      expect(w.measured).toMatchObject({ scale: 1, source: "configured" });
    }
    expect(body.backend).toMatch(/wasm|cpu|tensorflow|webgpu \(/);
  });

  it("exposes Prometheus metrics with grading counts", async () => {
    await gradeViaApi({ exerciseId: "positional-encoding", source: SOLUTION, seed: 5 });
    const res = await fetch(`${graderUrl()}/metrics`);
    expect(res.headers.get("content-type")).toMatch(/text\/plain/);
    const text = await res.text();
    expect(text).toMatch(/# TYPE tfm_gradings_total counter/);
    expect(text).toMatch(/tfm_gradings_total\{exercise="positional-encoding",verdict="passed"\} \d+/);
    expect(text).toMatch(/tfm_grading_duration_seconds_bucket/);
    expect(text).toMatch(/tfm_pool_workers \d+/);
  });
});
