import type { Rng } from "@tfm/spec";

/**
 * Randomised quiz variants. A question in exercises/quizzes/*.json that names a `generator` gets its
 * numbers from here: drawn from a seed, shown through {{placeholders}} in the question text, and the
 * answer computed by the formula below, never stored. Answers are computed from the same rounded
 * numbers the student sees.
 */
export type VariantParams = Readonly<Record<string, string>>;

export interface Variant<A> {
  params: VariantParams;
  answer: A;
}

export type Generator =
  | { kind: "numeric"; draw: (rng: Rng) => Variant<number> }
  | { kind: "shape"; draw: (rng: Rng) => Variant<number[]> };

/** A shape the way PyTorch prints it, which is how the chapter writes shapes. */
export function tupleText(shape: readonly number[]): string {
  return `(${shape.join(", ")})`;
}

const DTYPES = [
  { name: "float16", bytes: 2 },
  { name: "float32", bytes: 4 },
  { name: "float64", bytes: 8 },
] as const;

/** PE(pos, j) of the sinusoidal encoding: sin on even dimensions, cos on odd ones. */
export function positionalEncodingValue(pos: number, j: number, dModel: number): number {
  const i = Math.floor(j / 2);
  const angle = pos / 10000 ** ((2 * i) / dModel);
  return j % 2 === 0 ? Math.sin(angle) : Math.cos(angle);
}

export function softmax(xs: readonly number[]): number[] {
  const m = Math.max(...xs);
  const e = xs.map((x) => Math.exp(x - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

/** Parameters of W_q, W_k, W_v and W_o, each nn.Linear(d_model, d_model) with a bias. */
export function multiHeadParameterCount(dModel: number): number {
  return 4 * (dModel * dModel + dModel);
}

function oneDecimal(x: number): string {
  return x.toFixed(1);
}

export const GENERATORS: Readonly<Record<string, Generator>> = {
  "attention-matrix-bytes": {
    kind: "numeric",
    draw(rng) {
      const batch = rng.pick([8, 16, 32, 64, 128]);
      const length = rng.pick([2048, 4096, 5000, 8192, 10000, 16384]);
      const dtype = rng.pick(DTYPES);
      return {
        params: { batch: String(batch), length: String(length), dtype: dtype.name },
        answer: batch * length * length * dtype.bytes,
      };
    },
  },

  "attention-memory-growth": {
    kind: "numeric",
    draw(rng) {
      const from = rng.pick([256, 512, 1000, 1024, 2048]);
      const factor = rng.pick([2, 3, 4, 8, 10]);
      return { params: { from: String(from), to: String(from * factor) }, answer: factor * factor };
    },
  },

  "mha-parameter-count": {
    kind: "numeric",
    draw(rng) {
      const dModel = rng.pick([64, 128, 256, 384, 512, 768, 1024]);
      const heads = rng.pick([2, 4, 8, 16].filter((h) => dModel % h === 0));
      return { params: { dModel: String(dModel), heads: String(heads) }, answer: multiHeadParameterCount(dModel) };
    },
  },

  "positional-encoding-value": {
    kind: "numeric",
    draw(rng) {
      const dModel = rng.pick([8, 16, 32, 64, 128]);
      const pos = rng.int(1, 60);
      const j = rng.int(0, 8);
      return {
        params: { pos: String(pos), j: String(j), dModel: String(dModel) },
        answer: positionalEncodingValue(pos, j, dModel),
      };
    },
  },

  "softmax-component": {
    kind: "numeric",
    draw(rng) {
      const n = rng.int(3, 5);
      const xs = Array.from({ length: n }, () => rng.int(-4, 7) * 0.5);
      const k = rng.int(0, n);
      const weight = softmax(xs)[k];
      if (weight === undefined) throw new Error("softmax-component drew an index outside its vector");
      return { params: { vector: `[${xs.map(oneDecimal).join(", ")}]`, position: String(k + 1) }, answer: weight };
    },
  },

  "dot-product-variance": {
    kind: "numeric",
    draw(rng) {
      const dk = rng.pick([4, 8, 16, 32, 64, 128, 256, 512]);
      // Var(q.k) = sum of d_k products, each with variance 1 when the entries are independent with variance 1.
      return { params: { dk: String(dk) }, answer: dk };
    },
  },

  "attention-scale": {
    kind: "numeric",
    draw(rng) {
      const dk = rng.pick([8, 16, 24, 32, 48, 64, 96, 100, 128, 256]);
      return { params: { dk: String(dk) }, answer: Math.sqrt(dk) };
    },
  },

  "qk-scores-shape": {
    kind: "shape",
    draw(rng) {
      const batch = rng.int(1, 5);
      const heads = rng.pick([1, 2, 4, 8]);
      const tq = rng.int(2, 13);
      // Distinct lengths, so that a transposed answer is visibly wrong.
      const tk = rng.pick(Array.from({ length: 11 }, (_, i) => i + 2).filter((t) => t !== tq));
      const dk = rng.pick([8, 16, 32, 64]);
      return {
        params: { q: tupleText([batch, heads, tq, dk]), k: tupleText([batch, heads, tk, dk]) },
        answer: [batch, heads, tq, tk],
      };
    },
  },

  "mha-split-shape": {
    kind: "shape",
    draw(rng) {
      const batch = rng.int(1, 5);
      const length = rng.int(2, 33);
      const heads = rng.pick([2, 4, 8]);
      const dk = rng.pick([8, 16, 32, 64]);
      return {
        params: { x: tupleText([batch, length, heads * dk]), heads: String(heads) },
        answer: [batch, heads, length, dk],
      };
    },
  },

  "attention-output-shape": {
    kind: "shape",
    draw(rng) {
      const batch = rng.int(1, 5);
      const heads = rng.pick([1, 2, 4, 8]);
      const tq = rng.int(2, 13);
      const tk = rng.pick(Array.from({ length: 11 }, (_, i) => i + 2).filter((t) => t !== tq));
      const dv = rng.pick([8, 16, 32, 64]);
      return {
        params: { weights: tupleText([batch, heads, tq, tk]), v: tupleText([batch, heads, tk, dv]) },
        answer: [batch, heads, tq, dv],
      };
    },
  },
};
