/**
 * Each exercise's pitfall list covers every catalog pitfall that applies to what its model solution
 * does (issue 14): an exercise that masks attention scores gets every mask pitfall, one that takes a
 * softmax gets softmax-overflow (with a case whose logits overflow float32 without the max
 * subtraction), and so on. The operations are read from the solution (and, for dropout, from the
 * statement), so a new exercise that masks is held to the same list without anyone remembering.
 */
import { readFileSync } from "node:fs";
import { loadCatalog } from "@tfm/grader/catalog";
import { loadRuntime } from "@tfm/grader/runtime";
import { Rng, deriveSeed } from "@tfm/spec";
import { type WireValue, isWireTensor } from "@tfm/contract";
import { initBackend } from "@tfm/reference";
import { describe, expect, it } from "vitest";

const catalog = loadCatalog();
const exercises = [...catalog.exercises.values()];

interface Rule {
  operation: string;
  /** Whether the exercise performs the operation, from its model solution and its statement. */
  performs(solution: string, statement: string): boolean;
  pitfalls: string[];
}

const RULES: Rule[] = [
  {
    operation: "masks attention scores",
    performs: (s) => /\.maskedFill\(mask\.eq\(0\)/.test(s),
    pitfalls: ["mask-inverted", "fully-masked-nan", "mask-after-softmax", "mask-multiplied"],
  },
  {
    operation: "takes a softmax of attention scores",
    performs: (s) => /F\.softmax\(/.test(s) && /matmul/.test(s),
    pitfalls: ["softmax-wrong-axis", "softmax-overflow"],
  },
  {
    operation: "scales the scores by 1/sqrt(d_k)",
    performs: (s) => /Math\.sqrt\((dK|Q\.size\(-1\))\)/.test(s),
    pitfalls: ["missing-scale"],
  },
  {
    operation: "splits and merges heads",
    performs: (s) => /\.view\([^)]*numHeads/.test(s),
    pitfalls: ["heads-not-transposed-back", "wrong-head-split"],
  },
  {
    operation: "builds a sinusoidal positional encoding",
    performs: (s) => /Math\.log\(10000\)/.test(s),
    pitfalls: ["pe-sin-cos-swapped", "pe-wrong-exponent", "pe-odd-d-model"],
  },
  {
    operation: "adds residual connections",
    performs: (s) => /residual2/.test(s),
    pitfalls: ["missing-residual", "ffn-missing-residual"],
  },
  {
    operation: "has an evaluation mode without dropout",
    performs: (_s, statement) => /evaluation mode/.test(statement),
    pitfalls: ["dropout-active-in-eval"],
  },
  {
    operation: "draws random numbers from a given seed",
    performs: (s) => /manualSeed\((seed|config\.seed)\)/.test(s),
    pitfalls: ["seed-hard-coded"],
  },
];

describe("pitfall lists cover the catalog", () => {
  it("every rule's pitfalls exist in the catalog", () => {
    for (const r of RULES) for (const p of r.pitfalls) expect(catalog.pitfalls.has(p), p).toBe(true);
  });

  it("every rule applies to at least one exercise (no dead rule)", () => {
    for (const r of RULES) {
      const hits = exercises.filter((e) => r.performs(readFileSync(e.solutionPath, "utf8"), e.statement.en));
      expect(hits.length, r.operation).toBeGreaterThan(0);
    }
  });

  it.each(exercises.map((e) => [e.meta.id, e] as const))("%s lists every pitfall of what it does", (_id, entry) => {
    const solution = readFileSync(entry.solutionPath, "utf8");
    const missing = RULES.filter((r) => r.performs(solution, entry.statement.en)).flatMap((r) =>
      r.pitfalls.filter((p) => !entry.meta.pitfalls.includes(p)).map((p) => `${p} (${r.operation})`),
    );
    expect(missing).toEqual([]);
  });

  it.each(exercises.filter((e) => e.meta.pitfalls.includes("softmax-overflow")).map((e) => [e.meta.id, e] as const))(
    "%s has an always-run case whose logits overflow float32 without the max subtraction",
    async (_id, entry) => {
      await initBackend();
      const { spec, reference } = await loadRuntime(entry);
      const unstable = reference.variants?.["softmax-overflow"];
      expect(unstable).toBeDefined();
      let overflows = 0;
      for (const c of spec.cases.filter((x) => x.kind !== "hidden")) {
        const args = c.make({ rng: new Rng(deriveSeed(0, c.id)) });
        // The right answer is finite and the one without the max subtraction is not: exp overflowed.
        if (finite(await reference.expected(args)) && unstable !== undefined && !finite(await unstable(args))) overflows++;
      }
      expect(overflows).toBeGreaterThan(0);
    },
  );
});

function finite(v: WireValue): boolean {
  if (isWireTensor(v)) return v.$tensor.data.every((x) => Number.isFinite(x));
  if (Array.isArray(v)) return v.every(finite);
  if (v !== null && typeof v === "object") return Object.values(v).every(finite);
  return typeof v !== "number" || Number.isFinite(v);
}
