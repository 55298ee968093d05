/**
 * Every statement rule is checked by a test that always runs (public or pitfall, never only a
 * hidden draw), and the grader fails a call that changes the caller's input tensors (issue 14).
 * Each source breaks exactly one rule of a statement; a non-hidden test must fail for it.
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

function edited(id: string, from: string, to: string): string {
  const entry = catalog.exercises.get(id);
  if (entry === undefined) throw new Error(`no exercise ${id}`);
  const src = readFileSync(entry.solutionPath, "utf8");
  if (!src.includes(from)) throw new Error(`${id}: '${from}' is not in the solution`);
  return src.replace(from, to);
}

/** Only the public and pitfall tests: what always runs. */
async function gradeAlwaysRun(exerciseId: string, source: string): Promise<GradeResult> {
  return gradeSubmission({ exerciseId, source, seed: 7, lang: "en", scope: "public" }, { catalog, backend, references });
}

const failing = (r: GradeResult): string[] => r.tests.filter((t) => t.status !== "passed").map((t) => t.id);

describe("statement rules fail an always-run test", () => {
  it("debug-mask: hiding with -20 instead of -1e9 fails when the visible scores are lower", async () => {
    const r = await gradeAlwaysRun("debug-mask", edited("debug-mask", "scores.maskedFill(mask.eq(0), -1e9)", "scores.maskedFill(mask.eq(0), -20)"));
    expect(failing(r)).toContain("dmask-very-negative-scores");
  });

  it("chunked-attention: a fixed chunk of 128 queries, ignoring chunkSize, runs out of memory", async () => {
    const src = edited("chunked-attention", "start += chunkSize", "start += 128").replace(
      "Q.narrow(-2, start, Math.min(chunkSize, tq - start))",
      "Q.narrow(-2, start, Math.min(128, tq - start))",
    );
    const r = await gradeAlwaysRun("chunked-attention", src);
    const t = r.tests.find((x) => x.id === "chunked-small-chunk-size");
    expect(t?.status).toBe("memory_limit");
  });

  it("positional-encoding: an odd d_model whose last dimension is not a sin fails a pitfall test", async () => {
    const r = await gradeAlwaysRun(
      "positional-encoding",
      edited("positional-encoding", ".view(T, -1).narrow(1, 0, dModel)", ".view(T, -1).narrow(1, dModel % 2, dModel)"),
    );
    expect(failing(r)).toContain("pe-odd-d-model");
  });

  it("scaled-dot-product-attention: a softmax without the max subtraction fails on overflowing logits", async () => {
    const r = await gradeAlwaysRun(
      "scaled-dot-product-attention",
      edited("scaled-dot-product-attention", "const weights = F.softmax(scores, -1);", "const e = scores.exp();\n  const weights = e.div(e.sum(-1, true));"),
    );
    expect(failing(r)).toContain("sdpa-overflow-logits");
  });
});

describe("the caller's input tensors come back unchanged", () => {
  it("fails a call that writes into its input, naming the argument, though the result is right", async () => {
    const src = edited(
      "scaled-dot-product-attention",
      "return [torch.matmul(weights, V), weights];",
      "const out = torch.matmul(weights, V);\n  Q.fill_(0);\n  return [out, weights];",
    );
    const r = await gradeAlwaysRun("scaled-dot-product-attention", src);
    const t = r.tests.find((x) => x.id === "sdpa-basic");
    expect(t?.status).toBe("failed");
    expect(t?.message.en).toMatch(/changed its input \(argument 1\) in place/);
    expect(t?.message.ja).toMatch(/引数 1/);
  });

  it("finds a change inside a weights object", async () => {
    const src = edited("multi-head-attention", "const batch = x.size(0);", "const batch = x.size(0);\n  w.Wq.fill_(1);");
    const r = await gradeAlwaysRun("multi-head-attention", src);
    expect(r.tests.find((x) => x.id === "mha-basic")?.message.en).toMatch(/argument 2\.Wq/);
  });

  it("leaves a correct solution alone", async () => {
    const entry = catalog.exercises.get("scaled-dot-product-attention");
    const r = await gradeAlwaysRun("scaled-dot-product-attention", readFileSync(entry?.solutionPath ?? "", "utf8"));
    expect(r.verdict).toBe("passed");
  });
});

describe("hidden failures say what kind of input failed, never the input", () => {
  it("a code that breaks only for a single query is told about a dimension of size 1", async () => {
    // Wrong only when T_q = 1: squeezes the query axis away and broadcasts it back wrongly.
    const src = edited(
      "scaled-dot-product-attention",
      "return [torch.matmul(weights, V), weights];",
      "const out = torch.matmul(weights, V);\n  return [Q.size(-2) === 1 ? out.mul(2) : out, weights];",
    );
    const r = await gradeSubmission({ exerciseId: "scaled-dot-product-attention", source: src, seed: 7, lang: "en", scope: "all" }, { catalog, backend, references });
    const hidden = r.tests.filter((t) => t.kind === "hidden" && t.status === "failed");
    expect(hidden.length).toBeGreaterThan(0);
    for (const t of hidden) {
      expect(t.message.en).toMatch(/hidden test failed on an input with .*a dimension of size 1/);
      expect(t.message.ja).toMatch(/大きさ 1 の次元/);
      // No numbers from the input: only the words of the class and the exercise's title.
      expect(t.message.en.replace(/Scaled dot-product attention/i, "")).not.toMatch(/\d\.\d/);
    }
  });
});
