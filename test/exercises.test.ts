/**
 * Walks every exercise folder and proves the contract of each: metadata valid, statements in both
 * languages, starter fails, model solution passes, every mutant (a patch against the solution) is
 * rejected naming its pitfall and no other: a pitfall is never named for a mistake the code lacks.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { ExerciseMeta, type GradeResult } from "@tfm/contract";
import { loadCatalog } from "@tfm/grader/catalog";
import { loadMutant, mutantIds } from "@tfm/grader/mutants";
import { loadRuntime } from "@tfm/grader/runtime";
import { describe, expect, it } from "vitest";
import { gradeViaApi } from "./grader-client.ts";

const catalog = loadCatalog();
const exercises = [...catalog.exercises.values()];

function failingWithPitfall(r: GradeResult, pitfall: string): boolean {
  return r.tests.some((t) => t.status !== "passed" && t.pitfall?.id === pitfall);
}

function namedPitfalls(r: GradeResult): string[] {
  return [...new Set(r.tests.flatMap((t) => (t.pitfall === null ? [] : [t.pitfall.id])))].sort();
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
    // Every statement says whether the grader checks that the inputs come back unchanged.
    const unchanged = spec.inputsMayChange === true
      ? { en: "does not check that the inputs stay unchanged", ja: "入力が変わらないことは確かめません" }
      : { en: "left its input tensors unchanged", ja: "入力のテンソルが変わっていないことも確かめます" };
    expect(entry.statement.en, "en statement on unchanged inputs").toContain(unchanged.en);
    expect(entry.statement.ja, "ja statement on unchanged inputs").toContain(unchanged.ja);
    const ids = [...spec.cases.map((c) => c.id), ...(spec.invariants ?? []).map((i) => i.id)];
    expect(new Set(ids).size).toBe(ids.length);
    for (const c of [...spec.cases, ...(spec.invariants ?? [])]) {
      expect(c.name.ja.length > 0 && c.name.en.length > 0, `${c.id} names`).toBe(true);
      expect(c.id.length).toBeGreaterThan(3);
    }
    expect(spec.cases.filter((c) => c.kind === "public").length, "public cases").toBeGreaterThanOrEqual(5);
    expect(spec.cases.filter((c) => c.kind === "hidden").length, "hidden cases").toBeGreaterThanOrEqual(10);
  });

  it("has one mutant patch per declared pitfall and nothing else, each applying to the solution", () => {
    expect(mutantIds(entry)).toEqual([...entry.meta.pitfalls].sort());
    // Throws when a patch no longer applies: the solution changed under it.
    for (const p of mutantIds(entry)) expect(loadMutant(entry, p).source).not.toBe(readFileSync(entry.solutionPath, "utf8"));
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
    expect(namedPitfalls(r)).toEqual([]);
  });

  it.each(mutantIds(entry))("rejects mutant %s naming exactly its pitfall", async (pitfall) => {
    const mutant = loadMutant(entry, pitfall);
    const r = await gradeViaApi({ exerciseId: id, source: mutant.source, seed: 7 });
    const tests = r.tests.map((t) => `${t.id}=${t.status}/${t.pitfall?.id}`).join(", ");
    expect(r.verdict).toBe(mutant.expectVerdict);
    expect(failingWithPitfall(r, pitfall), `a failing test names ${pitfall}: ${tests}`).toBe(true);
    // No other pitfall of the exercise is named: the other mutants' diagnoses never reach this one.
    expect(namedPitfalls(r), tests).toEqual([pitfall]);
    const title = catalog.pitfalls.get(pitfall)?.title;
    expect(r.summary.en).toContain(title?.en);
    expect(r.summary.ja).toContain(title?.ja);
  });
});
