/**
 * A pitfall is named only on discriminating evidence (issue 14): wrong solutions whose output
 * merely coincides with a pitfall's on some input must not be told to fix that pitfall.
 * Each source here is a wrong solution from the classes the independent corpus found.
 */
import { readFileSync } from "node:fs";
import type { GradeResult } from "@tfm/contract";
import { loadCatalog } from "@tfm/grader/catalog";
import { gradeSubmission } from "@tfm/grader/grade";
import { ReferenceCache } from "@tfm/grader/reference-cache";
import { initBackend } from "@tfm/reference";
import { beforeAll, describe, expect, it } from "vitest";

const catalog = loadCatalog();
let backend = "";
const references = new ReferenceCache();

beforeAll(async () => {
  backend = await initBackend();
});

function solution(id: string): string {
  const entry = catalog.exercises.get(id);
  if (entry === undefined) throw new Error(`no exercise ${id}`);
  return readFileSync(entry.solutionPath, "utf8");
}

/** The model solution with one exact text replaced (the replaced text must be there). */
function edited(id: string, from: string, to: string): string {
  const src = solution(id);
  if (!src.includes(from)) throw new Error(`${id}: '${from}' is not in the solution`);
  return src.replace(from, to);
}

async function grade(exerciseId: string, source: string, seed = 7): Promise<GradeResult> {
  return gradeSubmission({ exerciseId, source, seed, lang: "en", scope: "all" }, { catalog, backend, references });
}

function named(r: GradeResult): string[] {
  return [...new Set(r.tests.flatMap((t) => (t.pitfall === null ? [] : [t.pitfall.id])))];
}

function describeTests(r: GradeResult): string {
  return r.tests.map((t) => `${t.id}=${t.status}/${t.pitfall?.id ?? "-"}`).join(", ");
}

describe("attribution needs discriminating evidence", () => {
  it("an unstable softmax masked with -1e9 is not told that an -Infinity fill makes NaN", async () => {
    const src = edited(
      "scaled-dot-product-attention",
      "const weights = F.softmax(scores, -1);",
      "const e = scores.exp();\n  const weights = e.div(e.sum(-1, true));",
    );
    const r = await grade("scaled-dot-product-attention", src);
    expect(r.verdict).toBe("failed");
    expect(named(r), describeTests(r)).not.toContain("fully-masked-nan");
    expect(r.summary.en).not.toMatch(/fully masked/i);
  });

  it("un-normalised returned weights with a correct output are not told they multiply V by raw scores", async () => {
    const src = edited("simple-attention", "return [output, weights];", "return [output, scores];");
    const r = await grade("simple-attention", src);
    expect(r.verdict).toBe("failed");
    expect(named(r), describeTests(r)).not.toContain("weights-wrong-operand");
  });

  it("a block whose dropout is active at evaluation is told it is not deterministic, not that it is pre-norm", async () => {
    const src = edited(
      "encoder-block",
      "const residual1 = x.add(attention);",
      "const residual1 = x.add(F.dropout(attention, 0.1, true));",
    );
    const r = await grade("encoder-block", src);
    expect(r.verdict).toBe("failed");
    expect(named(r), describeTests(r)).not.toContain("prenorm-instead-of-postnorm");
    const messages = r.tests.filter((t) => t.kind === "invariant" && t.status === "failed").map((t) => t.message.en).join("\n");
    expect(messages).toMatch(/different results for the same arguments/);
  });

  it("alphabetically sorted formula tokens are not told the hydrate multiplier is wrong", async () => {
    const src = solution("composition-tokenizer").replace(
      /export function tokenizeFormula\(formula: string\): FormulaToken\[\] \{/,
      "export function tokenizeFormula(formula: string): FormulaToken[] {\n  return tokenizeUnsorted(formula).sort((a, b) => (a.element < b.element ? -1 : a.element > b.element ? 1 : 0));\n}\n\nfunction tokenizeUnsorted(formula: string): FormulaToken[] {",
    );
    const r = await grade("composition-tokenizer", src);
    expect(r.verdict).toBe("failed");
    expect(named(r), describeTests(r)).not.toContain("formula-hydrate-ignored");
  });

  it("a dropout keeping u < 1 - p is not told its mask is inverted (one element cannot tell)", async () => {
    const src = edited("dropout", "const keep = u.ge(p);", "const keep = u.lt(1 - p);");
    const r = await grade("dropout", src);
    expect(r.verdict).toBe("failed");
    expect(named(r), describeTests(r)).not.toContain("dropout-mask-inverted");
  });

  it("a mask built from the lengths (one short) is not told it is built from the pad ids", async () => {
    const src = edited("batching", ".lt(lengths)", ".lt(lengths.sub(1))");
    const r = await grade("batching", src);
    expect(r.verdict).toBe("failed");
    expect(named(r), describeTests(r)).not.toContain("mask-from-pad-id");
  });
});

describe("a pitfall variant that itself fails on an input", () => {
  it("gives no evidence and never turns the student's error into a grader fault", async () => {
    // The keepdim mutant's own reference variant cannot broadcast on some hidden shapes (seed 2 draws
    // them): the student's runtime_error stands, with no internal_error (the deadline-burst bench found it).
    const { mutantSourceIn } = await import("@tfm/grader/mutants");
    const source = mutantSourceIn(`${import.meta.dirname}/../exercises/stable-softmax`, "reduction-missing-keepdim");
    for (const seed of [2, 6, 8, 12, 13]) {
      const r = await grade("stable-softmax", source, seed);
      expect(r.verdict, `seed ${seed}`).toBe("runtime_error");
    }
  });
});

/** A cache that records every key asked of it. */
class RecordingCache extends ReferenceCache {
  readonly keys: string[] = [];
  override get(key: string, compute: Parameters<ReferenceCache["get"]>[1]): ReturnType<ReferenceCache["get"]> {
    this.keys.push(key);
    return super.get(key, compute);
  }
}

function variantKeys(exerciseId: string, keys: readonly string[]): string[] {
  const pitfalls = catalog.exercises.get(exerciseId)?.meta.pitfalls ?? [];
  return keys.filter((k) => pitfalls.some((p) => k.endsWith(`|${p}`)));
}

describe("evidence is gathered only when a test did not pass", () => {
  // Evidence only decides which pitfall a failed test names; a passed test never names one. Computing
  // every pitfall variant for every passing test cost a passing attention-heatmap grading ~20 ms.
  it("a passing submission computes no pitfall variant, only each case's expected output", async () => {
    for (const id of ["attention-heatmap", "scaled-dot-product-attention", "encoder-block"]) {
      const cache = new RecordingCache();
      const r = await gradeSubmission({ exerciseId: id, source: solution(id), seed: 11, lang: "en", scope: "all" }, { catalog, backend, references: cache });
      expect(r.verdict, id).toBe("passed");
      expect(cache.keys.length, id).toBeGreaterThan(0);
      expect(variantKeys(id, cache.keys), id).toEqual([]);
    }
  });

  it("a submission with a failed test still weighs the passing tests' evidence", async () => {
    // An unstable softmax (no max subtracted): it fails on large scores and passes the others, whose
    // evidence is what rules out pitfalls its failures could otherwise be taken for (see the first test).
    const cache = new RecordingCache();
    const src = edited("scaled-dot-product-attention", "const weights = F.softmax(scores, -1);", "const e = scores.exp();\n  const weights = e.div(e.sum(-1, true));");
    const r = await gradeSubmission({ exerciseId: "scaled-dot-product-attention", source: src, seed: 11, lang: "en", scope: "all" }, { catalog, backend, references: cache });
    expect(r.verdict).toBe("failed");
    const passed = r.tests.filter((t) => t.status === "passed" && (t.kind === "public" || t.kind === "pitfall")).map((t) => t.id);
    expect(passed.length).toBeGreaterThan(0);
    const asked = variantKeys("scaled-dot-product-attention", cache.keys);
    for (const id of passed) expect(asked.some((k) => k.includes(`|${id}|`)), id).toBe(true);
  });
});
