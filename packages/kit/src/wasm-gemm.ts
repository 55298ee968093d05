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

function load(): Loaded | null {
  if (loaded !== undefined) return loaded;
  loaded = null;
  if (API === null) return null;
  try {
    const instance = new API.Instance(new API.Module(gemmModuleBytes()), {});
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
