import { afterEach, describe, expect, it } from "vitest";
import { F } from "./functional.ts";
import type { Tensor } from "./tensor.ts";
import { torch } from "./torch.ts";
import { makeRng } from "./test-helpers.ts";
import { gemmModuleBytes, WASM_GEMM_MAX_FLOATS, WASM_GEMM_MAX_MACS, setWasmGemmEnabled, wasmGemm, wasmGemmFits } from "./wasm-gemm.ts";
import { encodeGemmModule } from "./wasm-gemm-module.ts";

afterEach(() => setWasmGemmEnabled(true));

describe("the module's bytes", () => {
  it("are what wasm-gemm-module.ts encodes (after changing the encoder, put what it prints into gemmModuleBytes)", () => {
    expect(Array.from(gemmModuleBytes()).join(", ")).toBe(Array.from(encodeGemmModule()).join(", "));
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
