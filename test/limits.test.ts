import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { loadCatalog } from "../apps/grader/src/catalog.ts";
import { type StageTimes, gradeSubmission } from "../apps/grader/src/grade.ts";
import {
  CALL_LIMIT_FACTOR,
  CALL_LIMIT_FLOOR_MS,
  DEFAULT_CALL_TIMEOUT_MS,
  type ModelCost,
  derivedLimits,
  hasOwnLimits,
} from "../apps/grader/src/limits.ts";
import { ReferenceCache } from "../apps/grader/src/reference-cache.ts";
import { renderReport } from "../apps/grader/src/report.ts";

const ROOT = path.resolve(import.meta.dirname, "..");
const catalog = loadCatalog();
const costs = JSON.parse(readFileSync(path.join(ROOT, "exercises", "model-cost.json"), "utf8")) as Record<string, ModelCost>;

describe("time limits that fit the exercise", () => {
  it("derives a call limit of 25x the model's costliest call, at least the floor and at most the default; the submission keeps the default budget", () => {
    expect(derivedLimits({ maxCallCpuMs: 1, gradingCpuMs: 10, samples: 1 })).toEqual({ callTimeoutMs: CALL_LIMIT_FLOOR_MS, wallTimeoutMs: 20_000 });
    expect(derivedLimits({ maxCallCpuMs: 12.87, gradingCpuMs: 75.5, samples: 8 }).callTimeoutMs).toBe(330);
    expect(derivedLimits({ maxCallCpuMs: 500, gradingCpuMs: 5_000, samples: 1 })).toEqual({ callTimeoutMs: DEFAULT_CALL_TIMEOUT_MS, wallTimeoutMs: 20_000 });
  });

  it("gives every light exercise the limits its committed model cost derives (npm run limits -- --write), and the heavy one keeps its own", () => {
    const own: string[] = [];
    for (const e of catalog.exercises.values()) {
      if (hasOwnLimits(e.meta.limits)) {
        own.push(e.meta.id);
        continue;
      }
      const cost = costs[e.meta.id];
      expect(cost, `${e.meta.id} has no measured model cost in exercises/model-cost.json`).toBeDefined();
      const want = derivedLimits(cost as ModelCost);
      expect({ id: e.meta.id, call: e.meta.limits.callTimeoutMs, submission: e.meta.limits.wallTimeoutMs }).toEqual({ id: e.meta.id, call: want.callTimeoutMs, submission: want.wallTimeoutMs });
    }
    // The chapter's memory pitfall keeps the limits it was designed with.
    expect(own).toEqual(["chunked-attention"]);
  });

  it("stops an endless loop at the exercise's own call limit and says so in the result and the report", async () => {
    const id = "scaled-dot-product-attention";
    const meta = catalog.exercises.get(id)?.meta;
    if (meta === undefined) throw new Error(`no exercise ${id}`);
    expect(meta.limits.callTimeoutMs).toBeLessThan(DEFAULT_CALL_TIMEOUT_MS);
    const source = `import type { Tensor } from "@tfm/kit";\nexport function scaledDotProductAttention(Q: Tensor, K: Tensor, V: Tensor, mask: Tensor | null): [Tensor, Tensor] { for (;;) {} }\n`;
    const r = await gradeSubmission({ exerciseId: id, source, seed: 7, scope: "all", lang: "en" }, { catalog, backend: "wasm", references: new ReferenceCache() });
    expect(r.verdict).toBe("time_limit");
    expect(r.limits).toEqual({ callCpuMs: meta.limits.callTimeoutMs, submissionCpuMs: meta.limits.wallTimeoutMs, memoryMb: meta.limits.memoryMb });
    const first = r.tests[0];
    expect(first?.status).toBe("time_limit");
    expect(first?.message.en).toContain(`${meta.limits.callTimeoutMs} ms per call`);
    expect(first?.message.ja).toContain(`1 回の呼び出しにつき ${meta.limits.callTimeoutMs} ms`);
    // One call's budget was spent, not the contract's default 2 s or the submission's whole budget.
    expect(r.tests.filter((t) => t.status === "time_limit")).toHaveLength(1);
    expect(renderReport(r, "en")).toContain(`${meta.limits.callTimeoutMs} ms per call`);
    expect(renderReport(r, "ja")).toContain(`1 回の呼び出し ${meta.limits.callTimeoutMs} ms`);
  });

  it("on a machine the calibration found slower, runs a light exercise's calls under the scaled limit: an endless loop is charged it, a correct call that needs more than the committed limit passes", async () => {
    const id = "scaled-dot-product-attention";
    const entry = catalog.exercises.get(id);
    if (entry === undefined) throw new Error(`no exercise ${id}`);
    const committed = entry.meta.limits.callTimeoutMs;
    const endless = `import type { Tensor } from "@tfm/kit";\nexport function scaledDotProductAttention(Q: Tensor, K: Tensor, V: Tensor, mask: Tensor | null): [Tensor, Tensor] { for (;;) {} }\n`;
    let stages: StageTimes | null = null;
    const r = await gradeSubmission({ exerciseId: id, source: endless, seed: 7, scope: "all", lang: "ja" }, { catalog, backend: "wasm", references: new ReferenceCache(), limitScale: 2, onStages: (st) => (stages = st) });
    expect(r.verdict).toBe("time_limit");
    expect(r.limits?.callCpuMs).toBe(committed * 2);
    expect(r.tests.find((t) => t.status === "time_limit")?.message.ja).toContain(`1 回の呼び出しにつき ${committed * 2} ms`);
    // Charged the scaled budget: the call ran past the committed limit before it was stopped.
    expect((stages as StageTimes | null)?.callCpuMs ?? 0).toBeGreaterThanOrEqual(committed * 2);
    // A correct solution whose first call spins for 1.4x the committed limit (CPU time at most that).
    const model = readFileSync(entry.solutionPath, "utf8");
    const renamed = model.replace("export function scaledDotProductAttention(", "function model__(");
    expect(renamed).not.toBe(model);
    const slow = `${renamed}\nlet first__ = true;\nexport function scaledDotProductAttention(...a: Parameters<typeof model__>): ReturnType<typeof model__> {\n  if (first__) { first__ = false; const until = Date.now() + ${Math.round(committed * 1.4)}; while (Date.now() < until) {} }\n  return model__(...a);\n}\n`;
    const passed = await gradeSubmission({ exerciseId: id, source: slow, seed: 7, scope: "all", lang: "en" }, { catalog, backend: "wasm", references: new ReferenceCache(), limitScale: 2 });
    expect(passed.verdict).toBe("passed");
    expect(passed.limits?.callCpuMs).toBe(committed * 2);
  });
});
