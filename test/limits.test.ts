import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { loadCatalog } from "../apps/grader/src/catalog.ts";
import { gradeSubmission } from "../apps/grader/src/grade.ts";
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
});
