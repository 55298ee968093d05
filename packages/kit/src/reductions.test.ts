import { beforeAll, describe, expect, it } from "vitest";
import { torch } from "./torch.ts";
import { expectAllClose, makeRng, messageOf, pair, randBoolPair, randIntPair, randPair, tf, tfReady } from "./test-helpers.ts";

beforeAll(async () => {
  await tfReady();
});

const SHAPES: number[][] = [[6], [3, 4], [2, 3, 4], [2, 1, 3, 5], [1, 1], [4, 1]];

/** All single dims (positive and negative) plus some dim lists. */
function dimCases(nd: number): (number | number[] | undefined)[] {
  const out: (number | number[] | undefined)[] = [undefined];
  for (let d = 0; d < nd; d++) out.push(d, d - nd);
  if (nd >= 2) out.push([0, nd - 1], [-1, -2]);
  if (nd >= 3) out.push([0, 2], [1, 2]);
  return out;
}

function tfAxes(d: number | number[] | undefined, nd: number): number[] | undefined {
  if (d === undefined) return undefined;
  const list = typeof d === "number" ? [d] : d;
  return list.map((x) => (x < 0 ? x + nd : x));
}

describe("sum / mean / amax / amin vs tf", () => {
  const rng = makeRng(202);
  for (const shape of SHAPES) {
    it(`shape [${shape}]`, () => {
      const p = randPair(rng, shape);
      const nd = shape.length;
      for (const d of dimCases(nd)) {
        for (const keep of [false, true]) {
          const ax = tfAxes(d, nd);
          expectAllClose(p.k.sum(d, keep), tf.sum(p.t, ax, keep));
          expectAllClose(torch.sum(p.k, d, keep), tf.sum(p.t, ax, keep));
          expectAllClose(p.k.mean(d, keep), tf.mean(p.t, ax, keep));
          expectAllClose(p.k.amax(d, keep), tf.max(p.t, ax, keep));
          expectAllClose(p.k.amin(d, keep), tf.min(p.t, ax, keep));
        }
      }
    });
  }

  it("sum of int32 and bool gives int32", () => {
    const i = randIntPair(rng, [3, 5]);
    expect(i.k.sum().dtype).toBe("int32");
    expectAllClose(i.k.sum(1), tf.sum(i.t, 1));
    const b = randBoolPair(rng, [4, 6]);
    const s = b.k.sum(-1);
    expect(s.dtype).toBe("int32");
    expectAllClose(s, tf.sum(tf.cast(b.t, "int32"), -1));
  });

  it("mean of ints is rejected like PyTorch", () => {
    const e = messageOf(() => torch.arange(5).mean());
    expect(e.message).toMatch(/mean\(\): could not infer output dtype/);
  });

  it("empty reductions", () => {
    expect(torch.zeros(0).sum().item()).toBe(0);
    expect(Number.isNaN(torch.zeros(0).mean().item())).toBe(true);
    expect(() => torch.zeros(0).max()).toThrow(/numel\(\) == 0/);
    expect(() => torch.zeros(2, 0).amax(1)).toThrow(/non-zero size/);
  });

  it("duplicate dims are rejected", () => {
    expect(() => torch.zeros(2, 3).sum([1, -1])).toThrow(/dim 1 appears multiple times/);
  });
});

describe("max / min / argmax / argmin", () => {
  const rng = makeRng(303);
  for (const shape of SHAPES) {
    it(`shape [${shape}]`, () => {
      const p = randPair(rng, shape);
      const nd = shape.length;
      expectAllClose(p.k.max(), tf.max(p.t));
      expectAllClose(p.k.min(), tf.min(p.t));
      expectAllClose(torch.max(p.k), tf.max(p.t));
      expectAllClose(p.k.argmax(), tf.argMax(tf.reshape(p.t, [-1])));
      expectAllClose(p.k.argmin(), tf.argMin(tf.reshape(p.t, [-1])));
      for (let d = -nd; d < nd; d++) {
        const ax = d < 0 ? d + nd : d;
        for (const keep of [false, true]) {
          const r = p.k.max(d, keep);
          const [values, indices] = r;
          expect(r.values).toBe(values);
          expect(r.indices).toBe(indices);
          expect(indices.dtype).toBe("int32");
          expectAllClose(values, tf.max(p.t, ax, keep));
          const ei = keep ? tf.expandDims(tf.argMax(p.t, ax), ax) : tf.argMax(p.t, ax);
          expectAllClose(indices, ei);
          const m = torch.min(p.k, d, keep);
          expectAllClose(m.values, tf.min(p.t, ax, keep));
          expectAllClose(m.indices, keep ? tf.expandDims(tf.argMin(p.t, ax), ax) : tf.argMin(p.t, ax));
          expectAllClose(p.k.argmax(d, keep), ei);
          expectAllClose(torch.argmin(p.k, d), tf.argMin(p.t, ax));
        }
      }
    });
  }

  it("ties pick the first index; NaN wins", () => {
    const x = torch.tensor([[1, 3, 3, 0], [2, NaN, 5, NaN]]);
    expect(x.argmax(1).tolist()).toEqual([1, 1]);
    expect(x.max(1).values.get(0)).toBe(3);
    expect(Number.isNaN(x.max().item())).toBe(true);
    expect(x.amax(1).get(0)).toBe(3);
    expect(Number.isNaN(x.amax(1).get(1))).toBe(true);
    const i = torch.tensor([[4, 1, 4]], { dtype: "int32" });
    expect(i.argmax(-1).tolist()).toEqual([0]);
    expect(i.max().dtype).toBe("int32");
  });

  it("max(other) / min(other) are elementwise", () => {
    const a = randPair(rng, [3, 4]);
    const b = randPair(rng, [4]);
    expectAllClose(a.k.max(b.k), tf.maximum(a.t, b.t));
    expectAllClose(torch.min(a.k, b.k), tf.minimum(a.t, b.t));
  });

  it("argmax with keepdim and no dim keeps all dims as 1", () => {
    const x = torch.tensor([[1, 9], [3, 4]]);
    expect(x.argmax(null, true).shape).toEqual([1, 1]);
    expect(x.argmax(null, true).item()).toBe(1);
  });
});

describe("var / std", () => {
  const rng = makeRng(404);
  for (const shape of SHAPES) {
    it(`shape [${shape}] (biased and unbiased)`, () => {
      const p = randPair(rng, shape);
      const nd = shape.length;
      for (const d of dimCases(nd)) {
        const ax = tfAxes(d, nd);
        const n = (ax ?? shape.map((_, i) => i)).reduce((acc, a) => acc * shape[a]!, 1);
        for (const keep of [false, true]) {
          const { variance } = tf.moments(p.t, ax, keep);
          expectAllClose(p.k.var(d, { unbiased: false, keepdim: keep }), variance);
          expectAllClose(p.k.std(d, { unbiased: false, keepdim: keep }), tf.sqrt(variance));
          if (n > 1) {
            const unb = tf.mul(variance, tf.scalar(n / (n - 1)));
            expectAllClose(p.k.var(d, { keepdim: keep }), unb);
            expectAllClose(torch.std(p.k, d, { keepdim: keep }), tf.sqrt(unb));
            expectAllClose(p.k.var(d, true, keep), unb);
          } else {
            expect(Number.isNaN(p.k.var(d).data()[0]!)).toBe(true);
          }
        }
      }
    });
  }

  it("correction option", () => {
    const x = torch.tensor([1, 2, 3, 4]);
    expect(x.var(0, { correction: 2 }).item()).toBeCloseTo(5 / 2, 6);
  });
});

describe("any / all", () => {
  const rng = makeRng(505);
  it("match tf.any / tf.all", () => {
    for (const shape of SHAPES) {
      const b = randBoolPair(rng, shape, 0.3);
      const nd = shape.length;
      expectAllClose(b.k.any(), tf.any(b.t));
      expectAllClose(b.k.all(), tf.all(b.t));
      for (let d = -nd; d < nd; d++) {
        expectAllClose(b.k.any(d), tf.any(b.t, d < 0 ? d + nd : d));
        expectAllClose(torch.all(b.k, d, true), tf.all(b.t, d < 0 ? d + nd : d, true));
      }
    }
    const f = pair(new Float32Array([0, 0, 2]), [3]);
    expect(f.k.any().item()).toBe(1);
    expect(f.k.all().item()).toBe(0);
    expect(f.k.any().dtype).toBe("bool");
  });
});
