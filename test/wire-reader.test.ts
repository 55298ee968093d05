/**
 * The grader reads every result with wireValueProblem (one walk) instead of WireValueSchema (zod:
 * ~280 ms for 100,000 strings, charged to the student). Both must accept and reject exactly the same
 * values: a seeded generator of valid and malformed values, tensors above all, holds them together.
 */
import { WireValueSchema, wireValueProblem } from "@tfm/contract";
import { Rng } from "@tfm/spec";
import { describe, expect, it } from "vitest";

/** An integer in [lo, hi], both ends included. */
const incl = (rng: Rng, lo: number, hi: number): number => rng.int(lo, hi + 1);

function tensorLike(rng: Rng): unknown {
  const dtypes = ["float32", "int32", "bool", "float64", 3, undefined];
  const rank = incl(rng, 0, 4);
  const shape: unknown[] = Array.from({ length: rank }, () => incl(rng, 0, 3));
  let n = shape.reduce<number>((a, b) => a * (b as number), 1);
  const dtype = rng.random() < 0.8 ? (["float32", "int32", "bool"][incl(rng, 0, 2)] as string) : dtypes[incl(rng, 0, dtypes.length - 1)];
  const make = (d: unknown, len: number) => (d === "int32" ? new Int32Array(len) : d === "bool" ? new Uint8Array(len) : new Float32Array(len));
  let data: unknown = make(dtype, n);
  const t: Record<string, unknown> = { dtype, shape, data };
  switch (incl(rng, 0, 14)) {
    case 0: t.shape = [...shape, -1]; break;
    case 1: t.shape = [...shape, 1.5]; break;
    case 2: t.shape = Array.from({ length: 9 }, () => 1); n = 1; t.data = make(dtype, 1); break;
    case 3: t.data = make(dtype, n + 1); break;
    case 4: t.data = dtype === "float32" ? new Int32Array(n) : new Float32Array(n); break;
    case 5: t.extra = 1; break;
    case 6: delete t.data; break;
    case 7: t.data = Array.from({ length: n }, () => 0); break;
    case 8: t.shape = "2,2"; break;
    case 9: t.data = new Float64Array(n); break;
    case 10: t.shape = [...shape, Number.NaN]; break;
    case 11: t.shape = [...shape, Number.POSITIVE_INFINITY]; break;
    default: break;
  }
  void data;
  data = null;
  const outer: Record<string, unknown> = { $tensor: t };
  if (rng.random() < 0.1) outer.other = 1;
  if (rng.random() < 0.05) return { $tensor: null };
  return outer;
}

function value(rng: Rng, depth: number): unknown {
  const k = incl(rng, 0, depth > 3 ? 9 : 13);
  switch (k) {
    case 0: return null;
    case 1: return rng.random() < 0.5;
    case 2: return [0, -0, 1.5, Number.NaN, Number.POSITIVE_INFINITY, -1e308][incl(rng, 0, 5)];
    case 3: return ["", "C", "$tensor", "x".repeat(incl(rng, 0, 50))][incl(rng, 0, 3)];
    case 4: return tensorLike(rng);
    case 5: return [undefined, () => 1, Symbol("s"), 10n][incl(rng, 0, 3)];
    case 6: return [new Date(0), new Map(), new Set(), new Float32Array(2), new (class Point { x = 1; })()][incl(rng, 0, 4)];
    case 7: { const o = Object.create(null) as Record<string, unknown>; o.a = 1; return o; }
    case 8: return tensorLike(rng);
    case 9: return "leaf";
    case 10:
    case 11: return Array.from({ length: incl(rng, 0, 4) }, () => value(rng, depth + 1));
    default: {
      const o: Record<string, unknown> = {};
      for (let i = incl(rng, 0, 4); i > 0; i--) o[["a", "b", "$tensor", "shape", "0"][incl(rng, 0, 4)] as string] = value(rng, depth + 1);
      return o;
    }
  }
}

describe("wireValueProblem agrees with WireValueSchema", () => {
  it("on 20,000 generated values, valid and malformed", () => {
    const rng = new Rng(20261206);
    let valid = 0;
    for (let i = 0; i < 20_000; i++) {
      const v = value(rng, 0);
      const zod = WireValueSchema.safeParse(v).success;
      const fast = wireValueProblem(v) === null;
      if (zod !== fast) throw new Error(`disagree on value #${i}: zod ${zod}, fast ${fast}: ${String(JSON.stringify(v, (_k, x) => (ArrayBuffer.isView(x) ? `${x.constructor.name}(${(x as Float32Array).length})` : typeof x === "bigint" ? "bigint" : x)))}`);
      if (fast) valid++;
    }
    // Both kinds were drawn in numbers.
    expect(valid).toBeGreaterThan(2_000);
    expect(valid).toBeLessThan(18_000);
  });

  it("says where and what for a malformed tensor deep in a result", () => {
    const bad = { a: [1, { $tensor: { dtype: "float32", shape: [2, 2], data: new Float32Array(3) } }] };
    expect(wireValueProblem(bad)).toEqual({ path: ["a", 1, "$tensor"], message: "tensor of shape [2, 2] needs 4 values but has 3" });
    expect(wireValueProblem([[[1, undefined]]])).toEqual({ path: [0, 0, 1], message: "a undefined cannot be a result" });
  });
});
