/**
 * One op contract, every backend: the references computed on each TensorFlow.js backend
 * available here agree within each exercise's tolerance. (tfjs-node and tfjs-node-gpu cannot
 * install on these machines; they are optional dependencies and join this test where present.)
 * webgpu runs on Dawn with whatever adapter is found: Mesa's llvmpipe through OpenGL ES on CI
 * (.ci/run installs it), the GPU on the device machine (scripts/device-check.sh).
 */

import { spawnSync } from "node:child_process";
import { loadCatalog } from "@tfm/grader/catalog";
import { compareValues } from "@tfm/grader/compare";
import { loadRuntime } from "@tfm/grader/runtime";
import { BACKEND_LADDER, availableBackends, describeAdapter, initBackend, initBackendInfo, tf } from "@tfm/reference";
import { Rng, deriveSeed } from "@tfm/spec";
import { describe, expect, it } from "vitest";
import { skippedOnWebgpu } from "./webgpu-exclusions.ts";

const catalog = loadCatalog();

async function available(): Promise<string[]> {
  const { names, webgpu } = await availableBackends();
  // One suite, every backend: webgpu is not optional here (a missing Mesa EGL would hide it).
  expect(names, "reason" in webgpu ? `webgpu did not register: ${webgpu.reason}` : "").toContain("webgpu");
  return names;
}

describe("reference backends", () => {
  it("picks the first backend of the ladder that starts", async () => {
    const picked = await initBackend();
    expect(BACKEND_LADDER).toContain(picked);
    // Neither native package installs on these machines, so WebAssembly is the first that starts.
    expect(["wasm", "tensorflow", "tensorflow-gpu"]).toContain(picked);
  });

  it("takes webgpu by default only on a hardware adapter, and says what runs", async () => {
    const info = await initBackendInfo();
    const { webgpu } = await availableBackends();
    if (process.env.TFM_TF_BACKEND === undefined || process.env.TFM_TF_BACKEND === "") {
      if ("adapter" in webgpu && webgpu.adapter.software) {
        // CI: Dawn finds only llvmpipe, so the default ladder passes webgpu over, saying why.
        expect(info.name).not.toBe("webgpu");
        expect(info.skipped.find((s) => s.rung === "webgpu")?.reason).toMatch(/software adapter \(llvmpipe|lavapipe|swiftshader\)/);
      }
      if ("adapter" in webgpu && !webgpu.adapter.software) expect(info.label).toBe(webgpu.adapter.label);
    }
    expect(info.label).toMatch(info.name === "webgpu" ? /^webgpu \(.+, (vulkan|opengles)\)$/ : new RegExp(`^${info.name}$`));
  });

  it("names the adapter: product and route, and software renderers as such", () => {
    expect(describeAdapter("vulkan", { vendor: "nvidia", architecture: "hopper", device: "NVIDIA H100 80GB HBM3", description: "NVIDIA: 550.54.15" }).label).toBe("webgpu (NVIDIA H100 80GB HBM3, vulkan)");
    expect(describeAdapter("vulkan", { vendor: "nvidia", architecture: "", device: "", description: "NVIDIA H200" }).label).toBe("webgpu (NVIDIA H200, vulkan)");
    // Dawn's GL backend leaves vendor and architecture empty and puts the renderer in `device`.
    expect(describeAdapter("opengles", { vendor: "", architecture: "", device: "llvmpipe-llvm-15-0-6-256-bits-", description: "OpenGL version OpenGL ES 3.2 Mesa 22.3.6" })).toEqual({
      route: "opengles",
      name: "llvmpipe",
      software: true,
      label: "webgpu (llvmpipe, software, opengles)",
      info: { vendor: "", architecture: "", device: "llvmpipe-llvm-15-0-6-256-bits-", description: "OpenGL version OpenGL ES 3.2 Mesa 22.3.6" },
    });
    // Vulkan marks a software device by its architecture (Mesa 25's lavapipe).
    expect(describeAdapter("vulkan", { vendor: "mesa", architecture: "software", device: "", description: "Mesa 25.0.7 (LLVM 19.1.7)" }).software).toBe(true);
    expect(describeAdapter("vulkan", { vendor: "google", architecture: "", device: "", description: "SwiftShader Device", isFallbackAdapter: true }).software).toBe(true);
  });

  it("falls back, logging why, when a forced webgpu finds no adapter; the label says what ran", () => {
    // EGL on X11 with no display: no GL adapter on any machine (the device machine's Vulkan is left out).
    const run = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", 'const { initBackendInfo } = await import("@tfm/reference"); console.log(JSON.stringify(await initBackendInfo()));'], {
      env: { ...process.env, TFM_TF_BACKEND: "webgpu", TFM_WEBGPU_ROUTES: "opengles", EGL_PLATFORM: "x11", DISPLAY: "" },
      encoding: "utf8",
      timeout: 60_000,
    });
    expect(run.status, run.stderr).toBe(0);
    const info = JSON.parse(run.stdout.trim().split("\n").at(-1) ?? "{}") as { name: string; label: string; skipped: { rung: string; reason: string }[] };
    expect(info.name).toBe("wasm");
    expect(info.label).toBe("wasm");
    expect(info.skipped).toEqual([{ rung: "webgpu", reason: "no WebGPU adapter (opengles: no adapter)" }]);
    expect(run.stderr).toContain("reference backend: webgpu (TFM_TF_BACKEND) passed over: no WebGPU adapter (opengles: no adapter); using wasm");
  });

  it.each([...catalog.exercises.keys()])("agree on every public and a sample of hidden cases of %s", async (id) => {
    const backends = await available();
    expect(backends).toContain("wasm");
    expect(backends).toContain("cpu");
    expect(backends).toContain("webgpu");
    const { webgpu } = await availableBackends();
    const software = "adapter" in webgpu && webgpu.adapter.software;
    const entry = catalog.exercises.get(id);
    if (entry === undefined) throw new Error(id);
    const { spec, reference } = await loadRuntime(entry);
    let compared = 0;
    for (const c of spec.cases) {
      const seed = c.kind === "hidden" ? deriveSeed(12345, c.id) : deriveSeed(0, c.id);
      const args = c.make({ rng: new Rng(seed) });
      const results = [];
      for (const b of backends) {
        // Exclusions (test/webgpu-exclusions.ts, with reasons) apply on a software adapter only.
        if (skippedOnWebgpu(id, c.id, b, software)) continue;
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
      // data(), not dataSync(): webgpu reads a GPU buffer back only asynchronously.
      const s = await tf.softmax(tf.tensor1d([1, 2, 3])).data();
      expect(Math.abs((s[2] ?? 0) - 0.66524096)).toBeLessThan(1e-6);
    }
    await tf.setBackend(await initBackend());
  });
});


