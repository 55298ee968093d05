/**
 * Cases the backend suites leave out on webgpu when its adapter is a software renderer (Mesa's
 * llvmpipe on CI), each with its reason. On a hardware adapter (scripts/device-check.sh) nothing
 * is left out: these are the very cases the GPU is for.
 */
export const SOFTWARE_WEBGPU_EXCLUDED: Readonly<Record<string, { cases: readonly string[]; why: string }>> = {
  "chunked-attention": {
    cases: ["chunked-long-sequence", "chunked-hidden-long"],
    why:
      "T = 2304 attention: 3.4-7.5 s per case on llvmpipe (20 s of the exercise's 43 golden cases; wasm 1 s each), " +
      "measured 2026-12-06 on the shared 2-core CI machine. The same cases run on wasm and cpu here and on the GPU in scripts/device-check.sh.",
  },
};

/** Whether the suites skip this case on this webgpu adapter. */
export function skippedOnWebgpu(exerciseId: string, caseId: string, backend: string, softwareAdapter: boolean): boolean {
  return backend === "webgpu" && softwareAdapter && (SOFTWARE_WEBGPU_EXCLUDED[exerciseId]?.cases.includes(caseId) ?? false);
}
