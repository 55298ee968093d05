import { describe, expect, it } from "vitest";
import { loadCatalog } from "../catalog.ts";
import { loadRuntime } from "../runtime.ts";
import { transpile } from "../transpile.ts";
import { Sandbox } from "./sandbox.ts";
import { warmKitCodeCache } from "./warm-cache.ts";

describe("the kit's code cache made after the model solutions ran (warm-cache.ts)", () => {
  it("is shared, and later isolates consume it and still grade with a clean state", async () => {
    const catalog = loadCatalog();
    const ids = ["scaled-dot-product-attention", "layer-norm", "chunked-attention"];
    const runtimes = await Promise.all(ids.map((id) => loadRuntime(catalog.exercises.get(id)!)));
    const report = await warmKitCodeCache(runtimes, 60_000);
    // chunked-attention is heavy (its own time limits): never run at worker start.
    expect(report.exercises).toBe(2);
    expect(report.shared).toBe(true);

    // A new isolate consumes the warm cache (V8 did not reject it) and runs student code as before,
    // with nothing left from the warm-up: the cache holds compiled code, not heap state.
    const compiled = await transpile(`
      import { torch, F, type Tensor } from "@tfm/kit";
      export function f(x: Tensor): unknown {
        return [F.softmax(x, -1), torch.initialSeed(), typeof (globalThis as Record<string, unknown>)["scaledDotProductAttention"]];
      }`);
    if (!compiled.ok) throw new Error("the probe does not compile");
    const sb = await Sandbox.create({ memoryMb: 64, withheld: [], consoleBytes: 1_000, resultBytes: 1_000_000, seed: 5 });
    try {
      expect(sb.setup.codeCache).toBe("hit");
      expect((await sb.load(compiled.code, 1_000)).ok).toBe(true);
      const out = await sb.call("f", [{ $tensor: { dtype: "float32", shape: [2], data: new Float32Array([0, 0]) } }], 1_000);
      expect(out.ok).toBe(true);
      if (out.ok) {
        const [sm, seed, leaked] = out.value as [{ $tensor: { data: Float32Array } }, number, string];
        expect(Array.from(sm.$tensor.data)).toEqual([0.5, 0.5]);
        expect(seed).toBe(0); // the default generator as documented, untouched by the warm-up
        expect(leaked).toBe("undefined");
      }
    } finally {
      sb.dispose();
    }
  });
});
