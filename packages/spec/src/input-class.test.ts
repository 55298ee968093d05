import { describe, expect, it } from "vitest";
import { describeInputClass } from "./input-class.ts";
import { Rng } from "./rng.ts";
import { causalMask, fromValues, randn } from "./tensors.ts";

const en = (args: Parameters<typeof describeInputClass>[0]): string[] => describeInputClass(args).map((d) => d.en);

describe("describeInputClass", () => {
  const rng = new Rng(1);

  it("names shape classes, extreme values and fully masked rows", () => {
    expect(en([randn(rng, [2, 1, 4]), randn(rng, [2, 1, 4])])).toContain("a dimension of size 1");
    expect(en([randn(rng, [2, 3, 4], 50)])).toContain("values of large magnitude");
    expect(en([randn(rng, [2, 3, 4], 1e-5)])).toContain("very small values");
    expect(en([randn(rng, [2, 3, 4]), randn(rng, [2, 5, 4])])).toContain("sequences of different lengths (T_q != T_k, ...)");
    expect(en([fromValues("int32", [2, 3], [1, 1, 0, 0, 0, 0])])).toContain("a row that is entirely masked (nothing visible)");
    expect(en([causalMask(4)])).not.toContain("a row that is entirely masked (nothing visible)");
  });

  it("names empty and unusual strings and lists", () => {
    expect(en([""])).toEqual(["an empty string"]);
    expect(en(["C[C@@H](O)%12"])).toEqual(expect.arrayContaining(["a string with brackets", "a string with several digits in a row"]));
    expect(en(["MgSO4·7H2O"])).toContain("a string with characters outside ASCII");
    expect(en([[[1, 2], []]])).toContain("an empty list");
  });

  it("never repeats a class and says both languages", () => {
    const d = describeInputClass([randn(rng, [1, 1, 1]), randn(rng, [1, 1, 1])]);
    expect(d.filter((x) => x.en === "a dimension of size 1")).toHaveLength(1);
    for (const x of d) expect(/[\u3040-\u30ff\u4e00-\u9fff]/.test(x.ja)).toBe(true);
  });
});
