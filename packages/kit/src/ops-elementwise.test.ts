import { beforeAll, describe, expect, it } from "vitest";
import { torch } from "./torch.ts";
import { erf } from "./ops-elementwise.ts";
import { KitError } from "./errors.ts";
import {
  expectAllClose, makeRng, messageOf, pair, randBoolPair, randIntPair, randPair, tf, tfReady, uniformValues,
} from "./test-helpers.ts";

beforeAll(async () => {
  await tfReady();
});

const BROADCAST_CASES: [number[], number[]][] = [
  [[3, 4], [3, 4]],
  [[2, 3, 4], [4]],
  [[2, 1, 4], [3, 1]],
  [[1], [5, 1, 2]],
  [[], [2, 3]],
  [[4, 1, 1, 3], [1, 5, 2, 1]],
  [[2, 8, 5, 5], [2, 1, 5, 5]],
  [[1, 1], [1]],
];

type Bin = "add" | "sub" | "mul" | "div" | "maximum" | "minimum";
const TF_BIN: Record<Bin, (a: tf.Tensor, b: tf.Tensor) => tf.Tensor> = {
  add: tf.add,
  sub: tf.sub,
  mul: tf.mul,
  div: tf.div,
  maximum: tf.maximum,
  minimum: tf.minimum,
};

describe("binary arithmetic with broadcasting (float32)", () => {
  const rng = makeRng(101);
  for (const op of Object.keys(TF_BIN) as Bin[]) {
    for (const [sa, sb] of BROADCAST_CASES) {
      it(`${op} [${sa}] with [${sb}]`, () => {
        const a = randPair(rng, sa);
        const b = op === "div" ? randPair(rng, sb, 0.5, 3) : randPair(rng, sb);
        expectAllClose(a.k[op](b.k), TF_BIN[op](a.t, b.t));
        expectAllClose(torch[op](a.k, b.k), TF_BIN[op](a.t, b.t));
        // Reversed operand order exercises the other broadcast direction.
        if (op !== "div") expectAllClose(b.k[op](a.k), TF_BIN[op](b.t, a.t));
      });
    }
  }

  it("pow with tensor and scalar exponents", () => {
    for (const [sa, sb] of BROADCAST_CASES) {
      const a = randPair(rng, sa, 0.1, 3);
      const b = randPair(rng, sb, -2, 2);
      expectAllClose(a.k.pow(b.k), tf.pow(a.t, b.t));
    }
    const a = randPair(rng, [3, 5], -3, 3);
    expectAllClose(a.k.pow(2), tf.pow(a.t, tf.scalar(2)));
    expectAllClose(a.k.pow(3), tf.pow(a.t, tf.scalar(3)));
    const p = randPair(rng, [3, 5], 0.1, 3);
    expectAllClose(p.k.pow(0.5), tf.sqrt(p.t));
  });

  it("scalar operands on either side", () => {
    const a = randPair(rng, [2, 3, 4]);
    expectAllClose(a.k.add(1.5), tf.add(a.t, tf.scalar(1.5)));
    expectAllClose(a.k.sub(-2), tf.sub(a.t, tf.scalar(-2)));
    expectAllClose(a.k.mul(0.125), tf.mul(a.t, tf.scalar(0.125)));
    expectAllClose(a.k.div(Math.sqrt(64)), tf.div(a.t, tf.scalar(8)));
    expectAllClose(torch.sub(1, a.k), tf.sub(tf.scalar(1), a.t));
    expectAllClose(torch.div(2, a.k), tf.div(tf.scalar(2), a.t));
  });
});

describe("int32 and bool arithmetic and promotion", () => {
  const rng = makeRng(7);
  it("int32 add/sub/mul stay int32 and match", () => {
    for (const [sa, sb] of BROADCAST_CASES) {
      const a = randIntPair(rng, sa);
      const b = randIntPair(rng, sb);
      for (const op of ["add", "sub", "mul", "maximum", "minimum"] as const) {
        const r = a.k[op](b.k);
        expect(r.dtype).toBe("int32");
        expectAllClose(r, TF_BIN[op](a.t, b.t));
      }
    }
  });

  it("true division of ints gives float32", () => {
    const a = randIntPair(rng, [3, 4], -9, 9);
    const b = randIntPair(rng, [4], 1, 5);
    const r = a.k.div(b.k);
    expect(r.dtype).toBe("float32");
    expectAllClose(r, tf.div(tf.cast(a.t, "float32"), tf.cast(b.t, "float32")));
    expect(a.k.div(2).dtype).toBe("float32");
  });

  it("promotion bool < int32 < float32, scalars by kind", () => {
    const i = torch.tensor([1, 2, 3], { dtype: torch.int32 });
    const f = torch.tensor([0.5, 1, 2]);
    const b = torch.tensor([true, false, true]);
    expect(i.add(f).dtype).toBe("float32");
    expect(b.add(i).dtype).toBe("int32");
    expect(b.mul(f).dtype).toBe("float32");
    expect(i.add(1).dtype).toBe("int32");
    expect(i.add(0.5).dtype).toBe("float32");
    expect(b.add(2).dtype).toBe("int32");
    expect(b.add(true).dtype).toBe("bool");
    expect(i.mul(0.5).tolist()).toEqual([0.5, 1, 1.5]);
    expect(i.pow(2).tolist()).toEqual([1, 4, 9]);
    expect(i.pow(2).dtype).toBe("int32");
  });

  it("bool + bool is logical or, bool * bool is logical and", () => {
    const a = torch.tensor([true, true, false, false]);
    const b = torch.tensor([true, false, true, false]);
    expect(a.add(b).dtype).toBe("bool");
    expect(a.add(b).tolist()).toEqual([1, 1, 1, 0]);
    expect(a.mul(b).tolist()).toEqual([1, 0, 0, 0]);
  });

  it("rejects bool - bool and -bool like PyTorch", () => {
    const a = torch.tensor([true, false]);
    expect(() => a.sub(a)).toThrow(/Subtraction, the `-` operator, with two bool tensors is not supported/);
    expect(() => a.neg()).toThrow(/Negation, the `-` operator, on a bool tensor is not supported/);
    expect(() => torch.tensor([1, 2], { dtype: "int32" }).pow(-1)).toThrow(/Integers to negative integer powers/);
  });
});

describe("comparisons and logical ops", () => {
  const rng = makeRng(11);
  const TF_CMP = {
    eq: tf.equal, ne: tf.notEqual, lt: tf.less, le: tf.lessEqual, gt: tf.greater, ge: tf.greaterEqual,
  } as const;
  for (const op of Object.keys(TF_CMP) as (keyof typeof TF_CMP)[]) {
    it(`${op} gives bool and matches tf`, () => {
      for (const [sa, sb] of BROADCAST_CASES) {
        const a = randIntPair(rng, sa, -2, 3);
        const b = randIntPair(rng, sb, -2, 3);
        const r = a.k[op](b.k);
        expect(r.dtype).toBe("bool");
        expectAllClose(r, TF_CMP[op](a.t, b.t));
        const fa = randPair(rng, sa);
        const fb = randPair(rng, sb);
        expectAllClose(torch[op](fa.k, fb.k), TF_CMP[op](fa.t, fb.t));
      }
      const x = randIntPair(rng, [4, 5], -2, 3);
      expectAllClose(x.k[op](0), TF_CMP[op](x.t, tf.scalar(0, "int32")));
    });
  }

  it("logicalAnd / logicalOr / logicalNot", () => {
    for (const [sa, sb] of BROADCAST_CASES) {
      const a = randBoolPair(rng, sa);
      const b = randBoolPair(rng, sb);
      expectAllClose(a.k.logicalAnd(b.k), tf.logicalAnd(a.t, b.t));
      expectAllClose(a.k.logicalOr(b.k), tf.logicalOr(a.t, b.t));
      expectAllClose(a.k.logicalNot(), tf.logicalNot(a.t));
    }
    // Non-bool inputs are truthy when non-zero.
    const x = torch.tensor([0, 2, -1, 0]);
    expect(x.logicalNot().tolist()).toEqual([1, 0, 0, 1]);
    expect(x.logicalAnd(torch.tensor([1, 1, 0, 0])).tolist()).toEqual([0, 1, 0, 0]);
  });

  it("isnan / isinf / isfinite", () => {
    const v = new Float32Array([0, NaN, Infinity, -Infinity, 1.5, -3, NaN, 1e30]);
    const p = pair(v, [2, 4]);
    expectAllClose(p.k.isnan(), tf.isNaN(p.t));
    expectAllClose(p.k.isinf(), tf.isInf(p.t));
    expectAllClose(p.k.isfinite(), tf.isFinite(p.t));
  });
});

describe("unary math", () => {
  const rng = makeRng(23);
  const shapes = [[], [1], [7], [3, 1, 4], [2, 3, 4, 5]];
  const cases: [string, (k: ReturnType<typeof randPair>["k"]) => unknown, (t: tf.Tensor) => tf.Tensor, number, number][] = [
    ["neg", (k) => k.neg(), tf.neg, -3, 3],
    ["abs", (k) => k.abs(), tf.abs, -3, 3],
    ["exp", (k) => k.exp(), tf.exp, -5, 5],
    ["log", (k) => k.log(), tf.log, 0.01, 10],
    ["sqrt", (k) => k.sqrt(), tf.sqrt, 0, 10],
    ["rsqrt", (k) => k.rsqrt(), tf.rsqrt, 0.05, 10],
    ["sin", (k) => k.sin(), tf.sin, -6, 6],
    ["cos", (k) => k.cos(), tf.cos, -6, 6],
    ["tanh", (k) => k.tanh(), tf.tanh, -4, 4],
    ["sigmoid", (k) => k.sigmoid(), tf.sigmoid, -8, 8],
    ["relu", (k) => k.relu(), tf.relu, -3, 3],
  ];
  for (const [name, kit, tfn, lo, hi] of cases) {
    it(`${name} matches tf on several shapes`, () => {
      for (const s of shapes) {
        const p = randPair(rng, s, lo, hi);
        expectAllClose(kit(p.k) as never, tfn(p.t));
      }
    });
  }

  it("function forms and int inputs (math on ints gives float32)", () => {
    const p = randPair(rng, [3, 4], 0.1, 4);
    expectAllClose(torch.exp(p.k), tf.exp(p.t));
    expectAllClose(torch.sqrt(p.k), tf.sqrt(p.t));
    expectAllClose(torch.log(p.k), tf.log(p.t));
    expectAllClose(torch.tanh(p.k), tf.tanh(p.t));
    const i = randIntPair(rng, [3, 4], 1, 9);
    const e = torch.exp(i.k);
    expect(e.dtype).toBe("float32");
    expectAllClose(e, tf.exp(tf.cast(i.t, "float32")));
    expect(i.k.neg().dtype).toBe("int32");
    expect(i.k.abs().dtype).toBe("int32");
  });

  it("erf is accurate to double precision at reference points", () => {
    const ref: [number, number][] = [
      [0, 0], [0.1, 0.1124629160182849], [0.5, 0.5204998778130465], [1, 0.8427007929497149],
      [-1.5, -0.9661051464753108], [2, 0.9953222650189527], [2.5, 0.999593047982555],
      [3, 0.9999779095030014], [4, 0.9999999845827421], [-6.5, -1],
    ];
    for (const [x, y] of ref) expect(Math.abs(erf(x) - y)).toBeLessThan(1e-13);
  });

  it("erf matches tf.erf through gelu's form", () => {
    const p = randPair(rng, [50], -4, 4);
    const vals = tf.erf(p.t).dataSync();
    const data = p.k.data();
    for (let i = 0; i < 50; i++) expect(Math.abs(erf(data[i]!) - vals[i]!)).toBeLessThan(5e-7);
  });
});

describe("clamp / where / maskedFill", () => {
  const rng = makeRng(31);
  it("clamp with numbers, one side, and tensors", () => {
    const p = randPair(rng, [4, 5], -3, 3);
    expectAllClose(p.k.clamp(-1, 1), tf.clipByValue(p.t, -1, 1));
    expectAllClose(torch.clamp(p.k, -0.5, 2), tf.clipByValue(p.t, -0.5, 2));
    expectAllClose(p.k.clamp(0), tf.relu(p.t));
    expectAllClose(p.k.clamp(null, 0.5), tf.minimum(p.t, tf.scalar(0.5)));
    const lo = randPair(rng, [5], -2, 0);
    const hi = randPair(rng, [4, 1], 0, 2);
    expectAllClose(p.k.clamp(lo.k, hi.k), tf.minimum(tf.maximum(p.t, lo.t), hi.t));
    expect(() => p.k.clamp()).toThrow(/At least one of 'min' or 'max'/);
    const i = torch.tensor([-3, 0, 3], { dtype: "int32" });
    expect(i.clamp(-1, 1).dtype).toBe("int32");
    expect(i.clamp(-0.5, 1).dtype).toBe("float32");
  });

  it("where broadcasts all three operands", () => {
    const cases: [number[], number[], number[]][] = [
      [[3, 4], [3, 4], [3, 4]],
      [[3, 1], [1, 4], [4]],
      [[2, 1, 5], [5], [2, 3, 1]],
    ];
    for (const [sc, sa, sb] of cases) {
      const c = randBoolPair(rng, sc);
      const a = randPair(rng, sa);
      const b = randPair(rng, sb);
      const out = tf.add(tf.add(tf.zeros(sc), tf.zeros(sa)), tf.zeros(sb)).shape;
      const expected = tf.where(tf.broadcastTo(c.t, out), tf.broadcastTo(a.t, out), tf.broadcastTo(b.t, out));
      expectAllClose(torch.where(c.k, a.k, b.k), expected);
    }
    const c = randBoolPair(rng, [2, 3]);
    const r = torch.where(c.k, 1, 0);
    expect(r.dtype).toBe("int32");
    expectAllClose(r, tf.cast(c.t, "int32"));
    expect(() => torch.where(torch.ones(2), 1, 0)).toThrow(/where expected condition to be a boolean tensor/);
  });

  it("maskedFill with broadcast masks (attention-style causal mask)", () => {
    const scores = randPair(rng, [2, 4, 5, 5]);
    const tri = tf.linalg.bandPart(tf.ones([5, 5]), -1, 0);
    const maskK = torch.tril(torch.ones(5, 5)).eq(0);
    const maskT = tf.equal(tri, tf.scalar(0));
    const expected = tf.where(tf.broadcastTo(maskT, [2, 4, 5, 5]), tf.fill([2, 4, 5, 5], -1e9), scores.t);
    expectAllClose(scores.k.maskedFill(maskK, -1e9), expected);
    expectAllClose(scores.k.masked_fill(maskK, -1e9), expected);
    expectAllClose(torch.maskedFill(scores.k, maskK, -1e9), expected);
    // Padding mask [B, 1, 1, T].
    const pad = randBoolPair(rng, [2, 1, 1, 5]);
    const e2 = tf.where(tf.broadcastTo(pad.t, [2, 4, 5, 5]), tf.fill([2, 4, 5, 5], -Infinity), scores.t);
    expectAllClose(scores.k.maskedFill(pad.k, -Infinity), e2);
    // 0-d tensor value.
    expectAllClose(scores.k.maskedFill(maskK, torch.tensor(-1e9)), expected);
  });

  it("maskedFill rejects non-bool masks naming both shapes", () => {
    const x = torch.zeros(2, 3);
    const m = torch.tril(torch.ones(2, 3));
    const e = messageOf(() => x.maskedFill(m, 0));
    expect(e.name).toBe("KitError");
    expect(e.message).toMatch(/only supports boolean masks, but got mask with dtype float32/);
    expect(e.message).toContain("[2, 3]");
    expect(e.messageJa).toMatch(/bool/);
    expect(() => x.maskedFill(m.int(), 0)).toThrow(KitError);
    const e2 = messageOf(() => x.maskedFill(torch.ones(4).bool(), 0));
    expect(e2.message).toContain("shapes [2, 3] and [4]");
  });
});

describe("broadcast errors", () => {
  it("names both shapes in PyTorch wording", () => {
    const a = torch.zeros(2, 5);
    const b = torch.zeros(2, 4);
    const e = messageOf(() => a.add(b));
    expect(e.name).toBe("KitError");
    expect(e.message).toBe(
      "The size of tensor a (5) must match the size of tensor b (4) at non-singleton dimension 1; shapes [2, 5] and [2, 4]",
    );
    expect(e.messageJa).toContain("[2, 5]");
    expect(e.messageJa).toContain("[2, 4]");
    const e3 = messageOf(() => torch.zeros(3, 5).mul(torch.zeros(4)));
    expect(e3.message).toBe(
      "The size of tensor a (5) must match the size of tensor b (4) at non-singleton dimension 1; shapes [3, 5] and [4]",
    );
  });

  it("rejects non-tensor operands with a clear message", () => {
    const x = torch.zeros(2);
    expect(() => x.add("1" as unknown as number)).toThrow(/must be a Tensor or a number/);
    expect(() => x.add(undefined as unknown as number)).toThrow(/must be a Tensor or a number, not undefined/);
  });
});

describe("dtype conversion and in-place ops", () => {
  const rng = makeRng(41);
  it("float/int/bool/to", () => {
    const x = torch.tensor([-1.7, -0.2, 0, 0.6, 2.9, NaN]);
    expect(x.int().tolist()).toEqual([-1, 0, 0, 0, 2, 0]);
    expect(x.bool().tolist()).toEqual([1, 1, 0, 1, 1, 1]);
    expect(x.to(torch.bool).dtype).toBe("bool");
    const same = x.float();
    expect(same).not.toBe(x);
    expect(same.tolist()).toEqual(x.tolist());
    const c = torch.zeros(2, 2);
    expect(c.contiguous()).not.toBe(c);
    expect(c.transpose(0, 1).float().isContiguous()).toBe(false);
    const i = torch.tensor([1, 0, 3], { dtype: torch.long });
    expect(i.dtype).toBe("int32");
    expect(i.float().dtype).toBe("float32");
    expect(i.bool().tolist()).toEqual([1, 0, 1]);
  });

  it("fill_, zero_, copy_ with broadcasting", () => {
    const x = torch.zeros(2, 3);
    expect(x.fill_(2.5)).toBe(x);
    expect(x.tolist()).toEqual([[2.5, 2.5, 2.5], [2.5, 2.5, 2.5]]);
    x.zero_();
    expect(x.sum().item()).toBe(0);
    const src = randPair(rng, [3]);
    x.copy_(src.k);
    expectAllClose(x, tf.broadcastTo(src.t, [2, 3]));
    expect(() => x.copy_(torch.zeros(2, 2))).toThrow(/cannot be broadcast to the destination shape \[2, 3\]/);
    const b = torch.zeros(3, { dtype: "bool" });
    b.copy_(torch.tensor([0, 2, -1]));
    expect(b.tolist()).toEqual([0, 1, 1]);
  });

  it("elementwise results are fresh tensors (no aliasing)", () => {
    const x = torch.tensor(Array.from(uniformValues(rng, 6)));
    const y = x.add(0);
    y.fill_(0);
    expect(x.abs().sum().item()).toBeGreaterThan(0);
  });
});
