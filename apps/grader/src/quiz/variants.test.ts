import { Rng, deriveSeed } from "@tfm/spec";
import { describe, expect, it } from "vitest";
import { GENERATORS, type Generator, multiHeadParameterCount, positionalEncodingValue, softmax, tupleText } from "./variants.ts";

const SEEDS = Array.from({ length: 40 }, (_, i) => deriveSeed(20240601, `variants-${i}`));

function drawAll(generator: Generator, seed: number) {
  return generator.draw(new Rng(seed));
}

function tuple(text: string | undefined): number[] {
  if (text === undefined) throw new Error("missing tuple parameter");
  return text.replace(/[()]/g, "").split(",").map((s) => Number(s.trim()));
}

function num(text: string | undefined): number {
  if (text === undefined) throw new Error("missing numeric parameter");
  return Number(text);
}

/** Each generator's answer, recomputed here from the parameters the student sees. */
const RECOMPUTE: Record<string, (p: Readonly<Record<string, string>>) => number | number[]> = {
  "attention-matrix-bytes": (p) => num(p.batch) * num(p.length) ** 2 * ({ float16: 2, float32: 4, float64: 8 }[p.dtype ?? ""] ?? Number.NaN),
  "attention-memory-growth": (p) => (num(p.to) / num(p.from)) ** 2,
  "mha-parameter-count": (p) => 4 * num(p.dModel) ** 2 + 4 * num(p.dModel),
  "positional-encoding-value": (p) => {
    const [pos, j, d] = [num(p.pos), num(p.j), num(p.dModel)];
    const angle = pos / Math.pow(10000, (j - (j % 2)) / d);
    return j % 2 === 0 ? Math.sin(angle) : Math.cos(angle);
  },
  "softmax-component": (p) => {
    const xs = (p.vector ?? "").replace(/[[\]]/g, "").split(",").map(Number);
    const k = num(p.position) - 1;
    const denom = xs.reduce((s, x) => s + Math.exp(x), 0);
    return Math.exp(xs[k] ?? Number.NaN) / denom;
  },
  "dot-product-variance": (p) => num(p.dk),
  "attention-scale": (p) => Math.sqrt(num(p.dk)),
  "qk-scores-shape": (p) => {
    const q = tuple(p.q);
    const k = tuple(p.k);
    return [...q.slice(0, -1), k[2] ?? Number.NaN];
  },
  "mha-split-shape": (p) => {
    const [b, t, d] = tuple(p.x);
    const h = num(p.heads);
    return [b ?? Number.NaN, h, t ?? Number.NaN, (d ?? Number.NaN) / h];
  },
  "attention-output-shape": (p) => {
    const w = tuple(p.weights);
    const v = tuple(p.v);
    return [...w.slice(0, -1), v[3] ?? Number.NaN];
  },
};

describe("variant formulas", () => {
  it("match the chapter's worked values", () => {
    expect(multiHeadParameterCount(512)).toBe(1_050_624);
    expect(positionalEncodingValue(40, 3, 4)).toBeCloseTo(Math.cos(0.4), 12);
    expect(positionalEncodingValue(1, 0, 128)).toBeCloseTo(Math.sin(1), 12);
    expect(positionalEncodingValue(0, 1, 128)).toBe(1);
    const s = softmax([1, 2, 3]);
    expect(s[2]).toBeCloseTo(0.665241, 6);
    expect(s.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(softmax([1000, 1000])).toEqual([0.5, 0.5]);
    expect(tupleText([2, 8, 5, 7])).toBe("(2, 8, 5, 7)");
  });

  it("has an independent recomputation for every generator", () => {
    expect(Object.keys(RECOMPUTE).sort()).toEqual(Object.keys(GENERATORS).sort());
  });
});

describe.each(Object.entries(GENERATORS))("generator %s", (name, generator) => {
  it("replays exactly with the same seed", () => {
    for (const seed of SEEDS) expect(drawAll(generator, seed)).toEqual(drawAll(generator, seed));
  });

  it("differs across seeds", () => {
    const distinct = new Set(SEEDS.map((seed) => JSON.stringify(drawAll(generator, seed).params)));
    expect(distinct.size).toBeGreaterThanOrEqual(5);
  });

  it("computes the answer from the numbers the student sees", () => {
    const recompute = RECOMPUTE[name];
    if (recompute === undefined) throw new Error(`no recomputation for ${name}`);
    for (const seed of SEEDS) {
      const { params, answer } = drawAll(generator, seed);
      const expected = recompute(params);
      if (typeof answer === "number") {
        expect(typeof expected).toBe("number");
        expect(Number.isFinite(answer)).toBe(true);
        expect(answer).toBeCloseTo(expected as number, 9);
      } else {
        expect(answer).toEqual(expected);
        expect(answer.every((s) => Number.isInteger(s) && s > 0)).toBe(true);
      }
    }
  });
});

describe("shape variants", () => {
  it("never draw equal query and key lengths, so a transposed answer is always wrong", () => {
    const shapeOf = (name: string, seed: number) => {
      const g = GENERATORS[name];
      if (g === undefined || g.kind !== "shape") throw new Error(name);
      return g.draw(new Rng(seed));
    };
    for (const seed of SEEDS) {
      const scores = shapeOf("qk-scores-shape", seed).answer;
      expect(scores[2]).not.toBe(scores[3]);
      const output = shapeOf("attention-output-shape", seed);
      expect(output.answer[2]).not.toBe(tuple(output.params.weights)[3]);
    }
  });
});
