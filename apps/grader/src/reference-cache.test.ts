import { wireTensor } from "@tfm/contract";
import { describe, expect, it } from "vitest";
import { ReferenceCache, wireBytes } from "./reference-cache.ts";

describe("reference cache", () => {
  it("is bounded by bytes, not only by count", async () => {
    const cache = new ReferenceCache(1_000, 1_000_000);
    for (let i = 0; i < 50; i++) await cache.get(`k${i}`, () => wireTensor("float32", [100_000], new Float32Array(100_000)));
    // Each value holds 400 kB: at most two fit in 1 MB.
    expect(cache.bytes).toBeLessThanOrEqual(1_000_000);
    expect(cache.size).toBeLessThanOrEqual(3);
  });

  it("keeps the most recently used and recomputes what was evicted", async () => {
    const cache = new ReferenceCache(2);
    let computed = 0;
    const v = () => {
      computed++;
      return "x";
    };
    await cache.get("a", v);
    await cache.get("b", v);
    await cache.get("a", v);
    await cache.get("c", v);
    await cache.get("a", v);
    expect(computed).toBe(3);
    await cache.get("b", v);
    expect(computed).toBe(4);
  });

  it("does not cache a failure", async () => {
    const cache = new ReferenceCache();
    await expect(cache.get("f", () => Promise.reject(new Error("no")))).rejects.toThrow("no");
    expect(await cache.get("f", () => 1)).toBe(1);
  });

  it("measures strings, tensors and nesting", () => {
    expect(wireBytes("abc")).toBe(22);
    expect(wireBytes([wireTensor("int32", [2], new Int32Array(2))])).toBe(16 + 64 + 8 + 8);
    expect(wireBytes({ a: null })).toBe(16 + 16 + 2 + 8);
  });
});
