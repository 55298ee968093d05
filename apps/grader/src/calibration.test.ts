import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CALIBRATION_FILE, measureCalibration, readCalibration, resolveLimitScale } from "./calibration.ts";
import { loadCatalog } from "./catalog.ts";
import { loadConfig } from "./config.ts";
import { DEFAULT_CALL_TIMEOUT_MS, LIMIT_SCALE_MAX, LIMIT_SCALE_THRESHOLD, limitScaleFor, scaledLimits } from "./limits.ts";
import { DEFAULT_EXERCISES_DIR } from "./paths.ts";
import { GraderPool } from "./pool.ts";
import { calibrationSampleMs } from "./sandbox/sandbox.ts";

const catalog = loadCatalog();
const scratch = mkdtempSync(path.join(tmpdir(), "tfm-calibration-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A scratch folder whose calibration.json holds `text`. */
function withCalibration(name: string, text: string): string {
  const dir = path.join(scratch, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir);
  writeFileSync(path.join(dir, CALIBRATION_FILE), text);
  return dir;
}

describe("limits that fit the machine: the scale", () => {
  it("keeps the committed limits within the threshold of the reference, and on a faster machine", () => {
    expect(limitScaleFor(5, 5)).toBe(1);
    expect(limitScaleFor(2, 5)).toBe(1);
    expect(limitScaleFor(5 * LIMIT_SCALE_THRESHOLD - 0.01, 5)).toBe(1);
  });

  it("scales from the threshold on, rounded up to a quarter, at most LIMIT_SCALE_MAX", () => {
    expect(limitScaleFor(5 * LIMIT_SCALE_THRESHOLD, 5)).toBe(1.5);
    expect(limitScaleFor(8, 5)).toBe(1.75);
    expect(limitScaleFor(10.5, 5)).toBe(2.25);
    expect(limitScaleFor(500, 5)).toBe(LIMIT_SCALE_MAX);
  });

  it("does not scale on a measurement that is not a positive finite number", () => {
    for (const [m, r] of [[0, 5], [-3, 5], [Number.NaN, 5], [Number.POSITIVE_INFINITY, 5], [5, 0], [5, Number.NaN]] as const) expect(limitScaleFor(m, r)).toBe(1);
  });

  it("scales a light exercise's per-call limit only (rounded up to 10 ms, at most the default), never a heavy one's", () => {
    const light = catalog.exercises.get("scaled-dot-product-attention")?.meta.limits;
    const heavy = catalog.exercises.get("chunked-attention")?.meta.limits;
    if (light === undefined || heavy === undefined) throw new Error("catalog changed");
    expect(scaledLimits(light, 1)).toBe(light);
    const doubled = scaledLimits(light, 2);
    expect(doubled).toEqual({ ...light, callTimeoutMs: light.callTimeoutMs * 2 });
    expect(scaledLimits({ ...light, callTimeoutMs: 150 }, 1.75).callTimeoutMs).toBe(270);
    expect(scaledLimits({ ...light, callTimeoutMs: 1_500 }, 4).callTimeoutMs).toBe(DEFAULT_CALL_TIMEOUT_MS);
    // Nothing below the committed limit, whatever the factor says.
    expect(scaledLimits(light, 0.5)).toBe(light);
    expect(scaledLimits(heavy, 4)).toBe(heavy);
  });
});

describe("limits that fit the machine: the calibration", () => {
  it("reads the committed calibration, and nothing from a missing or malformed file", () => {
    expect(readCalibration(DEFAULT_EXERCISES_DIR)?.warmStepCpuMs).toBeGreaterThan(0);
    expect(readCalibration(withCalibration("ok", '{ "warmStepCpuMs": 4.5, "samples": 45 }'))).toEqual({ warmStepCpuMs: 4.5, samples: 45 });
    expect(readCalibration(path.join(scratch, "none"))).toBeNull();
    for (const [i, text] of ["{", "null", "[]", '{ "warmStepCpuMs": 0, "samples": 9 }', '{ "warmStepCpuMs": -1, "samples": 9 }', '{ "warmStepCpuMs": "4", "samples": 9 }', '{ "warmStepCpuMs": 4, "samples": 0 }', '{ "warmStepCpuMs": 4 }'].entries()) {
      expect(readCalibration(withCalibration(`bad${i}`, text)), text).toBeNull();
    }
  });

  it("measures this machine against the reference, or says why it did not", async () => {
    const dir = withCalibration("ref", '{ "warmStepCpuMs": 4, "samples": 45 }');
    let asked = 0;
    const measure = (ms: number | null) => async () => {
      asked++;
      return ms;
    };
    expect(await resolveLimitScale("auto", dir, measure(4.2))).toEqual({ scale: 1, source: "measured", measuredMs: 4.2, referenceMs: 4 });
    expect(await resolveLimitScale("auto", dir, measure(9))).toEqual({ scale: 2.25, source: "measured", measuredMs: 9, referenceMs: 4 });
    expect(await resolveLimitScale("auto", dir, measure(null))).toEqual({ scale: 1, source: "failed", measuredMs: null, referenceMs: 4 });
    expect(await resolveLimitScale("auto", dir, async () => Promise.reject(new Error("isolate lost")))).toEqual({ scale: 1, source: "failed", measuredMs: null, referenceMs: 4 });
    const before = asked;
    // A configured factor and a missing reference measure nothing.
    expect(await resolveLimitScale(2, dir, measure(9))).toEqual({ scale: 2, source: "configured", measuredMs: null, referenceMs: 4 });
    expect(await resolveLimitScale("auto", path.join(scratch, "none"), measure(9))).toEqual({ scale: 1, source: "no-reference", measuredMs: null, referenceMs: null });
    expect(asked).toBe(before);
  });

  it("measures a fresh isolate's cold step of the warm-up workload (a positive CPU time, each sample its own isolate)", async () => {
    const one = await calibrationSampleMs();
    expect(one).not.toBeNull();
    expect(one as number).toBeGreaterThan(0);
    expect(one as number).toBeLessThan(5_000);
    const fastest = await measureCalibration(3);
    expect(fastest).not.toBeNull();
    expect(fastest as number).toBeGreaterThan(0);
  });

  it("takes TFM_LIMIT_SCALE as 'auto' or a factor from 1 to the maximum, and says what was wrong otherwise", () => {
    expect(loadConfig({}).TFM_LIMIT_SCALE).toBe("auto");
    expect(loadConfig({ TFM_LIMIT_SCALE: "auto" }).TFM_LIMIT_SCALE).toBe("auto");
    expect(loadConfig({ TFM_LIMIT_SCALE: "2.5" }).TFM_LIMIT_SCALE).toBe(2.5);
    expect(loadConfig({ TFM_LIMIT_SCALE: "1" }).TFM_LIMIT_SCALE).toBe(1);
    for (const bad of ["0.5", "0", "", " ", "fast", String(LIMIT_SCALE_MAX + 1), "NaN"]) {
      expect(() => loadConfig({ TFM_LIMIT_SCALE: bad }), bad).toThrow(/TFM_LIMIT_SCALE: must be 'auto' or a number from 1 to 4/);
    }
  });
});

describe("limits that fit the machine: a worker", () => {
  it("calibrates at start and reports how it set its limits; a configured factor is used as it is", async () => {
    const auto = new GraderPool({ size: 1, catalog, env: { ...process.env, TFM_LIMIT_SCALE: "auto" } });
    const fixed = new GraderPool({ size: 1, catalog, env: { ...process.env, TFM_LIMIT_SCALE: "2" } });
    try {
      await Promise.all([auto.start(), fixed.start()]);
      const measured = auto.stats().workers[0]?.limits;
      expect(measured?.source).toBe("measured");
      expect(measured?.measuredMs).toBeGreaterThan(0);
      expect(measured?.referenceMs).toBe(readCalibration(DEFAULT_EXERCISES_DIR)?.warmStepCpuMs);
      expect(measured?.scale).toBe(limitScaleFor(measured?.measuredMs ?? 0, measured?.referenceMs ?? 0));
      expect(fixed.stats().workers[0]?.limits).toMatchObject({ scale: 2, source: "configured", measuredMs: null });
      // The factor reaches the gradings: the result states the limits applied.
      const sdpa = catalog.exercises.get("scaled-dot-product-attention");
      if (sdpa === undefined) throw new Error("catalog changed");
      const source = `import type { Tensor } from "@tfm/kit";\nexport function scaledDotProductAttention(Q: Tensor, K: Tensor, V: Tensor, mask: Tensor | null): [Tensor, Tensor] { for (;;) {} }\n`;
      const r = await fixed.grade({ exerciseId: sdpa.meta.id, source, seed: 3, scope: "public", lang: "en" });
      expect(r.verdict).toBe("time_limit");
      expect(r.limits?.callCpuMs).toBe(sdpa.meta.limits.callTimeoutMs * 2);
      expect(r.tests.find((t) => t.status === "time_limit")?.message.en).toContain(`${sdpa.meta.limits.callTimeoutMs * 2} ms per call`);
    } finally {
      await Promise.all([auto.close(), fixed.close()]);
    }
  });

  it("grades with one factor in all its workers: the first ready worker's, told to every worker after it (a restarted one too)", async () => {
    // The workers' environment is read again when one is replaced: this replacement would set 3 itself.
    const env: NodeJS.ProcessEnv = { ...process.env, TFM_LIMIT_SCALE: "2" };
    const pool = new GraderPool({ size: 1, catalog, env });
    const sdpa = catalog.exercises.get("scaled-dot-product-attention");
    if (sdpa === undefined) throw new Error("catalog changed");
    const loop = `import type { Tensor } from "@tfm/kit";\nexport function scaledDotProductAttention(Q: Tensor, K: Tensor, V: Tensor, mask: Tensor | null): [Tensor, Tensor] { for (;;) {} }\n`;
    try {
      await pool.start();
      expect(pool.stats().limits).toMatchObject({ scale: 2, source: "configured" });
      env.TFM_LIMIT_SCALE = "3";
      const [first] = pool.workerPids();
      process.kill(first as number, "SIGKILL");
      await expect.poll(() => pool.stats().workers.some((w) => w.ready && w.pid !== first), { timeout: 60_000, interval: 100 }).toBe(true);
      const replaced = pool.stats().workers.find((w) => w.pid !== first);
      // It set 3 for itself (its own report is kept, for operators), and grades with the pool's 2.
      expect(replaced?.measured).toMatchObject({ scale: 3, source: "configured" });
      expect(replaced?.limits).toMatchObject({ scale: 2, source: "configured" });
      const r = await pool.grade({ exerciseId: sdpa.meta.id, source: loop, seed: 4, scope: "public", lang: "en" });
      expect(r.verdict).toBe("time_limit");
      expect(r.limits?.callCpuMs).toBe(sdpa.meta.limits.callTimeoutMs * 2);
      expect(r.tests.find((t) => t.status === "time_limit")?.message.en).toContain(`${sdpa.meta.limits.callTimeoutMs * 2} ms per call`);
    } finally {
      await pool.close();
    }
  });
});
