import { describe, expect, it } from "vitest";
import { lookupUnit, parseNumberWithUnit, parseShape } from "./answers.ts";

function readNumber(text: string) {
  const p = parseNumberWithUnit(text);
  if (!p.ok) throw new Error(`expected "${text}" to parse: ${p.reason.en}`);
  return p.value;
}

function readShape(text: string) {
  const p = parseShape(text);
  if (!p.ok) throw new Error(`expected "${text}" to parse: ${p.reason.en}`);
  return p.value;
}

describe("parseNumberWithUnit", () => {
  it.each([
    ["1050624", 1050624, null],
    ["1,050,624", 1050624, null],
    ["0.665", 0.665, null],
    [".5", 0.5, null],
    ["-0.416", -0.416, null],
    ["2.56e10", 2.56e10, null],
    ["2.56E+10 B", 2.56e10, "B"],
    ["2.56 × 10^10 B", 2.56e10, "B"],
    ["2.56x10**10", 2.56e10, null],
    ["25.6 GB", 25.6, "GB"],
    ["25.6GB", 25.6, "GB"],
    ["  23.8 GiB ", 23.8, "GiB"],
    ["約24GB", 24, "GB"],
    ["～24 GiB", 24, "GiB"],
    ["２５．６ ＧＢ", 25.6, "GB"],
    ["−3", -3, null],
  ])("reads %j", (text, value, unit) => {
    const n = readNumber(text);
    expect(n.value).toBeCloseTo(value, 9);
    expect(n.unit).toBe(unit);
  });

  it.each(["", "abc", "1.2.3", "12,34", "GB 25", "NaN", "1/8", "25.6 G B"])("rejects %j with a reason in both languages", (text) => {
    const p = parseNumberWithUnit(text);
    expect(p.ok).toBe(false);
    if (!p.ok) {
      expect(p.reason.ja).toMatch(/数値/);
      expect(p.reason.en).toMatch(/number/);
    }
  });

  it("rejects numbers that overflow to Infinity", () => {
    expect(parseNumberWithUnit("1e400").ok).toBe(false);
  });
});

describe("lookupUnit", () => {
  it("matches exact symbols first and folds case otherwise", () => {
    expect(lookupUnit("GiB")).toBe("GiB");
    expect(lookupUnit("gib")).toBe("GiB");
    expect(lookupUnit("GB")).toBe("GB");
    expect(lookupUnit("gb")).toBe("GB");
    expect(lookupUnit("KB")).toBe("kB");
    expect(lookupUnit("b")).toBe("B");
    expect(lookupUnit("bytes")).toBeNull();
    expect(lookupUnit("Gbit")).toBeNull();
  });
});

describe("parseShape", () => {
  it.each([
    ["(2, 8, 5, 7)", [2, 8, 5, 7]],
    ["[2, 8, 5, 7]", [2, 8, 5, 7]],
    ["(2,8,5,7)", [2, 8, 5, 7]],
    ["2, 8, 5, 7", [2, 8, 5, 7]],
    ["2 8 5 7", [2, 8, 5, 7]],
    ["( 2 ,  8 , 5 , 7 )", [2, 8, 5, 7]],
    ["2×8×5×7", [2, 8, 5, 7]],
    ["2 x 8 x 5 x 7", [2, 8, 5, 7]],
    ["torch.Size([2, 8, 5, 7])", [2, 8, 5, 7]],
    ["([2, 8, 5, 7])", [2, 8, 5, 7]],
    ["(2, 8, 5, 7,)", [2, 8, 5, 7]],
    ["(5,)", [5]],
    ["（２, ８, ５, ７）", [2, 8, 5, 7]],
    ["()", []],
  ])("reads %j", (text, shape) => {
    expect(readShape(text)).toEqual(shape);
  });

  it.each([
    "(2, 8, 5, 7",
    "2, 8, 5, 7]",
    "(2, 8, (5, 7))",
    "(2, 8, -5, 7)",
    "(2, 8, 5.5, 7)",
    "(2,, 8)",
    "(a, b)",
    "(2; 8; 5; 7)",
    "(1, 2, 3, 4, 5, 6, 7, 8, 9)",
  ])("rejects %j with a reason in both languages", (text) => {
    const p = parseShape(text);
    expect(p.ok).toBe(false);
    if (!p.ok) {
      expect(p.reason.ja).toContain("shape");
      expect(p.reason.en).toContain("shape");
    }
  });
});
