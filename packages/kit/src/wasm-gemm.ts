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
 * Since stop 33 a second module (`bulkModuleBytes`, instantiated in a context only when first needed)
 * runs large elementwise ops, where, the generator's uniforms and the harness's comparison of a
 * call's inputs with their copies (WASM_ELEMENTWISE_MIN and below).
 *
 * Sandboxing: the grader removes the `WebAssembly` global before a submission's code runs; the kit
 * keeps only the two constructors captured below, at its own evaluation, in this module's scope,
 * and nothing it hands out reaches an instance or its memory (results are copied out). The memories
 * are outside isolated-vm's heap limit, so they are bounded here (SECURITY.md).
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

// The module's bytes: wasm-gemm-module.ts encodes them, readably, and `wasm-gemm.test.ts` checks that
// these are its output. A literal, not the encoder: in a cold isolate the encoder's arrays cost ~0.6 ms
// per context (twice per grading) where the literal costs tens of microseconds, and only when a
// product first needs the module.
export function gemmModuleBytes(): Uint8Array {
  return new Uint8Array([
    0, 97, 115, 109, 1, 0, 0, 0, 1, 13, 1, 96, 9, 127, 127, 127, 127, 127, 127, 127, 127, 127, 0, 3, 2,
    1, 0, 5, 3, 1, 0, 1, 7, 17, 2, 4, 103, 101, 109, 109, 0, 0, 6, 109, 101, 109, 111, 114, 121, 2, 0,
    10, 192, 1, 1, 189, 1, 2, 4, 127, 1, 124, 65, 0, 33, 9, 2, 64, 3, 64, 32, 9, 32, 4, 78, 13, 1, 32,
    0, 32, 9, 32, 5, 108, 106, 33, 12, 65, 0, 33, 10, 2, 64, 3, 64, 32, 10, 32, 6, 78, 13, 1, 68, 0, 0,
    0, 0, 0, 0, 0, 0, 33, 13, 65, 0, 33, 11, 2, 64, 3, 64, 32, 11, 32, 5, 78, 13, 1, 32, 13, 32, 12,
    32, 11, 106, 65, 2, 116, 42, 2, 0, 187, 32, 1, 32, 11, 32, 7, 108, 106, 32, 10, 32, 8, 108, 106,
    65, 2, 116, 42, 2, 0, 187, 162, 160, 33, 13, 32, 11, 65, 1, 106, 33, 11, 12, 0, 11, 11, 32, 3, 65,
    0, 78, 4, 64, 32, 13, 32, 3, 32, 10, 106, 65, 2, 116, 42, 2, 0, 187, 160, 33, 13, 11, 32, 2, 32, 9,
    32, 6, 108, 106, 32, 10, 106, 65, 2, 116, 32, 13, 182, 56, 2, 0, 32, 10, 65, 1, 106, 33, 10, 12, 0,
    11, 11, 32, 9, 65, 1, 106, 33, 9, 12, 0, 11, 11, 11,
  ]);
}

/** A module's exports, or null where there is no WebAssembly after all (a realm without it, an engine that refuses it). */
function instantiate(bytes: Uint8Array): Record<string, unknown> | null {
  if (API === null) return null;
  try {
    return new API.Instance(new API.Module(bytes), {}).exports;
  } catch {
    return null;
  }
}

function load(): Loaded | null {
  if (loaded !== undefined) return loaded;
  const exports = instantiate(gemmModuleBytes());
  if (exports === null) return (loaded = null);
  const memory = exports.memory as WasmMemory;
  loaded = { gemm: exports.gemm as GemmFn, memory, view: new Float32Array(memory.buffer) };
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
    if (!grow(w.memory, w.view.length, total)) return false;
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

type ElementwiseFn = (x: number, y: number, out: number, n: number, xs: number, ys: number, sx: number, sy: number) => void;
type WhereFn = (c: number, x: number, y: number, out: number, n: number, xs: number, ys: number, sx: number, sy: number) => void;
type DiffFn = (a: number, b: number, n: number) => number;
type UniformsFn = (out: number, n: number, st: number, a: number, span: number, wide: number) => void;

interface Bulk {
  elementwise: Map<string, { fn: ElementwiseFn; compare: boolean }>;
  where: WhereFn;
  diff: DiffFn;
  uniforms: UniformsFn;
  memory: WasmMemory;
  view: Float32Array;
  bytes: Uint8Array;
  words: Int32Array;
}

/** undefined: not tried yet; null: unavailable here (then never tried again in this realm). */
let bulk: Bulk | null | undefined;

// wasm-gemm-module.ts's encodeBulkModule, as a literal (see gemmModuleBytes).
export function bulkModuleBytes(): Uint8Array {
  return new Uint8Array([
    0, 97, 115, 109, 1, 0, 0, 0, 1, 40, 4, 96, 8, 127, 127, 127, 127, 127, 127, 124, 124, 0, 96, 9, 127,
    127, 127, 127, 127, 127, 127, 124, 124, 0, 96, 3, 127, 127, 127, 1, 127, 96, 6, 127, 127, 127, 124,
    124, 127, 0, 3, 16, 15, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 5, 3, 1, 0, 1, 7, 110, 16, 3,
    97, 100, 100, 0, 0, 3, 115, 117, 98, 0, 1, 3, 109, 117, 108, 0, 2, 3, 100, 105, 118, 0, 3, 7, 109,
    105, 110, 105, 109, 117, 109, 0, 4, 7, 109, 97, 120, 105, 109, 117, 109, 0, 5, 2, 101, 113, 0, 6, 2,
    110, 101, 0, 7, 2, 108, 116, 0, 8, 2, 103, 116, 0, 9, 2, 108, 101, 0, 10, 2, 103, 101, 0, 11, 5, 119,
    104, 101, 114, 101, 0, 12, 4, 100, 105, 102, 102, 0, 13, 8, 117, 110, 105, 102, 111, 114, 109, 115,
    0, 14, 6, 109, 101, 109, 111, 114, 121, 2, 0, 10, 131, 10, 15, 77, 1, 1, 127, 65, 0, 33, 8, 2, 64,
    3, 64, 32, 8, 32, 3, 78, 13, 1, 32, 2, 32, 8, 65, 2, 116, 106, 32, 6, 32, 0, 32, 8, 65, 2, 116, 106,
    42, 2, 0, 187, 32, 4, 27, 32, 7, 32, 1, 32, 8, 65, 2, 116, 106, 42, 2, 0, 187, 32, 5, 27, 160, 182,
    56, 2, 0, 32, 8, 65, 1, 106, 33, 8, 12, 0, 11, 11, 11, 77, 1, 1, 127, 65, 0, 33, 8, 2, 64, 3, 64, 32,
    8, 32, 3, 78, 13, 1, 32, 2, 32, 8, 65, 2, 116, 106, 32, 6, 32, 0, 32, 8, 65, 2, 116, 106, 42, 2, 0,
    187, 32, 4, 27, 32, 7, 32, 1, 32, 8, 65, 2, 116, 106, 42, 2, 0, 187, 32, 5, 27, 161, 182, 56, 2, 0,
    32, 8, 65, 1, 106, 33, 8, 12, 0, 11, 11, 11, 77, 1, 1, 127, 65, 0, 33, 8, 2, 64, 3, 64, 32, 8, 32,
    3, 78, 13, 1, 32, 2, 32, 8, 65, 2, 116, 106, 32, 6, 32, 0, 32, 8, 65, 2, 116, 106, 42, 2, 0, 187, 32,
    4, 27, 32, 7, 32, 1, 32, 8, 65, 2, 116, 106, 42, 2, 0, 187, 32, 5, 27, 162, 182, 56, 2, 0, 32, 8, 65,
    1, 106, 33, 8, 12, 0, 11, 11, 11, 77, 1, 1, 127, 65, 0, 33, 8, 2, 64, 3, 64, 32, 8, 32, 3, 78, 13,
    1, 32, 2, 32, 8, 65, 2, 116, 106, 32, 6, 32, 0, 32, 8, 65, 2, 116, 106, 42, 2, 0, 187, 32, 4, 27, 32,
    7, 32, 1, 32, 8, 65, 2, 116, 106, 42, 2, 0, 187, 32, 5, 27, 163, 182, 56, 2, 0, 32, 8, 65, 1, 106,
    33, 8, 12, 0, 11, 11, 11, 77, 1, 1, 127, 65, 0, 33, 8, 2, 64, 3, 64, 32, 8, 32, 3, 78, 13, 1, 32, 2,
    32, 8, 65, 2, 116, 106, 32, 6, 32, 0, 32, 8, 65, 2, 116, 106, 42, 2, 0, 187, 32, 4, 27, 32, 7, 32,
    1, 32, 8, 65, 2, 116, 106, 42, 2, 0, 187, 32, 5, 27, 164, 182, 56, 2, 0, 32, 8, 65, 1, 106, 33, 8,
    12, 0, 11, 11, 11, 77, 1, 1, 127, 65, 0, 33, 8, 2, 64, 3, 64, 32, 8, 32, 3, 78, 13, 1, 32, 2, 32, 8,
    65, 2, 116, 106, 32, 6, 32, 0, 32, 8, 65, 2, 116, 106, 42, 2, 0, 187, 32, 4, 27, 32, 7, 32, 1, 32,
    8, 65, 2, 116, 106, 42, 2, 0, 187, 32, 5, 27, 165, 182, 56, 2, 0, 32, 8, 65, 1, 106, 33, 8, 12, 0,
    11, 11, 11, 73, 1, 1, 127, 65, 0, 33, 8, 2, 64, 3, 64, 32, 8, 32, 3, 78, 13, 1, 32, 2, 32, 8, 106,
    32, 6, 32, 0, 32, 8, 65, 2, 116, 106, 42, 2, 0, 187, 32, 4, 27, 32, 7, 32, 1, 32, 8, 65, 2, 116, 106,
    42, 2, 0, 187, 32, 5, 27, 97, 58, 0, 0, 32, 8, 65, 1, 106, 33, 8, 12, 0, 11, 11, 11, 73, 1, 1, 127,
    65, 0, 33, 8, 2, 64, 3, 64, 32, 8, 32, 3, 78, 13, 1, 32, 2, 32, 8, 106, 32, 6, 32, 0, 32, 8, 65, 2,
    116, 106, 42, 2, 0, 187, 32, 4, 27, 32, 7, 32, 1, 32, 8, 65, 2, 116, 106, 42, 2, 0, 187, 32, 5, 27,
    98, 58, 0, 0, 32, 8, 65, 1, 106, 33, 8, 12, 0, 11, 11, 11, 73, 1, 1, 127, 65, 0, 33, 8, 2, 64, 3, 64,
    32, 8, 32, 3, 78, 13, 1, 32, 2, 32, 8, 106, 32, 6, 32, 0, 32, 8, 65, 2, 116, 106, 42, 2, 0, 187, 32,
    4, 27, 32, 7, 32, 1, 32, 8, 65, 2, 116, 106, 42, 2, 0, 187, 32, 5, 27, 99, 58, 0, 0, 32, 8, 65, 1,
    106, 33, 8, 12, 0, 11, 11, 11, 73, 1, 1, 127, 65, 0, 33, 8, 2, 64, 3, 64, 32, 8, 32, 3, 78, 13, 1,
    32, 2, 32, 8, 106, 32, 6, 32, 0, 32, 8, 65, 2, 116, 106, 42, 2, 0, 187, 32, 4, 27, 32, 7, 32, 1, 32,
    8, 65, 2, 116, 106, 42, 2, 0, 187, 32, 5, 27, 100, 58, 0, 0, 32, 8, 65, 1, 106, 33, 8, 12, 0, 11, 11,
    11, 73, 1, 1, 127, 65, 0, 33, 8, 2, 64, 3, 64, 32, 8, 32, 3, 78, 13, 1, 32, 2, 32, 8, 106, 32, 6, 32,
    0, 32, 8, 65, 2, 116, 106, 42, 2, 0, 187, 32, 4, 27, 32, 7, 32, 1, 32, 8, 65, 2, 116, 106, 42, 2, 0,
    187, 32, 5, 27, 101, 58, 0, 0, 32, 8, 65, 1, 106, 33, 8, 12, 0, 11, 11, 11, 73, 1, 1, 127, 65, 0, 33,
    8, 2, 64, 3, 64, 32, 8, 32, 3, 78, 13, 1, 32, 2, 32, 8, 106, 32, 6, 32, 0, 32, 8, 65, 2, 116, 106,
    42, 2, 0, 187, 32, 4, 27, 32, 7, 32, 1, 32, 8, 65, 2, 116, 106, 42, 2, 0, 187, 32, 5, 27, 102, 58,
    0, 0, 32, 8, 65, 1, 106, 33, 8, 12, 0, 11, 11, 11, 94, 2, 1, 127, 2, 125, 32, 7, 182, 33, 10, 32, 8,
    182, 33, 11, 65, 0, 33, 9, 2, 64, 3, 64, 32, 9, 32, 4, 78, 13, 1, 32, 3, 32, 9, 65, 2, 116, 106, 32,
    10, 32, 1, 32, 9, 65, 2, 116, 106, 42, 2, 0, 32, 5, 27, 32, 11, 32, 2, 32, 9, 65, 2, 116, 106, 42,
    2, 0, 32, 6, 27, 32, 0, 32, 9, 106, 45, 0, 0, 27, 56, 2, 0, 32, 9, 65, 1, 106, 33, 9, 12, 0, 11, 11,
    11, 61, 1, 1, 127, 65, 0, 33, 3, 2, 64, 3, 64, 32, 3, 32, 2, 78, 13, 1, 32, 0, 32, 3, 65, 2, 116, 106,
    40, 2, 0, 32, 1, 32, 3, 65, 2, 116, 106, 40, 2, 0, 71, 4, 64, 32, 3, 15, 11, 32, 3, 65, 1, 106, 33,
    3, 12, 0, 11, 11, 65, 127, 11, 211, 1, 2, 8, 127, 1, 124, 32, 2, 40, 2, 0, 33, 7, 32, 2, 40, 2, 4,
    33, 8, 32, 2, 40, 2, 8, 33, 9, 32, 2, 40, 2, 12, 33, 10, 65, 0, 33, 6, 2, 64, 3, 64, 32, 6, 32, 1,
    78, 13, 1, 32, 8, 65, 5, 108, 33, 11, 32, 11, 65, 7, 119, 65, 9, 108, 33, 12, 32, 8, 65, 9, 116, 33,
    13, 32, 9, 32, 7, 115, 33, 9, 32, 10, 32, 8, 115, 33, 10, 32, 8, 32, 9, 115, 33, 8, 32, 7, 32, 10,
    115, 33, 7, 32, 9, 32, 13, 115, 33, 9, 32, 10, 65, 11, 119, 33, 10, 32, 3, 32, 4, 32, 12, 65, 8, 118,
    184, 68, 0, 0, 0, 0, 0, 0, 112, 65, 163, 162, 160, 33, 14, 32, 5, 4, 64, 32, 0, 32, 6, 65, 3, 116,
    106, 32, 14, 57, 3, 0, 5, 32, 0, 32, 6, 65, 2, 116, 106, 32, 14, 182, 56, 2, 0, 11, 32, 6, 65, 1, 106,
    33, 6, 12, 0, 11, 11, 32, 2, 32, 7, 54, 2, 0, 32, 2, 32, 8, 54, 2, 4, 32, 2, 32, 9, 54, 2, 8, 32, 2,
    32, 10, 54, 2, 12, 11,
  ]);
}

function loadBulk(): Bulk | null {
  if (bulk !== undefined) return bulk;
  const exports = instantiate(bulkModuleBytes());
  if (exports === null) return (bulk = null);
  const memory = exports.memory as WasmMemory;
  const elementwise = new Map<string, { fn: ElementwiseFn; compare: boolean }>();
  for (const [op, compare] of WASM_ELEMENTWISE_OPS) elementwise.set(op, { fn: exports[op] as ElementwiseFn, compare });
  bulk = {
    elementwise,
    where: exports.where as WhereFn,
    diff: exports.diff as DiffFn,
    uniforms: exports.uniforms as UniformsFn,
    memory,
    view: new Float32Array(memory.buffer),
    bytes: new Uint8Array(memory.buffer),
    words: new Int32Array(memory.buffer),
  };
  return bulk;
}

/** Grows `memory` (holding `have` 4-byte values) to hold `floats`; false when it cannot grow. */
function grow(memory: WasmMemory, have: number, floats: number): boolean {
  try {
    memory.grow(Math.ceil((floats - have) / PAGE_FLOATS));
    return true;
  } catch {
    return false;
  }
}

/** The bulk module with room for `floats` 4-byte values, or null (no WebAssembly here, or its memory cannot grow). */
function reserve(floats: number): Bulk | null {
  const w = loadBulk();
  if (w === null) return null;
  if (w.view.length < floats) {
    if (!grow(w.memory, w.view.length, floats)) return null;
    w.view = new Float32Array(w.memory.buffer);
    w.bytes = new Uint8Array(w.memory.buffer);
    w.words = new Int32Array(w.memory.buffer);
  }
  return w;
}

/**
 * Elementwise ops on at least this many elements run in WebAssembly (wasmElementwise, wasmWhere,
 * wasmUniforms, wasmFirstDifference); smaller ones stay in JS. In a cold isolate the JS loops cost
 * ~50 ns per element and op (dropout's statistical test, 40,000 elements: ~11 ms of isolate CPU in
 * one call), here a few ns, but the first use in a context instantiates the bulk module (~0.2 ms) and
 * each op copies its operands in and out: stop 28 measured an all-sizes version (layer-norm's grading
 * ~13% slower), and a threshold of 1,024 left encoder-block ~5% slower than 4,096 (its few ops of 1-4 K
 * elements did not pay for the instantiation). The chapter's large tensors (dropout's 40,000,
 * weight-init's 8-20 K) are over it.
 */
export const WASM_ELEMENTWISE_MIN = 4096;

/**
 * The ops with a kernel, by ops-elementwise.ts's names (the module's exports), and whether each
 * compares (a 0/1 byte out) or computes (float32 out): wasm-gemm-module.ts's ELEMENTWISE_OPS, which
 * `wasm-gemm.test.ts` checks this against.
 */
export const WASM_ELEMENTWISE_OPS: readonly (readonly [string, boolean])[] = [
  ["add", false], ["sub", false], ["mul", false], ["div", false], ["minimum", false], ["maximum", false],
  ["eq", true], ["ne", true], ["lt", true], ["gt", true], ["le", true], ["ge", true],
];

/** Whether n elements run in WebAssembly: at least WASM_ELEMENTWISE_MIN, and the module's memory stays within 4 MB. */
function fits(n: number): boolean {
  return enabled && n >= WASM_ELEMENTWISE_MIN && 4 * n <= WASM_GEMM_MAX_FLOATS;
}

let bulkRuns = 0;
/** How many kernels of the bulk module have run in this realm (for tests: that an op took this path). */
export function wasmBulkRuns(): number {
  return bulkRuns;
}

/**
 * out[i] = x[i] op y[i] for i < n, as ops-elementwise.ts's JS loop computes it: the float32 operands
 * promoted to doubles, the op in doubles, the result rounded once to float32 (add, sub, mul, div,
 * minimum, maximum: Math.min/max's NaN and signed-zero rules are WebAssembly's f64.min/max) or a 0/1
 * byte (the comparisons). An operand given as null is the scalar `sx` / `sy` for every i (a Python
 * number or a 0-d tensor's value, not rounded). False, having written nothing, when it cannot run here.
 */
export function wasmElementwise(
  op: string, x: Float32Array | null, sx: number, y: Float32Array | null, sy: number, out: Float32Array | Uint8Array, n: number,
): boolean {
  if (!fits(n)) return false;
  const w = loadBulk();
  const kernel = w === null ? undefined : w.elementwise.get(op);
  if (w === null || kernel === undefined) return false;
  const compare = kernel.compare;
  // Operands at 0 and 4n bytes, the result after them.
  if (reserve(compare ? 2 * n + Math.ceil(n / 4) : 3 * n) === null) return false;
  if (x !== null) w.view.set(x, 0);
  if (y !== null) w.view.set(y, n);
  // A scalar's address is the other operand's (it is never read: the kernel takes the value).
  const xAt = x !== null ? 0 : 4 * n;
  const yAt = y !== null ? 4 * n : 0;
  try {
    kernel.fn(xAt, yAt, 8 * n, n, x === null ? 1 : 0, y === null ? 1 : 0, sx, sy);
  } catch {
    return false;
  }
  bulkRuns++;
  // Views made here, not subarray (which would ask the arrays' constructor for a species).
  if (compare) out.set(new Uint8Array(w.memory.buffer, 8 * n, n));
  else out.set(new Float32Array(w.memory.buffer, 8 * n, n));
  return true;
}

/**
 * out[i] = c[i] ? x[i] : y[i] for i < n (float32; a null operand is the scalar sx / sy, rounded to
 * float32 as the JS loop's store rounds it). False, having written nothing, when it cannot run here.
 */
export function wasmWhere(c: Uint8Array, x: Float32Array | null, sx: number, y: Float32Array | null, sy: number, out: Float32Array, n: number): boolean {
  if (!fits(n)) return false;
  // x at 0, y at 4n, out at 8n, c at 12n bytes.
  const w = reserve(3 * n + Math.ceil(n / 4));
  if (w === null) return false;
  if (x !== null) w.view.set(x, 0);
  if (y !== null) w.view.set(y, n);
  w.bytes.set(c, 12 * n);
  try {
    w.where(12 * n, x !== null ? 0 : 8 * n, y !== null ? 4 * n : 8 * n, 8 * n, n, x === null ? 1 : 0, y === null ? 1 : 0, sx, sy);
  } catch {
    return false;
  }
  bulkRuns++;
  out.set(new Float32Array(w.memory.buffer, 8 * n, n));
  return true;
}

/**
 * The first index i < n at which two int32 arrays of n elements differ and `judge(i)` says the
 * difference counts, -1 if there is none; null when it cannot run here (under WASM_ELEMENTWISE_MIN
 * elements, no WebAssembly, a copy failed). Both arrays are copied in once and each differing index
 * is handed to `judge` in order, so the scan is linear however many differences are judged not to
 * count. The grader's harness compares a call's inputs with its copies so (in-isolate.ts,
 * changedInput); only %TypedArray%.prototype.set reads the arrays.
 */
export function wasmFirstDifference(a: Int32Array, b: Int32Array, n: number, judge: (i: number) => boolean): number | null {
  if (!fits(n)) return null;
  const w = reserve(2 * n);
  if (w === null) return null;
  try {
    w.words.set(a, 0);
    w.words.set(b, n);
  } catch {
    return null;
  }
  bulkRuns++;
  const diff = w.diff;
  for (let from = 0; from < n; ) {
    const at = diff(4 * from, 4 * (n + from), n - from);
    if (at < 0) return -1;
    if (judge(from + at)) return from + at;
    from += at + 1;
  }
  return -1;
}

/**
 * random.ts's uniforms in WebAssembly: n numbers of xoshiro128** from `state` (its four words, read
 * and written back), out[i] = a + span * (r >>> 8) / 2^24 in doubles, stored in out (float32:
 * rounded once; float64: as is), the JS loop's numbers to the bit. False, having changed nothing,
 * when it cannot run here (under WASM_ELEMENTWISE_MIN numbers, no WebAssembly).
 */
export function wasmUniforms(state: Int32Array, out: Float32Array | Float64Array, n: number, a: number, span: number): boolean {
  if (!fits(n)) return false;
  const wide = out.BYTES_PER_ELEMENT === 8;
  // The state's 16 bytes at 0, the numbers after them.
  const w = reserve(4 + (wide ? 2 * n : n));
  if (w === null) return false;
  w.words.set(state, 0);
  try {
    w.uniforms(16, n, 0, a, span, wide ? 1 : 0);
  } catch {
    return false;
  }
  bulkRuns++;
  out.set(wide ? new Float64Array(w.memory.buffer, 16, n) : new Float32Array(w.memory.buffer, 16, n));
  state.set(new Int32Array(w.memory.buffer, 0, 4));
  return true;
}
