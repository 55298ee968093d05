/**
 * weight-init's statistical comparison reads every weight once (statsOf: the moments and the first
 * element that is not finite in one loop). These cases pin what it says about weights it cannot judge
 * and that the moments still decide the rest.
 */
import { type WireValue, wireTensor } from "@tfm/contract";
import { Rng, deriveSeed } from "@tfm/spec";
import { describe, expect, it } from "vitest";
import spec from "../exercises/weight-init/spec.ts";
import reference from "../reference/src/exercises/weight-init.ts";

const compare = spec.compare as (expected: WireValue, actual: WireValue, args: readonly WireValue[]) => { ok: boolean; message?: { ja: string; en: string }; pitfall?: string };

/** A public case's arguments and the reference's hypothesis for them. */
async function firstCase(kind: "uniform" | "normal") {
  for (const c of spec.cases) {
    const args = c.make({ rng: new Rng(deriveSeed(0, c.id)) });
    const expected = await reference.expected(args);
    if ((expected as { distribution?: string }).distribution === kind) return { args, expected, shape: (expected as { shape: number[] }).shape };
  }
  throw new Error(`no ${kind} case`);
}

/** n draws that fit the hypothesis exactly enough: a deterministic sample of the target distribution. */
function sample(kind: "uniform" | "normal", std: number, bound: number | null, n: number): Float32Array {
  const rng = new Rng(7);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = kind === "uniform" ? (2 * rng.random() - 1) * (bound as number) : rng.normal() * std;
  return out;
}

describe("weight-init: the comparison", () => {
  for (const kind of ["uniform", "normal"] as const) {
    it(`${kind}: a fitting sample passes; the first element that is not finite is named, wherever it is`, async () => {
      const { args, expected, shape } = await firstCase(kind);
      const h = expected as { std: number; bound: number | null };
      const n = shape.reduce((a, b) => a * b, 1);
      const good = sample(kind, h.std, h.bound, n);
      expect(compare(expected, wireTensor("float32", shape, good), args)).toEqual({ ok: true });
      for (const [at, bad] of [[0, Number.NaN], [n - 1, Number.POSITIVE_INFINITY], [Math.floor(n / 2), Number.NEGATIVE_INFINITY]] as const) {
        const data = Float32Array.from(good);
        data[at] = bad;
        // A later one too: the first is named.
        if (at + 1 < n) data[n - 1] = Number.NaN;
        const r = compare(expected, wireTensor("float32", shape, data), args);
        expect(r.ok).toBe(false);
        expect(r.message?.en).toBe(`element ${at} is ${String(bad)}`);
        expect(r.message?.ja).toBe(`要素 ${at} が ${String(bad)} です`);
      }
      // Twice the spread: judged by its moments (the variance), not as unreadable.
      const wide = good.map((v) => 2 * v);
      const r = compare(expected, wireTensor("float32", shape, wide), args);
      expect(r.ok).toBe(false);
      expect(r.message?.en).toMatch(/variance|range|outside/);
    });
  }
});
