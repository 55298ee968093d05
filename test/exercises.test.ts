/**
 * Walks every exercise folder and proves the contract of each: metadata valid, statements in both
 * languages, starter fails, model solution passes, every mutant is rejected naming its pitfall.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { ExerciseMeta, type GradeResult, type Verdict } from "@tfm/contract";
import { loadCatalog } from "@tfm/grader/catalog";
import { loadRuntime } from "@tfm/grader/runtime";
import { describe, expect, it } from "vitest";
import { gradeViaApi } from "./grader-client.ts";

const catalog = loadCatalog();
const exercises = [...catalog.exercises.values()];

/** A mutant may declare the verdict it must get with a line `// expect-verdict: <verdict>`. */
function expectedVerdict(source: string): Verdict {
  const m = /\/\/\s*expect-verdict:\s*([a-z_]+)/.exec(source);
  return (m?.[1] as Verdict | undefined) ?? "failed";
}

function failingWithPitfall(r: GradeResult, pitfall: string): boolean {
  return r.tests.some((t) => t.status !== "passed" && t.pitfall?.id === pitfall);
}

describe("exercise catalog", () => {
  it("loads every exercise folder without a problem", () => {
    expect(catalog.problems).toEqual([]);
  });

  it("has the core exercises", () => {
    for (const id of ["scaled-dot-product-attention", "multi-head-attention", "positional-encoding"]) {
      expect(catalog.exercises.has(id), id).toBe(true);
    }
  });

  it("gives every exercise a unique order", () => {
    const orders = exercises.map((e) => e.meta.order);
    expect(new Set(orders).size).toBe(orders.length);
  });
});

describe.each(exercises.map((e) => [e.meta.id, e] as const))("%s", (id, entry) => {
  it("has valid metadata, both statements and permanent case ids", async () => {
    expect(ExerciseMeta.safeParse(JSON.parse(readFileSync(path.join(entry.dir, "exercise.json"), "utf8"))).success).toBe(true);
    for (const lang of ["ja", "en"] as const) {
      const text = entry.statement[lang];
      expect(text.length, `${lang} statement`).toBeGreaterThan(200);
      expect(text, `${lang} statement names the entry point`).toContain(entry.meta.entry);
    }
    expect(/[\u3040-\u30ff\u4e00-\u9fff]/.test(entry.statement.ja), "ja statement is Japanese").toBe(true);
    const { spec } = await loadRuntime(entry);
    const ids = [...spec.cases.map((c) => c.id), ...(spec.invariants ?? []).map((i) => i.id)];
    expect(new Set(ids).size).toBe(ids.length);
    for (const c of [...spec.cases, ...(spec.invariants ?? [])]) {
      expect(c.name.ja.length > 0 && c.name.en.length > 0, `${c.id} names`).toBe(true);
      expect(c.id.length).toBeGreaterThan(3);
    }
    expect(spec.cases.filter((c) => c.kind === "public").length, "public cases").toBeGreaterThanOrEqual(5);
    expect(spec.cases.filter((c) => c.kind === "hidden").length, "hidden cases").toBeGreaterThanOrEqual(10);
  });

  it("has one mutant per declared pitfall and nothing else", () => {
    const files = existsSync(entry.mutantsDir) ? readdirSync(entry.mutantsDir).filter((f) => f.endsWith(".ts")) : [];
    expect(files.map((f) => f.replace(/\.ts$/, "")).sort()).toEqual([...entry.meta.pitfalls].sort());
  });

  it("rejects the starter", async () => {
    const r = await gradeViaApi({ exerciseId: id, source: entry.starter, seed: 1 });
    expect(r.verdict).not.toBe("passed");
    expect(r.verdict).not.toBe("internal_error");
  });

  it.each([1, 2024, 4_000_000_000])("passes the model solution (seed %i)", async (seed) => {
    const r = await gradeViaApi({ exerciseId: id, source: readFileSync(entry.solutionPath, "utf8"), seed });
    const failed = r.tests.filter((t) => t.status !== "passed").map((t) => `${t.id}: ${t.message.en}`);
    expect(failed).toEqual([]);
    expect(r.verdict).toBe("passed");
    expect(r.total).toBeGreaterThanOrEqual(15);
    expect(r.seed).toBe(seed);
  });

  const mutantFiles = existsSync(entry.mutantsDir) ? readdirSync(entry.mutantsDir).filter((f) => f.endsWith(".ts")) : [];
  it.each(mutantFiles)("rejects mutant %s naming its pitfall", async (file) => {
    const pitfall = file.replace(/\.ts$/, "");
    const source = readFileSync(path.join(entry.mutantsDir, file), "utf8");
    const r = await gradeViaApi({ exerciseId: id, source, seed: 7 });
    expect(r.verdict).toBe(expectedVerdict(source));
    expect(failingWithPitfall(r, pitfall), `a failing test names ${pitfall}: ${r.tests.map((t) => `${t.id}=${t.status}/${t.pitfall?.id}`).join(", ")}`).toBe(true);
  });
});
