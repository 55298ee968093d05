import { afterEach, describe, expect, it } from "vitest";
import { F } from "./functional.ts";
import type { Tensor } from "./tensor.ts";
import { torch } from "./torch.ts";
import { makeRng } from "./test-helpers.ts";
import {
  bulkModuleBytes, gemmModuleBytes, WASM_ELEMENTWISE_MIN, WASM_ELEMENTWISE_OPS, wasmBulkRuns, WASM_GEMM_MAX_FLOATS, WASM_GEMM_MAX_MACS, setWasmGemmEnabled, wasmElementwise, wasmFirstDifference, wasmGemm, wasmGemmFits, wasmWhere,
} from "./wasm-gemm.ts";
import { ELEMENTWISE_OPS, encodeBulkModule, encodeGemmModule } from "./wasm-gemm-module.ts";

afterEach(() => setWasmGemmEnabled(true));

describe("the module's bytes", () => {
  it("are what wasm-gemm-module.ts encodes (after changing the encoder, put what it prints into gemmModuleBytes)", () => {
    expect(Array.from(gemmModuleBytes()).join(", ")).toBe(Array.from(encodeGemmModule()).join(", "));
  });

  it("of the bulk module too (put what it prints into bulkModuleBytes)", () => {
    expect(Array.from(bulkModuleBytes()).join(", ")).toBe(Array.from(encodeBulkModule()).join(", "));
  });
});

/** Random float32 data with the awkward values in it too: zeros of both signs, tiny, huge, NaN, infinities. */
function data(rng: () => number, n: number, special: boolean): Float32Array {
  const out = new Float32Array(n);
  const odd = [0, -0, 1e-38, -3e38, 3e38, Number.NaN, Number.POSITIVE_INFINITY, 1e-45];
  for (let i = 0; i < n; i++) out[i] = special && rng() < 0.1 ? odd[Math.floor(rng() * odd.length)]! : (rng() - 0.5) * 8;
  return out;
}

function tensorOf(rng: () => number, shape: number[], special = false): Tensor {
  return torch.tensor(Array.from(data(rng, shape.reduce((a, b) => a * b, 1), special)), { dtype: "float32" }).reshape(shape);
}

/** The same product with the WebAssembly path on and off. */
function both(f: () => Tensor): [Tensor, Tensor] {
  setWasmGemmEnabled(true);
  const viaWasm = f();
  setWasmGemmEnabled(false);
  const viaJs = f();
  setWasmGemmEnabled(true);
  return [viaWasm, viaJs];
}

/** Bit for bit, NaN payloads aside (a NaN is compared as NaN). */
function expectSameBits(x: Tensor, y: Tensor, label: string): void {
  expect(x.shape, label).toEqual(y.shape);
  const a = new Float32Array(x.flatten().tolist() as number[]);
  const b = new Float32Array(y.flatten().tolist() as number[]);
  const ai = new Int32Array(a.buffer);
  const bi = new Int32Array(b.buffer);
  for (let i = 0; i < a.length; i++) {
    if (Number.isNaN(a[i]) && Number.isNaN(b[i])) continue;
    if (ai[i] !== bi[i]) expect(`${label} [${i}]: ${a[i]} (${ai[i]})`).toBe(`${label} [${i}]: ${b[i]} (${bi[i]})`);
  }
}

describe("float32 products in WebAssembly", () => {
  it("runs here (Node has WebAssembly), so the tests below compare two paths", () => {
    expect(wasmGemmFits(16, 64)).toBe(true);
    expect(wasmGemmFits(WASM_GEMM_MAX_FLOATS + 1, 1)).toBe(false);
    expect(wasmGemmFits(16, WASM_GEMM_MAX_MACS + 1)).toBe(false);
  });

  it("gives the JS kernel's result to the bit: matmul, bmm and linear on random shapes, with broadcasting", () => {
    const rng = makeRng(2026);
    let products = 0;
    for (let round = 0; round < 60; round++) {
      const d = () => 1 + Math.floor(rng() * 9);
      const [M, K, N, B, H] = [d(), d(), d(), 1 + Math.floor(rng() * 3), 1 + Math.floor(rng() * 3)];
      const special = round % 3 === 0;
      const a = tensorOf(rng, [B, H, M, K], special);
      const b = tensorOf(rng, [B, H, K, N], special);
      const b2 = tensorOf(rng, [K, N], special);
      const b3 = tensorOf(rng, [H, 1, K, N].slice(1), special);
      const w = tensorOf(rng, [N, K], special);
      const bias = tensorOf(rng, [N], special);
      const label = `round ${round}: M ${M} K ${K} N ${N} B ${B} H ${H}`;
      for (const [what, f] of [
        ["4-D matmul", () => torch.matmul(a, b)],
        ["batch broadcast of a 2-D B", () => torch.matmul(a, b2)],
        ["batch broadcast of a 3-D B", () => torch.matmul(a, b3)],
        ["a transposed operand (K.transpose)", () => torch.matmul(a, a.transpose(-2, -1))],
        ["vector x matrix", () => torch.matmul(a.select(0, 0).select(0, 0).select(0, 0), b2)],
        ["matrix x vector", () => torch.matmul(b2, torch.ones([N]))],
        ["bmm", () => torch.bmm(a.select(0, 0), b.select(0, 0))],
        ["linear with bias", () => F.linear(a, w, bias)],
        ["linear without bias", () => F.linear(a, w)],
      ] as [string, () => Tensor][]) {
        const [x, y] = both(f);
        expectSameBits(x, y, `${label}, ${what}`);
        products++;
      }
    }
    expect(products).toBe(540);
  });

  it("leaves int32 products, empty products and products past its size to the JS kernel", () => {
    const ints = torch.arange(0, 12).view(3, 4);
    expect(torch.matmul(ints, ints.transpose(0, 1)).dtype).toBe("int32");
    expect(torch.matmul(torch.ones([0, 3]), torch.ones([3, 2])).shape).toEqual([0, 2]);
    expect(torch.matmul(torch.ones([2, 0]), torch.ones([0, 2])).tolist()).toEqual([[0, 0], [0, 0]]);
    // Past WASM_GEMM_MAX_FLOATS: not taken, nothing written.
    const big = new Float32Array(WASM_GEMM_MAX_FLOATS);
    const out = new Float32Array(4).fill(7);
    expect(wasmGemm(big, new Float32Array(4), null, out, 1, 4, 1, 1, 1, (gemm) => gemm(0, 0, 0))).toBe(false);
    expect([...out]).toEqual([7, 7, 7, 7]);
    // Past WASM_GEMM_MAX_MACS (128^3, where the JS kernel is as fast): not taken either.
    const square = new Float32Array(128 * 128).fill(1);
    const result = new Float32Array(128 * 128).fill(7);
    expect(wasmGemm(square, square, null, result, 128, 128, 128, 128, 1, (gemm) => gemm(0, 0, 0))).toBe(false);
    expect(result.every((v) => v === 7)).toBe(true);
    // A large product still computes (on the JS kernel) the same values as a small one would.
    const x = torch.ones([1, 1100]);
    const y = torch.ones([1100, 1000]);
    expect(torch.matmul(x, y).sum().item()).toBe(1_100_000);
  });

  it("walks many small batches without holding their offsets (300,000 products of 1 x 1)", () => {
    const rng = makeRng(11);
    const a = tensorOf(rng, [300_000, 1, 1]);
    const b = tensorOf(rng, [300_000, 1, 1]);
    const [x, y] = both(() => torch.matmul(a, b));
    expectSameBits(x, y, "300,000 batches");
  });

  it("grows its memory for a larger product and keeps the earlier results right", () => {
    const rng = makeRng(7);
    const small = [tensorOf(rng, [4, 5]), tensorOf(rng, [5, 3])] as const;
    // 32,400 floats (two pages of the module's memory) and 1,008,000 multiply-adds (under WASM_GEMM_MAX_MACS).
    const large = [tensorOf(rng, [120, 60]), tensorOf(rng, [60, 140])] as const;
    for (const [a, b] of [small, large, small]) {
      const [x, y] = both(() => torch.matmul(a, b));
      expectSameBits(x, y, `[${a.shape}] @ [${b.shape}]`);
    }
  });
});

describe("large elementwise ops in WebAssembly", () => {
  const OPS = WASM_ELEMENTWISE_OPS.map(([op]) => op);
  /** Python numbers, some not float32 values (0.7, 1/3), and the awkward ones. */
  const SCALARS = [0.7, 1 / 3, -2, 0, -0, 1e-40, 3e38, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY];
  const SIZES = [WASM_ELEMENTWISE_MIN, 5000, 3 * WASM_ELEMENTWISE_MIN + 3];

  /** f with the WebAssembly path on and off, and how many bulk kernels the first run ran. */
  function bothCounted(f: () => Tensor): [Tensor, Tensor, number] {
    const before = wasmBulkRuns();
    setWasmGemmEnabled(true);
    const viaWasm = f();
    const runs = wasmBulkRuns() - before;
    setWasmGemmEnabled(false);
    const viaJs = f();
    setWasmGemmEnabled(true);
    return [viaWasm, viaJs, runs];
  }

  it("has a kernel for each op the module encodes, comparing or computing as encoded, and each runs", () => {
    expect(WASM_ELEMENTWISE_OPS.map(([op, compare]) => `${op} ${compare}`)).toEqual(ELEMENTWISE_OPS.map(([op, , compare]) => `${op} ${compare}`));
    const n = WASM_ELEMENTWISE_MIN;
    const x = new Float32Array(n).fill(2);
    for (const [op, compare] of WASM_ELEMENTWISE_OPS) {
      const out = compare ? new Uint8Array(n) : new Float32Array(n);
      expect(wasmElementwise(op, x, 0, null, 3, out, n), op).toBe(true);
    }
    expect(wasmElementwise("pow", x, 0, null, 3, new Float32Array(n), n)).toBe(false);
  });

  function expectSame(x: Tensor, y: Tensor, label: string): void {
    expect(x.dtype, label).toBe(y.dtype);
    if (x.dtype === "float32") expectSameBits(x, y, label);
    else expect(x.tolist(), label).toEqual(y.tolist());
  }

  it("gives the JS loop's result to the bit for every op: tensor with tensor, with a Python number either side, with a 0-d tensor", () => {
    const rng = makeRng(33);
    let compared = 0;
    for (const n of SIZES) {
      for (const special of [false, true]) {
        const a = tensorOf(rng, [n], special);
        const b = tensorOf(rng, [n], special);
        const a2 = a.view(n === 5000 ? [50, 100] : [n]);
        const b2 = b.view(n === 5000 ? [50, 100] : [n]);
        for (const op of OPS) {
          const run = (x: Tensor | number, y: Tensor | number) => (torch as unknown as Record<string, (x: Tensor | number, y: Tensor | number) => Tensor>)[op]!(x, y);
          const cases: [string, () => Tensor][] = [
            ["tensor op tensor", () => run(a2, b2)],
            ["tensor op 0-d float32", () => run(a2, torch.tensor(2.5))],
            ["0-d int32 op tensor", () => run(torch.tensor(3, { dtype: "int32" }), b2)],
          ];
          for (const s of SCALARS) cases.push([`tensor op ${s}`, () => run(a2, s)], [`${s} op tensor`, () => run(s, b2)]);
          for (const [what, f] of cases) {
            const [x, y, runs] = bothCounted(f);
            const label = `${op}, n ${n}${special ? ", special values" : ""}: ${what}`;
            expectSame(x, y, label);
            // The op itself ran in WebAssembly (the 0-d operands are made below the threshold, in JS).
            expect(runs, label).toBe(1);
            compared++;
          }
        }
      }
    }
    expect(compared).toBe(SIZES.length * 2 * OPS.length * (3 + 2 * SCALARS.length));
  });

  it("runs them there: the kernels write what the JS loop would, and say when they did not", () => {
    const rng = makeRng(5);
    const n = 5000;
    const x = Float32Array.from({ length: n }, () => (rng() - 0.5) * 10);
    const y = Float32Array.from({ length: n }, () => (rng() - 0.5) * 10);
    const sum = new Float32Array(n);
    expect(wasmElementwise("add", x, 0, y, 0, sum, n)).toBe(true);
    expect(sum.every((v, i) => v === Math.fround(x[i]! + y[i]!))).toBe(true);
    const ge = new Uint8Array(n);
    expect(wasmElementwise("ge", x, 0, null, 0.7, ge, n)).toBe(true);
    expect(ge.every((v, i) => v === (x[i]! >= 0.7 ? 1 : 0))).toBe(true);
    const quotient = new Float32Array(n);
    expect(wasmElementwise("div", null, 1, x, 0, quotient, n)).toBe(true);
    expect(quotient.every((v, i) => v === Math.fround(1 / x[i]!))).toBe(true);
    const picked = new Float32Array(n);
    const cond = Uint8Array.from(ge);
    expect(wasmWhere(cond, x, 0, null, 0.1, picked, n)).toBe(true);
    expect(picked.every((v, i) => v === (cond[i] ? x[i] : Math.fround(0.1)))).toBe(true);
    // Under WASM_ELEMENTWISE_MIN, switched off, or past WASM_GEMM_MAX_FLOATS: false, nothing written.
    const untouched = new Float32Array(n).fill(7);
    expect(wasmElementwise("add", x.subarray(0, WASM_ELEMENTWISE_MIN - 1), 0, null, 1, untouched, WASM_ELEMENTWISE_MIN - 1)).toBe(false);
    setWasmGemmEnabled(false);
    expect(wasmElementwise("add", x, 0, y, 0, untouched, n)).toBe(false);
    expect(wasmWhere(cond, x, 0, y, 0, untouched, n)).toBe(false);
    setWasmGemmEnabled(true);
    const huge = WASM_GEMM_MAX_FLOATS;
    expect(wasmElementwise("add", new Float32Array(huge), 0, null, 1, new Float32Array(huge), huge)).toBe(false);
    expect(untouched.every((v) => v === 7)).toBe(true);
  });

  it("gives where's JS result to the bit, with tensors or numbers on either side, and leaves broadcasting to JS", () => {
    const rng = makeRng(8);
    for (const n of SIZES) {
      const c = torch.rand([n], { generator: new torch.Generator().manualSeed(n) }).lt(0.5);
      const a = tensorOf(rng, [n], true);
      const b = tensorOf(rng, [n], true);
      // The last number: bulk kernels the op ran (1 in WebAssembly, 0 where it stays in JS).
      for (const [what, f, kernels] of [
        ["tensors", () => torch.where(c, a, b), 1],
        ["tensor and 0", () => torch.where(c, a, 0), 1],
        ["0.7 and tensor", () => torch.where(c, 0.7, b), 1],
        ["NaN and -Infinity", () => torch.where(c, Number.NaN, Number.NEGATIVE_INFINITY), 1],
        ["a 0-d float32 tensor", () => torch.where(c, torch.tensor(1.5), b), 1],
        ["a broadcast row", () => torch.where(c.view([1, n]), a.view([1, n]), torch.ones([3, 1])), 0],
        ["int32 operands", () => torch.where(c, torch.ones([n], { dtype: "int32" }), 2), 0],
      ] as [string, () => Tensor, number][]) {
        const [x, y, runs] = bothCounted(f);
        expectSame(x, y, `where, n ${n}: ${what}`);
        expect(runs, `where, n ${n}: ${what}`).toBe(kernels);
      }
    }
  });

  it("finds the first differing int32 element that counts, handing every difference to the judge in order, as a scan does", () => {
    const rng = makeRng(21);
    for (const n of [WASM_ELEMENTWISE_MIN, 3 * WASM_ELEMENTWISE_MIN + 7, 40_000]) {
      const a = Int32Array.from({ length: n }, () => Math.floor(rng() * 2 ** 32) | 0);
      const b = Int32Array.from(a);
      const judged: number[] = [];
      expect(wasmFirstDifference(a, b, n, (i) => judged.push(i) > 0)).toBe(-1);
      expect(judged).toEqual([]);
      const at = [0, 1, Math.floor(n / 2), n - 1];
      for (const i of at) b[i] = ~a[i]!;
      // Judged not to count: every difference is visited once, in order, and none is the answer.
      expect(wasmFirstDifference(a, b, n, (i) => judged.push(i) < 0), `n ${n}`).toBe(-1);
      expect(judged, `n ${n}`).toEqual(at);
      // The first that counts is the answer, whatever came before it.
      expect(wasmFirstDifference(a, b, n, (i) => i > 1)).toBe(Math.floor(n / 2));
      expect(wasmFirstDifference(a, b, n, (i) => i === n - 1)).toBe(n - 1);
      judged.length = 0;
    }
    // Every element different and none counting (a NaN rewritten as another NaN, 40,000 times): one pass.
    const n = 40_000;
    const judged: number[] = [];
    expect(wasmFirstDifference(new Int32Array(n).fill(1), new Int32Array(n), n, (i) => judged.push(i) < 0)).toBe(-1);
    expect(judged.length).toBe(n);
    expect(wasmFirstDifference(new Int32Array(WASM_ELEMENTWISE_MIN - 1), new Int32Array(WASM_ELEMENTWISE_MIN - 1), WASM_ELEMENTWISE_MIN - 1, () => true)).toBeNull();
    setWasmGemmEnabled(false);
    expect(wasmFirstDifference(new Int32Array(5000), new Int32Array(5000), 5000, () => true)).toBeNull();
  });

  it("keeps small ops, int32 ops and pow in JS, with the same results", () => {
    const small = torch.arange(0, 10).float();
    expect(torch.add(small, 1).tolist()).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const ints = torch.arange(0, 3000);
    expect(torch.add(ints, 1).dtype).toBe("int32");
    expect(torch.add(ints, 1).sum().item()).toBe((3000 * 3001) / 2);
    const [x, y] = both(() => torch.pow(torch.full([2000], 1.5), 2));
    expectSameBits(x, y, "pow");
  });

  it("draws the JS generator's numbers to the bit, and leaves its state where the JS loop would", () => {
    for (const seed of [0, 1, 2024, 2 ** 31 - 1]) {
      const draw = () => {
        const g = new torch.Generator().manualSeed(seed);
        // rand (float32), randn (Box-Muller on float64 chunks of 4,096 uniforms: 9,000 of them), uniform_ in a range,
        // the kit's own dropout; then small draws (JS) that go on from the state the large ones left.
        return torch.cat([
          torch.rand([5000], { generator: g }),
          torch.randn([4500], { generator: g }),
          torch.empty([4200]).uniform_(-0.3, 0.7, g),
          torch.rand([5], { generator: g }),
          F.dropout(torch.ones([6000]), 0.3, true, g),
          torch.rand([7], { generator: g }),
        ]);
      };
      const [x, y, runs] = bothCounted(draw);
      expectSameBits(x, y, `seed ${seed}`);
      // rand, the first 4,096 of randn's 9,000 uniforms, uniform_ and dropout's draw, at least.
      expect(runs, `seed ${seed}`).toBeGreaterThanOrEqual(4);
    }
  });
});
