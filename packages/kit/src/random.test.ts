import { describe, expect, it } from "vitest";
import { torch } from "./torch.ts";
import { F } from "./functional.ts";
import { Generator, nextU32, normalsInto, uniformsInto } from "./random.ts";

/**
 * An independent re-implementation of the documented generator with BigInt arithmetic:
 * splitmix32 seeds the four xoshiro128** state words; random() = (next >>> 8) / 2^24;
 * Box-Muller with u1 = 1 - random(), u2 = random().
 */
const M32 = (1n << 32n) - 1n;
function referenceGenerator(seed: number) {
  let s = BigInt(seed >>> 0);
  const splitmix32 = (): bigint => {
    s = (s + 0x9e3779b9n) & M32;
    let t = s ^ (s >> 16n);
    t = (t * 0x21f0aaadn) & M32;
    t ^= t >> 15n;
    t = (t * 0x735a2d97n) & M32;
    t ^= t >> 15n;
    return t;
  };
  const st = [splitmix32(), splitmix32(), splitmix32(), splitmix32()] as [bigint, bigint, bigint, bigint];
  const rotl = (x: bigint, k: bigint): bigint => ((x << k) | (x >> (32n - k))) & M32;
  const next = (): bigint => {
    const result = (rotl((st[1] * 5n) & M32, 7n) * 9n) & M32;
    const t = (st[1] << 9n) & M32;
    st[2] ^= st[0];
    st[3] ^= st[1];
    st[1] ^= st[2];
    st[0] ^= st[3];
    st[2] ^= t;
    st[3] = rotl(st[3], 11n);
    return result;
  };
  const random = (): number => Number(next() >> 8n) / 16777216;
  const normal = (): number => {
    const u1 = 1 - random();
    const u2 = random();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  };
  return { next, random, normal };
}

describe("default generator", () => {
  // Runs first in this file: nothing has drawn from the default generator yet.
  it("starts at seed 0", () => {
    expect(torch.initialSeed()).toBe(0);
    const ref = referenceGenerator(0);
    const expected = [ref.random(), ref.random(), ref.random(), ref.random()];
    expect(torch.rand(4).tolist()).toEqual(expected);
  });

  it("manualSeed resets it and returns the generator", () => {
    const g = torch.manualSeed(42);
    expect(g).toBeInstanceOf(torch.Generator);
    expect(g.initialSeed()).toBe(42);
    expect(torch.initialSeed()).toBe(42);
    const a = torch.randn(8).tolist();
    torch.manualSeed(42);
    expect(torch.randn(8).tolist()).toEqual(a);
  });
});

describe("xoshiro128** seeded by splitmix32", () => {
  it("fixed seeds give fixed first values (literal, from the BigInt reference)", () => {
    const g0 = new Generator(0);
    expect([nextU32(g0), nextU32(g0), nextU32(g0), nextU32(g0)]).toEqual([1789933344, 44971166, 2521387044, 3848737593]);
    const g42 = new Generator().manualSeed(42);
    expect([nextU32(g42), nextU32(g42), nextU32(g42), nextU32(g42)]).toEqual([660444221, 3652823732, 77672526, 910233633]);
    expect(torch.rand(4, { generator: new Generator(0) }).tolist()).toEqual([
      0.41675132513046265, 0.01047062873840332, 0.5870561599731445, 0.8961040377616882,
    ]);
    expect(torch.rand([4], { generator: new Generator(42) }).tolist()).toEqual([
      0.15377163887023926, 0.8504892587661743, 0.01808452606201172, 0.2119302749633789,
    ]);
  });

  for (const seed of [0, 1, 42, 123456789, 0xffffffff]) {
    it(`matches the reference for seed ${seed}: next, rand, randn`, () => {
      const ref = referenceGenerator(seed);
      const g = new Generator(seed);
      for (let i = 0; i < 1000; i++) expect(nextU32(g)).toBe(Number(ref.next()));
      const r1 = referenceGenerator(seed);
      const u = torch.rand(3, 7, { generator: new Generator(seed) });
      expect(u.data()).toEqual(Float32Array.from({ length: 21 }, () => r1.random()));
      const r2 = referenceGenerator(seed);
      const z = torch.randn(5, 9, { generator: new Generator(seed) });
      expect(z.data()).toEqual(Float32Array.from({ length: 45 }, () => r2.normal()));
    });
  }

  it("negative and large seeds wrap to uint32", () => {
    expect(torch.rand(3, { generator: new Generator(-1) }).tolist()).toEqual(torch.rand(3, { generator: new Generator(0xffffffff) }).tolist());
    expect(new Generator(2 ** 32 + 5).initialSeed()).toBe(5);
    expect(() => new Generator(1.5)).toThrow(/integer seed/);
  });

  it("generators are independent of each other and of the default generator", () => {
    torch.manualSeed(7);
    const before = torch.rand(3).tolist();
    torch.manualSeed(7);
    const g = new Generator(99);
    torch.rand(100, { generator: g });
    expect(torch.rand(3).tolist()).toEqual(before);
    const a = new Generator(3);
    const b = new Generator(3);
    expect(torch.randn(10, { generator: a }).tolist()).toEqual(torch.randn(10, { generator: b }).tolist());
  });
});

describe("distributions", () => {
  const n = 100000;
  it("randn: mean and variance within statistical bounds (n = 100000, seed 2024)", () => {
    const z = torch.randn(n, { generator: new Generator(2024) });
    const mean = z.mean().item();
    const variance = z.var().item();
    // 5 standard errors: se(mean) = 1/sqrt(n), se(var) ~ sqrt(2/n).
    expect(Math.abs(mean)).toBeLessThan(5 / Math.sqrt(n));
    expect(Math.abs(variance - 1)).toBeLessThan(5 * Math.sqrt(2 / n));
    expect(z.isfinite().all().item()).toBe(1);
  });

  it("rand: uniform [0, 1) with mean 1/2 and variance 1/12", () => {
    const u = torch.rand(n, { generator: new Generator(77) });
    expect(u.min().item()).toBeGreaterThanOrEqual(0);
    expect(u.max().item()).toBeLessThan(1);
    expect(Math.abs(u.mean().item() - 0.5)).toBeLessThan(5 * Math.sqrt(1 / 12 / n));
    expect(Math.abs(u.var().item() - 1 / 12)).toBeLessThan(5 * Math.sqrt(1 / 180 / n));
  });

  it("uniform_ / normal_ fill in place with the given generator", () => {
    const t = torch.empty(4, 5);
    expect(t.uniform_(-2, 3, new Generator(5))).toBe(t);
    const ref = referenceGenerator(5);
    expect(t.data()).toEqual(Float32Array.from({ length: 20 }, () => -2 + 5 * ref.random()));
    const r2 = referenceGenerator(6);
    t.normal_(1, 0.5, new Generator(6));
    expect(t.data()).toEqual(Float32Array.from({ length: 20 }, () => 1 + 0.5 * r2.normal()));
    expect(() => t.normal_(0, -1)).toThrow(/std >= 0.0/);
  });

  it("randint: range, dtype, both signatures and the reference formula", () => {
    const r = torch.randint(-3, 4, [1000], { generator: new Generator(11) });
    expect(r.dtype).toBe("int32");
    expect(r.min().item()).toBe(-3);
    expect(r.max().item()).toBe(3);
    const ref = referenceGenerator(11);
    expect(Array.from(r.data().slice(0, 20))).toEqual(Array.from({ length: 20 }, () => -3 + Math.floor(ref.random() * 7)));
    const r2 = torch.randint(5, [2, 3], { generator: new Generator(1) });
    expect(r2.shape).toEqual([2, 3]);
    expect(r2.max().item()).toBeLessThan(5);
    expect(() => torch.randint(5, 5, [2])).toThrow(/from=5 >= to=5/);
  });

  it("randperm: a permutation, Fisher-Yates with the reference random()", () => {
    const p = torch.randperm(50, { generator: new Generator(8) });
    expect(p.dtype).toBe("int32");
    const vals = Array.from(p.data()).sort((a, b) => a - b);
    expect(vals).toEqual(Array.from({ length: 50 }, (_, i) => i));
    const ref = referenceGenerator(8);
    const arr = Array.from({ length: 50 }, (_, i) => i);
    for (let i = 49; i > 0; i--) {
      const j = Math.floor(ref.random() * (i + 1));
      [arr[i], arr[j]] = [arr[j]!, arr[i]!];
    }
    expect(Array.from(p.data())).toEqual(arr);
    expect(torch.randperm(0).shape).toEqual([0]);
  });

  it("shape arguments and validation", () => {
    expect(torch.randn([2, 3]).shape).toEqual([2, 3]);
    expect(torch.randn(2, 3, 4).shape).toEqual([2, 3, 4]);
    expect(() => torch.rand()).toThrow(/rand\(\) missing the size/);
    expect(torch.rand([]).shape).toEqual([]);
    expect(() => torch.randn(2, -1)).toThrow(/negative dimension -1/);
    expect(() => torch.randn(2, { generator: {} as Generator })).toThrow(/generator must be a torch.Generator/);
  });
});

describe("bulk fills draw the numbers the per-number path draws", () => {
  // uniformsInto / normalsInto keep the generator's state in locals (fast in a fresh isolate): the same
  // numbers, in the same order, leaving the generator where as many single draws would.
  const seeds = [0, 5, 2024, 0xffffffff, -7];
  const sizes = [0, 1, 2, 17, 4097];

  // Each fill with its defaults (the plain draw), then scaled, against the reference's single draws.
  const fills = [
    { name: "uniforms", fill: uniformsInto, one: (r: ReturnType<typeof referenceGenerator>) => r.random(), a: -0.25, b: 0.5 },
    { name: "normals", fill: (g: Generator, out: Float64Array, n: number, a?: number, b?: number) => normalsInto(g, out, n, a, b, a === undefined), one: (r: ReturnType<typeof referenceGenerator>) => r.normal(), a: 3, b: 0.1 },
  ];
  it.each(fills)("$name: plain and scaled, then the next draw", ({ fill, one, a, b }) => {
    for (const seed of seeds) {
      for (const n of sizes) {
        const ref = referenceGenerator(seed);
        const g = new Generator(seed);
        const plain = new Float64Array(n);
        fill(g, plain, n);
        expect(Array.from(plain), `seed ${seed} n ${n}`).toEqual(Array.from({ length: n }, () => one(ref)));
        const scaled = new Float64Array(n);
        fill(g, scaled, n, a, b);
        expect(Array.from(scaled)).toEqual(Array.from({ length: n }, () => a + b * one(ref)));
        expect(nextU32(g)).toBe(Number(ref.next()));
      }
    }
  });

  it("rand, randn, xavier-sized fills and dropout give the reference's values", () => {
    const ref = referenceGenerator(42);
    const g = new Generator(42);
    expect(torch.rand([64, 256], { generator: g }).data()).toEqual(Float32Array.from({ length: 64 * 256 }, () => ref.random()));
    expect(torch.randn([72, 128], { generator: g }).data()).toEqual(Float32Array.from({ length: 72 * 128 }, () => ref.normal()));
    const w = torch.empty(64, 256);
    w.uniform_(-0.1, 0.2, g);
    expect(w.data()).toEqual(Float32Array.from({ length: 64 * 256 }, () => -0.1 + (0.2 - -0.1) * ref.random()));
    // 4,800 elements: more than one chunk of uniforms (see uniformChunks).
    const x = torch.ones(8, 600);
    const dropped = F.dropout(x, 0.3, true, g);
    const scale = 1 / (1 - 0.3);
    expect(dropped.data()).toEqual(Float32Array.from({ length: 8 * 600 }, () => (ref.random() >= 0.3 ? scale : 0)));
    // p = 1 drops everything and still draws one number per element.
    expect(Array.from(F.dropout(x, 1, true, g).data()).every((v) => v === 0)).toBe(true);
    for (let i = 0; i < 8 * 600; i++) ref.random();
    expect(nextU32(g)).toBe(Number(ref.next()));
  });
});
