import { describe, expect, it } from "vitest";
import { applyMutant, describeEdit, generateMutants, skippedLineRanges } from "./mutators.ts";

const SOURCE = `import { type Tensor } from "@tfm/kit";
export function f(x: Tensor, xs: number[], n: number): Tensor {
  const s = x.softmax(-1).mul(Math.sqrt(n));
  if (n < xs.length && xs[n] === 0) x.add_(1);
  const m = x.maskedFill(x.eq(0), -1e9).add(1e-5);
  return torch.where(m, x, n + 1 > 2 ? x : s).transpose(0, 1);
}
`;

/** The source with the one mutant whose id, less its line:column, is `edit`. */
const mutated = (edit: string): string => {
  const found = generateMutants(SOURCE).filter((x) => x.id.slice(x.id.indexOf(" ") + 1) === edit);
  if (found.length !== 1) throw new Error(`${found.length} mutants '${edit}'; have:\n${generateMutants(SOURCE).map((x) => x.id).join("\n")}`);
  return applyMutant(SOURCE, found[0]!);
};

describe("mutation operators", () => {
  it("makes each kind of mistake the issue names, as a one-place edit", () => {
    expect(mutated("constant -1e9 -> -20")).toContain("maskedFill(x.eq(0), -20)");
    expect(mutated("constant 1e-5 -> 1e-12")).toContain(".add(1e-12)");
    expect(mutated("axis -1 -> -2")).toContain("x.softmax(-2)");
    expect(mutated("swap-arguments m, x -> x, m")).toContain("torch.where(x, m,");
    expect(mutated("remove-call x.softmax(-1) -> x")).toContain("const s = x.mul(");
    expect(mutated("remove-call Math.sqrt(n) -> (n)")).toContain("mul((n))");
    expect(mutated("comparison < -> <=")).toContain("if (n <= xs.length");
    expect(mutated("logical && -> ||")).toContain("xs.length || xs[n]");
    expect(mutated("off-by-one n -> n + 1")).toContain("xs[n + 1]");
    expect(mutated("drop-statement x.add_(1); -> {}")).toContain("=== 0) {}");
    expect(mutated("arithmetic + -> -")).toContain("n - 1 > 2");
    expect(mutated("condition n + 1 > 2 -> false")).toContain("false ? x : s");
  });

  it("does not swap the arguments of calls that do not depend on their order", () => {
    const ids = generateMutants("const a = Math.max(x, y) + t.transpose(0, 1).sum() + torch.transpose(t, -2, -1).sum() + torch.where(m, x, y);\n").map((m) => m.id);
    expect(ids.filter((id) => id.includes("swap-arguments"))).toEqual(["1:70 swap-arguments t, -2 -> -2, t", "1:101 swap-arguments m, x -> x, m", "1:104 swap-arguments x, y -> y, x"]);
  });

  it("leaves types, imports and error messages alone", () => {
    const ids = generateMutants(SOURCE).map((m) => m.id);
    expect(ids.some((id) => id.startsWith("1:"))).toBe(false);
    const g = generateMutants(`export function g(a: number): number {\n  if (a < 0) throw new Error("negative " + a);\n  return a;\n}\n`);
    expect(g.filter((m) => m.start > 50).map((m) => m.id)).toEqual([]);
    expect(g.map((m) => m.mutator)).toEqual(expect.arrayContaining(["condition", "drop-statement", "comparison", "off-by-one"]));
  });

  it("mutates regular expressions: alternatives dropped and reordered, class members dropped, quantifiers changed", () => {
    const ms = generateMutants("const R = /ab|%[0-9]{2}|[xy]/y;\n").map((m) => m.replacement);
    expect(ms).toEqual(expect.arrayContaining(["/%[0-9]{2}|[xy]/y", "/%[0-9]{2}|ab|[xy]/y", "/ab|%[0-9]{2}|[y]/y", "/ab|%[0-9]+|[xy]/y", "/ab|%[0-9]{2,}|[xy]/y"]));
  });

  it("gives every mutant a unique, stable id", () => {
    const a = generateMutants(SOURCE).map((m) => m.id);
    expect(new Set(a).size).toBe(a.length);
    expect(generateMutants(SOURCE).map((m) => m.id)).toEqual(a);
  });

  it("skips the lines a solution marks as grader-owned", () => {
    const src = "const a = 1;\n// mutate: off\nconst b = 2;\n// mutate: on\nconst c = 3;\n";
    expect(skippedLineRanges(src)).toEqual([[2, 4]]);
    expect(generateMutants(src).map((m) => m.line)).not.toContain(3);
    expect(generateMutants(src).map((m) => m.line)).toContain(5);
  });

  it("skips an entry point the grader replaces with its own driver", () => {
    const src = "export function f(a: number): number {\n  return a + 1;\n}\nexport function drive(a: number): number {\n  return f(a) * 2;\n}\n";
    expect(generateMutants(src, "s.ts", { skipFunctions: ["drive"] }).map((m) => m.line)).toEqual([2, 2, 2]);
    expect(generateMutants(src).map((m) => m.line)).toContain(5);
  });

  it("shortens long edits to the part that changed", () => {
    expect(describeEdit("x".repeat(80) + "{2}" + "y".repeat(10), "x".repeat(80) + "+" + "y".repeat(10))).toBe("@74 …xxxxxx{2}yyyyyy… -> …xxxxxx+yyyyyy…");
  });
});
