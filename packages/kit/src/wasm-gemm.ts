/**
 * float32 matrix products in WebAssembly, for the grader's cold isolates.
 *
 * A submission's isolate is new, so the kit's JavaScript runs in V8's interpreter and baseline
 * compiler, where every floating-point value a kernel reads or computes is a heap number: the JS
 * product kernel allocated ~40 bytes per multiply-add, and the scavenges that followed were the
 * largest single cost of a grading's calls (issue 15's note). WebAssembly has no such boxing and is
 * compiled once per process (V8 caches the module by its bytes), so the product runs at native speed
 * from its first call.
 *
 * The result is the JS kernel's to the bit: each output element is the same sum in the same order,
 * in doubles (f32 loads promoted, f64 multiply and add, no fused multiply-add in WebAssembly), the
 * bias added after the sum, rounded once to float32 when stored (`matmul.test.ts` compares the two
 * on random shapes). Only float32 products within WASM_GEMM_MAX_FLOATS and WASM_GEMM_MAX_MACS come
 * here; the rest, and every product where WebAssembly is missing or fails, run the JS kernel.
 *
 * Sandboxing: the grader removes the `WebAssembly` global before a submission's code runs; the kit
 * keeps only the two constructors captured below, at its own evaluation, in this module's scope,
 * and nothing it hands out reaches the instance or its memory (results are copied out). The memory
 * is outside isolated-vm's heap limit, so it is bounded here (SECURITY.md).
 */

/** The most floats (operands, bias and result together) a product may copy into the module's memory: 4 MB. */
export const WASM_GEMM_MAX_FLOATS = 1 << 20;
/**
 * The most multiply-adds (all batches together) a product runs here. The loop below is the plain
 * one (B read with a stride, one sum at a time); past ~100^3 the JS kernel, once V8 has optimised its
 * blocked loop, is as fast or faster (a cold 64 MB sandbox, three products of n x n: n = 64: 3 ms
 * here against 7 in JS; 100: 7 / 8; 128: 12 / 12; 160: 21 / 16; 256: 81 / 43), so larger products
 * run there and no submission gets slower.
 */
export const WASM_GEMM_MAX_MACS = 1 << 20;

const PAGE_FLOATS = 65536 / 4;

/** The parts of WebAssembly used here (the kit's TypeScript library has no WebAssembly types). */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { readonly exports: Record<string, unknown> };
}

// Captured when the kit is evaluated: in the sandbox that is before the global is removed.
const API: WasmApi | null = (() => {
  const wasm = (globalThis as { WebAssembly?: Partial<WasmApi> }).WebAssembly;
  if (typeof wasm !== "object" || wasm === null || typeof wasm.Module !== "function" || typeof wasm.Instance !== "function") return null;
  return { Module: wasm.Module, Instance: wasm.Instance };
})();

type GemmFn = (a: number, b: number, out: number, bias: number, M: number, K: number, N: number, bStrideK: number, bStrideN: number) => void;

interface Loaded {
  gemm: GemmFn;
  memory: WasmMemory;
  view: Float32Array;
}

/** undefined: not tried yet; null: unavailable here (then never tried again in this realm). */
let loaded: Loaded | null | undefined;
/** For tests: turn the WebAssembly path off (false) or back on. */
let enabled = true;

export function setWasmGemmEnabled(on: boolean): void {
  enabled = on;
}

// ---------------------------------------------------------------------------------------------
// The module, encoded here (a few hundred bytes) so that it can be read and reviewed as code:
//
//   (func (export "gemm") (param a b out bias M K N sk sn i32)
//     for i in 0..M, j in 0..N:
//       s: f64 = 0
//       for p in 0..K: s = s + f64(a[a + i*K + p]) * f64(b[b + p*sk + j*sn])
//       if bias >= 0: s = s + f64(bias[bias + j])
//       out[out + i*N + j] = f32(s))
//   (memory (export "memory") 1)
//
// Offsets are in floats; b is read with strides, so B [K, N] (sk = N, sn = 1) and a transposed
// weight [N, K] (sk = 1, sn = K) need no copy in between.

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

function section(id: number, body: number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}

function moduleBytes(): Uint8Array {
  const I32 = 0x7f;
  const F64 = 0x7c;
  // Parameters 0-8, then locals: i, j, p, row (i32) and s (f64).
  const [A, B, OUT, BIAS, M, K, N, SK, SN, I, J, P, ROW, S] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13] as const;
  const get = (l: number) => [0x20, l];
  const set = (l: number) => [0x21, l];
  const i32 = (v: number) => [0x41, v]; // 0 <= v < 64 only (one-byte signed LEB128)
  const add = [0x6a];
  const mul = [0x6c];
  const shl2 = [...i32(2), 0x74];
  const f32load = [0x2a, 2, 0];
  const f32store = [0x38, 2, 0];
  const promote = [0xbb];
  const loop = (counter: number, bound: number, body: number[]) => [
    ...i32(0), ...set(counter),
    0x02, 0x40, 0x03, 0x40, // block, loop
    ...get(counter), ...get(bound), 0x4e, 0x0d, 1, // counter >= bound (signed): leave the block
    ...body,
    ...get(counter), ...i32(1), ...add, ...set(counter),
    0x0c, 0, 0x0b, 0x0b, // back to the loop; end loop, end block
  ];
  const inner = [
    ...get(S),
    ...get(ROW), ...get(P), ...add, ...shl2, ...f32load, ...promote,
    ...get(B), ...get(P), ...get(SK), ...mul, ...add, ...get(J), ...get(SN), ...mul, ...add, ...shl2, ...f32load, ...promote,
    0xa2, 0xa0, ...set(S), // f64.mul, f64.add
  ];
  const column = [
    0x44, 0, 0, 0, 0, 0, 0, 0, 0, ...set(S), // s = +0
    ...loop(P, K, inner),
    ...get(BIAS), ...i32(0), 0x4e, 0x04, 0x40, // if bias >= 0
    ...get(S), ...get(BIAS), ...get(J), ...add, ...shl2, ...f32load, ...promote, 0xa0, ...set(S),
    0x0b,
    ...get(OUT), ...get(I), ...get(N), ...mul, ...add, ...get(J), ...add, ...shl2, ...get(S), 0xb6, ...f32store, // f32.demote_f64
  ];
  const rowBody = [...get(A), ...get(I), ...get(K), ...mul, ...add, ...set(ROW), ...loop(J, N, column)];
  const code = [...uleb(2), ...uleb(4), I32, ...uleb(1), F64, ...loop(I, M, rowBody), 0x0b];
  const name = (s: string) => [...uleb(s.length), ...Array.from(s, (c) => c.charCodeAt(0))];
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, [1, 0x60, 9, I32, I32, I32, I32, I32, I32, I32, I32, I32, 0]), // one type: 9 x i32 -> ()
    ...section(3, [1, 0]), // one function of type 0
    ...section(5, [1, 0x00, 1]), // one memory, at least one page
    ...section(7, [2, ...name("gemm"), 0x00, 0, ...name("memory"), 0x02, 0]),
    ...section(10, [1, ...uleb(code.length), ...code]),
  ]);
}

function load(): Loaded | null {
  if (loaded !== undefined) return loaded;
  loaded = null;
  if (API === null) return null;
  try {
    const instance = new API.Instance(new API.Module(moduleBytes()), {});
    const memory = instance.exports.memory as WasmMemory;
    loaded = { gemm: instance.exports.gemm as GemmFn, memory, view: new Float32Array(memory.buffer) };
  } catch {
    // No WebAssembly here after all (a realm without it, an engine that refuses it): the JS kernel.
  }
  return loaded;
}

/** "off": turned off (setWasmGemmEnabled); "unavailable": no WebAssembly here; "idle": not used yet; "loaded": in use. */
export type KitKernels = "off" | "unavailable" | "idle" | "loaded";

export function wasmGemmState(): KitKernels {
  if (!enabled) return "off";
  if (loaded === undefined) return API === null ? "unavailable" : "idle";
  return loaded === null ? "unavailable" : "loaded";
}

/** Whether a product of `floats` floats in all (operands, bias, result) and `macs` multiply-adds would run here (see wasmGemm). */
export function wasmGemmFits(floats: number, macs: number): boolean {
  return enabled && floats <= WASM_GEMM_MAX_FLOATS && macs <= WASM_GEMM_MAX_MACS && load() !== null;
}

/**
 * out[o + i*N + j] = sum_p a[ao + i*K + p] * b[bo + p*bStrideK + j*bStrideN] (+ bias[j]) for each
 * product `products` asks for: it is called once, with a `gemm(ao, bo, o)` (offsets in floats) to
 * call per product. Returns false, having written nothing, when the product cannot run here (too
 * large, no WebAssembly, its memory cannot grow): the caller then runs its JS kernel.
 */
export function wasmGemm(
  a: Float32Array, b: Float32Array, bias: Float32Array | null, out: Float32Array,
  M: number, K: number, N: number, bStrideK: number, bStrideN: number,
  products: (gemm: (aOff: number, bOff: number, outOff: number) => void) => void,
): boolean {
  if (!enabled) return false;
  const total = a.length + b.length + (bias === null ? 0 : bias.length) + out.length;
  if (total > WASM_GEMM_MAX_FLOATS || (out.length / N) * K * N > WASM_GEMM_MAX_MACS) return false;
  const w = load();
  if (w === null) return false;
  if (w.view.length < total) {
    try {
      w.memory.grow(Math.ceil((total - w.view.length) / PAGE_FLOATS));
    } catch {
      return false;
    }
    w.view = new Float32Array(w.memory.buffer);
  }
  const view = w.view;
  const bBase = a.length;
  const biasBase = bBase + b.length;
  const outBase = biasBase + (bias === null ? 0 : bias.length);
  view.set(a, 0);
  view.set(b, bBase);
  if (bias !== null) view.set(bias, biasBase);
  const gemm = w.gemm;
  const biasAt = bias === null ? -1 : biasBase;
  try {
    products((aOff, bOff, outOff) => gemm(aOff, bBase + bOff, outBase + outOff, biasAt, M, K, N, bStrideK, bStrideN));
  } catch {
    // A trap would be the kit's fault, never the student's: nothing is written yet, so the JS kernel
    // computes the product instead. (A time limit's termination is not an exception and passes.)
    return false;
  }
  out.set(view.subarray(outBase, outBase + out.length));
  return true;
}
