/**
 * One op contract, every backend: the references computed on each TensorFlow.js backend
 * available here agree within each exercise's tolerance. (tfjs-node and tfjs-node-gpu cannot
 * install on these machines; they are optional dependencies and join this test where present.)
 */

import { loadCatalog } from "@tfm/grader/catalog";
import { compareValues } from "@tfm/grader/compare";
import { loadRuntime } from "@tfm/grader/runtime";
import { BACKEND_LADDER, initBackend, tf } from "@tfm/reference";
import { Rng, deriveSeed } from "@tfm/spec";
import { describe, expect, it } from "vitest";

const catalog = loadCatalog();

async function available(): Promise<string[]> {
  await initBackend();
  await import("@tensorflow/tfjs-backend-wasm");
  const names: string[] = [];
  for (const b of ["tensorflow", "wasm", "cpu"]) {
    if (tf.findBackend(b) !== null || tf.engine().registryFactory[b] !== undefined) names.push(b);
  }
  return names;
}

describe("reference backends", () => {
  it("picks the first backend of the ladder that starts", async () => {
    const picked = await initBackend();
    expect(BACKEND_LADDER).toContain(picked);
    // Neither native package installs on these machines, so WebAssembly is the first that starts.
    expect(["wasm", "tensorflow", "tensorflow-gpu"]).toContain(picked);
  });

  it.each([...catalog.exercises.keys()])("agree on every public and a sample of hidden cases of %s", async (id) => {
    const backends = await available();
    expect(backends).toContain("wasm");
    expect(backends).toContain("cpu");
    const entry = catalog.exercises.get(id);
    if (entry === undefined) throw new Error(id);
    const { spec, reference } = await loadRuntime(entry);
    let compared = 0;
    for (const c of spec.cases) {
      const seed = c.kind === "hidden" ? deriveSeed(12345, c.id) : deriveSeed(0, c.id);
      const args = c.make({ rng: new Rng(seed) });
      const results = [];
      for (const b of backends) {
        await tf.setBackend(b);
        await tf.ready();
        results.push({ b, value: await reference.expected(args) });
      }
      const [first, ...rest] = results;
      if (first === undefined) continue;
      for (const other of rest) {
        const cmp = compareValues(first.value, other.value, { tolerance: entry.meta.tolerance, ...(entry.meta.outputLabels ? { labels: entry.meta.outputLabels } : {}) });
        expect(cmp.ok, `${c.id}: ${first.b} vs ${other.b}: ${cmp.message.en}`).toBe(true);
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(0);
    await tf.setBackend(await initBackend());
  });

  it("computes real numbers (sanity: a known softmax on each backend)", async () => {
    for (const b of await available()) {
      await tf.setBackend(b);
      const s = tf.softmax(tf.tensor1d([1, 2, 3])).dataSync();
      expect(Math.abs((s[2] ?? 0) - 0.66524096)).toBeLessThan(1e-6);
    }
    await tf.setBackend(await initBackend());
  });
});


