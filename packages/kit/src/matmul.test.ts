import { beforeAll, describe, expect, it } from "vitest";
import { torch } from "./torch.ts";
import { F } from "./functional.ts";
import { expectAllClose, makeRng, messageOf, randIntPair, randPair, tf, tfReady } from "./test-helpers.ts";

beforeAll(async () => {
  await tfReady();
});

describe("matmul vs tf.matMul", () => {
  const rng = makeRng(606);
  const cases: [number[], number[]][] = [
    [[3, 4], [4, 5]],
    [[1, 1], [1, 1]],
    [[5, 7], [7, 1]],
    [[1, 7], [7, 9]],
    [[2, 3, 4], [2, 4, 6]],
    [[2, 5, 64], [2, 64, 7]], // T_q != T_k
    [[2, 4, 5, 8], [2, 4, 8, 6]], // [B, H, T_q, d] x [B, H, d, T_k]
    [[2, 4, 5, 6], [2, 4, 6, 8]], // weights x V
    [[1, 3, 4], [2, 4, 5]], // batch broadcast on a
    [[2, 3, 4], [4, 5]], // 2-D b broadcast over batch
    [[3, 4], [2, 1, 4, 6]], // 2-D a broadcast, b with size-1 batch dim
    [[2, 1, 3, 4], [5, 4, 2]], // batch dims [2,1] x [5] -> [2,5]
    [[9, 33], [33, 17]], // odd sizes exercise the kernel remainders
  ];
  for (const [sa, sb] of cases) {
    it(`[${sa}] @ [${sb}]`, () => {
      const a = randPair(rng, sa);
      const b = randPair(rng, sb);
      let ta = a.t;
      let tb = b.t;
      // Reference: broadcast the batch dims explicitly (tf.matMul's own batch broadcasting only
      // handles a batch of 1 on one side), then a plain batched tf.matMul.
      while (ta.rank < tb.rank) ta = tf.expandDims(ta, 0);
      while (tb.rank < ta.rank) tb = tf.expandDims(tb, 0);
      const batch = tf.add(tf.zeros(ta.shape.slice(0, -2)), tf.zeros(tb.shape.slice(0, -2))).shape;
      ta = tf.broadcastTo(ta, [...batch, ...ta.shape.slice(-2)]);
      tb = tf.broadcastTo(tb, [...batch, ...tb.shape.slice(-2)]);
      const expected = tf.matMul(ta, tb);
      expectAllClose(torch.matmul(a.k, b.k), expected);
      expectAllClose(a.k.matmul(b.k), expected);
    });
  }

  it("1-D cases follow PyTorch", () => {
    const v = randPair(rng, [4]);
    const w = randPair(rng, [4]);
    const m = randPair(rng, [4, 3]);
    const n = randPair(rng, [3, 4]);
    const bm = randPair(rng, [2, 4, 3]);
    const dot = torch.matmul(v.k, w.k);
    expect(dot.shape).toEqual([]);
    expectAllClose(dot, tf.sum(tf.mul(v.t, w.t)));
    expectAllClose(torch.matmul(v.k, m.k), tf.squeeze(tf.matMul(tf.expandDims(v.t, 0), m.t), [0]));
    expectAllClose(torch.matmul(n.k, v.k), tf.squeeze(tf.matMul(n.t, tf.expandDims(v.t, 1)), [1]));
    expectAllClose(torch.matmul(v.k, bm.k), tf.squeeze(tf.matMul(tf.reshape(v.t, [1, 1, 4]), bm.t), [1]));
  });

  it("attention scores with K.transpose(-2, -1) and T_q != T_k", () => {
    const Q = randPair(rng, [2, 3, 5, 8]);
    const K = randPair(rng, [2, 3, 7, 8]);
    const scores = torch.matmul(Q.k, K.k.transpose(-2, -1)).div(Math.sqrt(8));
    expectAllClose(scores, tf.div(tf.matMul(Q.t, K.t, false, true), tf.scalar(Math.sqrt(8))));
    expect(scores.shape).toEqual([2, 3, 5, 7]);
  });

  it("int32 matmul stays int32", () => {
    const a = randIntPair(rng, [3, 4]);
    const b = randIntPair(rng, [4, 2]);
    const r = torch.matmul(a.k, b.k);
    expect(r.dtype).toBe("int32");
    expectAllClose(r, tf.matMul(a.t, b.t));
  });

  it("empty dims", () => {
    expect(torch.matmul(torch.zeros(3, 0), torch.zeros(0, 2)).tolist()).toEqual([[0, 0], [0, 0], [0, 0]]);
    expect(torch.matmul(torch.zeros(0, 4), torch.zeros(4, 2)).shape).toEqual([0, 2]);
  });
});

describe("matmul / bmm errors name both shapes", () => {
  it("inner dimension mismatch", () => {
    const e = messageOf(() => torch.matmul(torch.zeros(2, 5, 64), torch.zeros(2, 32, 5)));
    expect(e.name).toBe("KitError");
    expect(e.message).toBe("matmul: shapes [2, 5, 64] and [2, 32, 5] cannot be multiplied (64 != 32)");
    expect(e.messageJa).toBe("matmul: 形状 [2, 5, 64] と [2, 32, 5] は掛け合わせられません (64 != 32)");
  });
  it("1-D and 0-D", () => {
    expect(messageOf(() => torch.matmul(torch.zeros(3), torch.zeros(4))).message).toBe(
      "matmul: shapes [3] and [4] cannot be multiplied (3 != 4)",
    );
    expect(messageOf(() => torch.matmul(torch.tensor(1), torch.zeros(4))).message).toMatch(/at least 1D.*\[\] and \[4\]/);
  });
  it("batch dims not broadcastable", () => {
    const e = messageOf(() => torch.matmul(torch.zeros(2, 5, 4), torch.zeros(3, 4, 5)));
    expect(e.message).toContain("[2, 5, 4]");
    expect(e.message).toContain("[3, 4, 5]");
    expect(e.message).toMatch(/batch dimensions \[2\] and \[3\] are not broadcastable/);
  });
  it("bool is rejected", () => {
    expect(() => torch.matmul(torch.ones(2, 2).bool(), torch.ones(2, 2).bool())).toThrow(/bool/);
  });
  it("bmm", () => {
    const rng = makeRng(1);
    const a = randPair(rng, [3, 4, 5]);
    const b = randPair(rng, [3, 5, 2]);
    expectAllClose(torch.bmm(a.k, b.k), tf.matMul(a.t, b.t));
    expect(messageOf(() => torch.bmm(torch.zeros(4, 5), torch.zeros(5, 2))).message).toMatch(/3D tensors.*\[4, 5\] and \[5, 2\]/);
    expect(messageOf(() => torch.bmm(torch.zeros(2, 4, 5), torch.zeros(3, 5, 2))).message).toBe(
      "bmm: shapes [2, 4, 5] and [3, 5, 2] have different batch sizes (2 != 3)",
    );
    expect(messageOf(() => torch.bmm(torch.zeros(2, 4, 5), torch.zeros(2, 6, 2))).message).toBe(
      "bmm: shapes [2, 4, 5] and [2, 6, 2] cannot be multiplied (5 != 6)",
    );
  });
});

describe("F.linear", () => {
  const rng = makeRng(707);
  for (const xs of [[5], [3, 5], [2, 3, 5], [2, 4, 3, 5]]) {
    it(`x [${xs}] with weight [7, 5] and bias`, () => {
      const x = randPair(rng, xs);
      const w = randPair(rng, [7, 5]);
      const b = randPair(rng, [7]);
      const x2 = xs.length === 1 ? tf.expandDims(x.t, 0) : x.t;
      let expected = tf.add(tf.matMul(tf.reshape(x2, [-1, 5]), w.t, false, true), b.t);
      expected = tf.reshape(expected, [...xs.slice(0, -1), 7]);
      expectAllClose(F.linear(x.k, w.k, b.k), expected);
      const noBias = tf.reshape(tf.matMul(tf.reshape(x2, [-1, 5]), w.t, false, true), [...xs.slice(0, -1), 7]);
      expectAllClose(F.linear(x.k, w.k), noBias);
    });
  }
  it("shape errors", () => {
    const e = messageOf(() => F.linear(torch.zeros(2, 10, 5), torch.zeros(3, 4)));
    expect(e.message).toContain("[2, 10, 5]");
    expect(e.message).toContain("[3, 4]");
    expect(e.message).toContain("mat1 and mat2 shapes cannot be multiplied (20x5 and 4x3)");
    expect(messageOf(() => F.linear(torch.zeros(2, 4), torch.zeros(3, 4), torch.zeros(4))).message).toMatch(/bias shape \[4\].*\[3, 4\]/);
  });
});

describe("matmul performance", () => {
  it("[1, 4096, 16] x [1, 16, 4096] runs well under a second", () => {
    const a = torch.randn(1, 4096, 16, { generator: new torch.Generator(1) });
    const b = torch.randn(1, 16, 4096, { generator: new torch.Generator(2) });
    torch.matmul(a.narrow(1, 0, 64), b); // warm up the kernel
    // Best of three, measured as this process's CPU time so that other processes competing for
    // the cores do not make it flaky; wall time is logged too.
    let ms = Infinity;
    let wall = Infinity;
    let c = a;
    for (let r = 0; r < 3; r++) {
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      c = torch.matmul(a, b);
      wall = Math.min(wall, performance.now() - t0);
      const cpu = process.cpuUsage(cpu0);
      ms = Math.min(ms, (cpu.user + cpu.system) / 1000);
    }
    expect(c.shape).toEqual([1, 4096, 4096]);
    // Spot-check a few entries against a direct dot product.
    for (const [i, j] of [[0, 0], [4095, 4095], [123, 3001]] as const) {
      let s = 0;
      for (let k = 0; k < 16; k++) s += a.get(0, i, k) * b.get(0, k, j);
      expect(Math.abs(c.get(0, i, j) - s)).toBeLessThanOrEqual(1e-5 + 1e-4 * Math.abs(s));
    }
    console.info(`matmul [1, 4096, 16] x [1, 16, 4096]: ${ms.toFixed(1)} ms CPU, ${wall.toFixed(1)} ms wall`);
    expect(ms).toBeLessThan(1000);
  });
});
