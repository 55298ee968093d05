import { beforeAll, describe, expect, it } from "vitest";
import { torch } from "./torch.ts";
import { F } from "./functional.ts";
import { expectAllClose, makeRng, messageOf, pair, randPair, tf, tfReady } from "./test-helpers.ts";

beforeAll(async () => {
  await tfReady();
});

/** tf softmax along any axis (tf.softmax only supports the last one). */
function tfAlong(t: tf.Tensor, axis: number, f: (x: tf.Tensor) => tf.Tensor): tf.Tensor {
  const nd = t.rank;
  const ax = axis < 0 ? axis + nd : axis;
  if (ax === nd - 1) return f(t);
  const perm = [...Array(nd).keys()];
  perm[ax] = nd - 1;
  perm[nd - 1] = ax;
  return tf.transpose(f(tf.transpose(t, perm)), perm);
}

describe("softmax / logSoftmax", () => {
  const rng = makeRng(1313);
  const shapes = [[5], [3, 4], [2, 3, 7], [2, 4, 5, 6], [1, 1, 3], [4, 1]];
  for (const shape of shapes) {
    it(`every dim of [${shape}], all entry points`, () => {
      const p = randPair(rng, shape, -5, 5);
      const nd = shape.length;
      for (let d = -nd; d < nd; d++) {
        const sm = tfAlong(p.t, d, (x) => tf.softmax(x));
        expectAllClose(F.softmax(p.k, d), sm);
        expectAllClose(torch.softmax(p.k, d), sm);
        expectAllClose(p.k.softmax(d), sm);
        const lsm = tfAlong(p.t, d, (x) => tf.logSoftmax(x));
        expectAllClose(F.logSoftmax(p.k, d), lsm);
        expectAllClose(torch.logSoftmax(p.k, d), lsm);
        expectAllClose(p.k.logSoftmax(d), lsm);
      }
    });
  }

  it("is numerically stable: scores of 1e4 give finite results", () => {
    const x = torch.tensor([[1e4, 1e4 - 1, 0], [-1e4, 1e4, 1e4], [1e4, 1e4, 1e4]]);
    const s = F.softmax(x, -1);
    expect(s.isfinite().all().item()).toBe(1);
    const e = Math.exp(-1);
    expectAllClose(s, {
      shape: [3, 3],
      values: [1 / (1 + e), e / (1 + e), 0, 0, 0.5, 0.5, 1 / 3, 1 / 3, 1 / 3],
    });
    const ls = F.logSoftmax(x, -1);
    expect(ls.isnan().any().item()).toBe(0);
    expect(ls.get(0, 0)).toBeCloseTo(-Math.log(1 + e), 6);
    const big = torch.full([2, 4, 5, 5], 1e4, { dtype: torch.float32 });
    expect(F.softmax(big, -1).isfinite().all().item()).toBe(1);
  });

  it("masked rows: -1e9 gives uniform weights, -inf entries get exactly 0", () => {
    const x = torch.tensor([[-1e9, -1e9, -1e9, -1e9], [0.5, -Infinity, 1, -Infinity]]);
    const s = F.softmax(x, 1);
    expect(s.tolist()).toEqual([[0.25, 0.25, 0.25, 0.25], [s.get(1, 0), 0, s.get(1, 2), 0]]);
    expect(s.get(1, 0) + s.get(1, 2)).toBeCloseTo(1, 6);
  });

  it("int and bool inputs are rejected as in PyTorch; 0-d input works", () => {
    const i = torch.tensor([1, 2, 3], { dtype: "int32" });
    expect(() => F.softmax(i, 0)).toThrow(/"softmax" not implemented for 'Int'.*convert with \.float\(\) first/);
    expect(() => F.logSoftmax(i.bool(), 0)).toThrow(/"log_softmax" not implemented for 'Bool'/);
    expect(F.softmax(i.float(), 0).dtype).toBe("float32");
    expect(F.softmax(torch.tensor(3), 0).item()).toBe(1);
    expect(() => F.softmax(torch.zeros(2, 3), 2)).toThrow(/Dimension out of range \(expected to be in range of \[-2, 1\], but got 2\)/);
  });
});

describe("relu / gelu", () => {
  const rng = makeRng(1414);
  it("match tf", () => {
    const p = randPair(rng, [3, 17], -5, 5);
    expectAllClose(F.relu(p.k), tf.relu(p.t));
    const expected = tf.mul(tf.mul(p.t, 0.5), tf.add(1, tf.erf(tf.div(p.t, Math.SQRT2))));
    expectAllClose(F.gelu(p.k), expected);
    expect(F.gelu(torch.tensor([0, 1, -1])).tolist()).toEqual([
      0,
      Math.fround(0.8413447460685429),
      Math.fround(-0.15865525393145707),
    ]);
  });
});

describe("layerNorm", () => {
  const rng = makeRng(1515);
  for (const [xs, ns] of [
    [[4, 8], [8]],
    [[2, 5, 16], [16]],
    [[2, 3, 4, 5], [4, 5]],
    [[7], [7]],
  ] as [number[], number[]][]) {
    it(`x [${xs}] normalized over [${ns}]`, () => {
      const x = randPair(rng, xs, -3, 3);
      const w = randPair(rng, ns, 0.5, 1.5);
      const b = randPair(rng, ns, -0.5, 0.5);
      const axes = ns.map((_, i) => xs.length - ns.length + i);
      const { mean, variance } = tf.moments(x.t, axes, true);
      const normed = tf.div(tf.sub(x.t, mean), tf.sqrt(tf.add(variance, 1e-5)));
      expectAllClose(F.layerNorm(x.k, ns, w.k, b.k), tf.add(tf.mul(normed, w.t), b.t));
      expectAllClose(F.layerNorm(x.k, ns.length === 1 ? ns[0]! : ns), normed);
      const { mean: m2, variance: v2 } = tf.moments(x.t, axes, true);
      expectAllClose(F.layerNorm(x.k, ns, null, null, 1e-3), tf.div(tf.sub(x.t, m2), tf.sqrt(tf.add(v2, 1e-3))));
    });
  }
  it("shape errors", () => {
    const e = messageOf(() => F.layerNorm(torch.zeros(2, 3), [4]));
    expect(e.message).toBe("Given normalized_shape=[4], expected input with shape [*, 4], but got input of size [2, 3]");
    expect(() => F.layerNorm(torch.zeros(2, 4), [4], torch.ones(5))).toThrow(/weight of shape \[5\] and normalized_shape = \[4\]/);
  });
});

describe("embedding", () => {
  const rng = makeRng(1616);
  it("matches tf.gather for 1-D and 2-D ids", () => {
    const w = randPair(rng, [10, 6]);
    const ids = pair(new Int32Array([3, 0, 9, 3, 5, 1]), [2, 3], "int32");
    expectAllClose(F.embedding(ids.k, w.k), tf.gather(w.t, ids.t));
    const flat = pair(new Int32Array([7, 2]), [2], "int32");
    expectAllClose(F.embedding(flat.k, w.k, 0), tf.gather(w.t, flat.t));
    expect(() => F.embedding(torch.tensor([10], { dtype: "int32" }), w.k)).toThrow(/index out of range in self/);
    expect(() => F.embedding(torch.tensor([1]), w.k)).toThrow(/'indices' to have one of the following scalar types/);
  });
});

describe("dropout", () => {
  it("keeps where random() >= p and scales by 1/(1-p), reproducibly", () => {
    const rng = makeRng(1717);
    const x = randPair(rng, [4, 50]);
    const y = F.dropout(x.k, 0.3, true, new torch.Generator(5));
    const r = torch.rand(4, 50, { generator: new torch.Generator(5) });
    const expected = torch.where(r.ge(0.3), x.k.div(0.7), 0);
    expectAllClose(y, expected);
    expectAllClose(F.dropout(x.k, 0.3, true, new torch.Generator(5)), y);
  });

  it("eval mode and p = 0 are the identity (a copy); p = 1 drops everything", () => {
    const x = torch.randn(3, 4, { generator: new torch.Generator(9) });
    const e = F.dropout(x, 0.5, false);
    expect(e).not.toBe(x);
    expect(e.tolist()).toEqual(x.tolist());
    expect(F.dropout(x, 0).tolist()).toEqual(x.tolist());
    expect(F.dropout(x, 1).abs().sum().item()).toBe(0);
    expect(() => F.dropout(x, 1.5)).toThrow(/dropout probability has to be between 0 and 1, but got 1.5/);
  });

  it("keeps about 1-p of 100000 elements and preserves the mean", () => {
    const x = torch.ones(100000);
    const y = F.dropout(x, 0.25, true, new torch.Generator(123));
    const kept = y.ne(0).sum().item();
    // Binomial(100000, 0.75): sd = sqrt(100000 * 0.75 * 0.25) ~ 137; allow 5 sd.
    expect(Math.abs(kept - 75000)).toBeLessThan(5 * 137);
    expect(Math.abs(y.mean().item() - 1)).toBeLessThan(0.01);
  });
});

describe("pad", () => {
  const rng = makeRng(1818);
  it("matches tf.pad (last dims first)", () => {
    const p = randPair(rng, [2, 3, 4]);
    expectAllClose(F.pad(p.k, [1, 2]), tf.pad(p.t, [[0, 0], [0, 0], [1, 2]]));
    expectAllClose(F.pad(p.k, [0, 1, 2, 0], 5), tf.pad(p.t, [[0, 0], [2, 0], [0, 1]], 5));
    expectAllClose(F.pad(p.k, [1, 1, 1, 1, 1, 1], "constant", -1), tf.pad(p.t, [[1, 1], [1, 1], [1, 1]], -1));
  });
  it("negative pads crop", () => {
    const p = randPair(rng, [3, 5]);
    expectAllClose(F.pad(p.k, [-1, 2]), tf.pad(tf.slice(p.t, [0, 1], [3, 4]), [[0, 0], [0, 2]]));
    expectAllClose(F.pad(p.k, [0, 0, -1, -1]), tf.slice(p.t, [1, 0], [1, 5]));
    expect(() => F.pad(p.k, [1])).toThrow(/Padding length must be divisible by 2/);
    expect(() => F.pad(p.k, [0, 0, 0, 0, 0, 0])).toThrow(/Padding length too large/);
    expect(() => F.pad(p.k, [-3, -3])).toThrow(/negative output size/);
  });
});
