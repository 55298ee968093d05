/**
 * What the grader's harness (apps/grader/src/sandbox/in-isolate.ts) sets in the kit at boot, before
 * any student code runs. Not part of the namespace a submission imports: `@tfm/kit/internal` is
 * refused by the transpiler like every import but `@tfm/kit`.
 */
export { WASM_ELEMENTWISE_MIN, setWasmGemmEnabled, wasmFirstDifference, wasmGemmState } from "./wasm-gemm.ts";
export type { KitKernels } from "./wasm-gemm.ts";
