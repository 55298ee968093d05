import { type WireTensor, type WireValue, isWireTensor, shapeText } from "@tfm/contract";
import { type CaseDef, type InvariantDef, type InvariantOutcome, type Rng, defineExercise, fromValues, full, randn, unravel, uniform } from "@tfm/spec";

const name = (ja: string, en: string) => ({ ja, en });

/**
 * Drop probabilities used by the tests. For each, comparing a 24-bit uniform u with p gives the
 * same answer in float64 and in float32 (no multiple of 2^-24 lies between p and fround(p)), so
 * `u.ge(p)` and a comparison with a float32 tensor holding p agree. 0.7 and 0.9 are not such values.
 */
const P_CHOICES = [0.05, 0.1, 0.125, 0.15, 0.2, 0.25, 0.3, 0.375, 0.4, 0.5, 0.6, 0.75, 0.8];

const seedOf = (rng: Rng): number => rng.int(0, 2 ** 31);

function hidden(id: string, ja: string, en: string, make: (rng: Rng) => WireValue[]): CaseDef {
  return { id, kind: "hidden", name: name(ja, en), make: ({ rng }) => make(rng) };
}

function randomShape(rng: Rng): number[] {
  return Array.from({ length: rng.int(1, 5) }, () => rng.int(1, 9));
}

const cases: CaseDef[] = [
  {
    id: "do-statement-example",
    kind: "public",
    name: name("問題文の例: x = [1, …, 6], p = 0.5, seed = 2024", "the statement's example: x = [1, ..., 6], p = 0.5, seed = 2024"),
    make: () => [fromValues("float32", [1, 6], [1, 2, 3, 4, 5, 6]), 0.5, true, 2024],
  },
  { id: "do-matrix", kind: "public", name: name("(4, 8)、p = 0.25", "(4, 8), p = 0.25"), make: ({ rng }) => [randn(rng, [4, 8]), 0.25, true, 7] },
  { id: "do-eval", kind: "public", name: name("評価モード (training = false)", "evaluation mode (training = false)"), make: ({ rng }) => [randn(rng, [3, 5]), 0.5, false, 11] },
  { id: "do-p-zero", kind: "public", name: name("p = 0: 何も落とさない", "p = 0: nothing is dropped"), make: ({ rng }) => [randn(rng, [2, 6]), 0, true, 3] },
  { id: "do-3d", kind: "public", name: name("3 次元 (2, 3, 5)、p = 0.1", "3-D (2, 3, 5), p = 0.1"), make: ({ rng }) => [randn(rng, [2, 3, 5]), 0.1, true, 123] },
  { id: "do-high-p", kind: "public", name: name("p = 0.8 (5, 7)", "p = 0.8 (5, 7)"), make: ({ rng }) => [randn(rng, [5, 7]), 0.8, true, 99] },
  { id: "do-eval-mode", kind: "pitfall", name: name("評価モードでは x をそのまま返す (p = 0.3)", "evaluation mode returns x unchanged (p = 0.3)"), make: ({ rng }) => [randn(rng, [4, 6]), 0.3, false, 5] },
  { id: "do-rescale", kind: "pitfall", name: name("残した値の倍率 (p = 0.4)", "the factor on the kept values (p = 0.4)"), make: ({ rng }) => [uniform(rng, [6, 6], 0.5, 2), 0.4, true, 31] },
  { id: "do-mask-direction", kind: "pitfall", name: name("どちらを残すか (p = 0.2: 8 割が残るべき)", "which elements stay (p = 0.2: 80% must stay)"), make: ({ rng }) => [randn(rng, [5, 8]), 0.2, true, 77] },
  hidden("do-hidden-random-1", "ランダムな形状 1", "random shape 1", (rng) => [randn(rng, randomShape(rng)), rng.pick(P_CHOICES), true, seedOf(rng)]),
  hidden("do-hidden-random-2", "ランダムな形状 2", "random shape 2", (rng) => [randn(rng, randomShape(rng)), rng.pick(P_CHOICES), true, seedOf(rng)]),
  hidden("do-hidden-random-3", "ランダムな形状 3", "random shape 3", (rng) => [randn(rng, randomShape(rng)), rng.pick(P_CHOICES), true, seedOf(rng)]),
  hidden("do-hidden-eval", "評価モード", "evaluation mode", (rng) => [randn(rng, randomShape(rng)), rng.pick(P_CHOICES), false, seedOf(rng)]),
  hidden("do-hidden-p-zero", "p = 0", "p = 0", (rng) => [randn(rng, randomShape(rng)), 0, true, seedOf(rng)]),
  hidden("do-hidden-vector", "1 次元", "1-D", (rng) => [randn(rng, [rng.int(1, 40)]), rng.pick(P_CHOICES), true, seedOf(rng)]),
  hidden("do-hidden-single", "要素 1 個", "a single element", (rng) => [randn(rng, [1, 1]), rng.pick(P_CHOICES), true, seedOf(rng)]),
  hidden("do-hidden-4d", "4 次元 (B, H, T, T)", "4-D (B, H, T, T)", (rng) => {
    const t = rng.int(2, 8);
    return [uniform(rng, [rng.int(1, 3), rng.int(1, 4), t, t], 0, 1), rng.pick(P_CHOICES), true, seedOf(rng)];
  }),
  hidden("do-hidden-large", "大きなテンソル (64, 96)", "a large tensor (64, 96)", (rng) => [randn(rng, [64, 96]), rng.pick(P_CHOICES), true, seedOf(rng)]),
  hidden("do-hidden-small-p", "小さな p", "a small p", (rng) => [randn(rng, [rng.int(2, 9), rng.int(2, 9)]), 0.05, true, seedOf(rng)]),
  hidden("do-hidden-seed-zero", "seed = 0", "seed = 0", (rng) => [randn(rng, [rng.int(2, 6), rng.int(2, 6)]), rng.pick(P_CHOICES), true, 0]),
];

const notATensor: InvariantOutcome = { ok: false, message: { ja: "Tensor が返されませんでした", en: "no Tensor was returned" } };

function tensorOut(v: WireValue): WireTensor | null {
  return isWireTensor(v) ? v : null;
}

function equalsInput(x: WireTensor, y: WireTensor, tolerance: { atol: number; rtol: number }): number {
  if (x.$tensor.data.length !== y.$tensor.data.length) return 0;
  for (let i = 0; i < x.$tensor.data.length; i++) {
    const e = x.$tensor.data[i] as number;
    if (!(Math.abs((y.$tensor.data[i] as number) - e) <= tolerance.atol + tolerance.rtol * Math.abs(e))) return i;
  }
  return -1;
}

/**
 * The statistical tests run on a tensor of n = 40 000 ones with p = 0.3 and the FIXED seed
 * STAT_SEED, so for a given submission they are deterministic, and every submission that follows
 * the statement's convention draws exactly the mask the model solution draws (mean 0.99893 and
 * zero fraction 0.30075 for this seed).
 * The bounds are 6 standard deviations of the sampling distribution: each output is B/(1-p) with
 * B ~ Bernoulli(1-p), so the mean has standard deviation sqrt(p / ((1-p) n)) = 0.00327 and the
 * fraction of zeros sqrt(p (1-p) / n) = 0.00229. A seed drawn at random would break a bound with
 * probability 2 * Phi(-6) = 2e-9 (normal approximation).
 */
const STAT_SHAPE = [200, 200];
const STAT_N = 40_000;
const STAT_P = 0.3;
const STAT_SEED = 20_240_615;
const MEAN_BOUND = 6 * Math.sqrt(STAT_P / ((1 - STAT_P) * STAT_N));
const ZERO_BOUND = 6 * Math.sqrt((STAT_P * (1 - STAT_P)) / STAT_N);

async function statsOfOnes(call: (args: WireValue[]) => Promise<WireValue>): Promise<{ mean: number; zeros: number } | null> {
  const y = tensorOut(await call([full("float32", STAT_SHAPE, 1), STAT_P, true, STAT_SEED]));
  if (y === null || y.$tensor.data.length !== STAT_N) return null;
  let sum = 0;
  let zeros = 0;
  for (const v of y.$tensor.data) {
    sum += v;
    if (v === 0) zeros++;
  }
  return { mean: sum / STAT_N, zeros: zeros / STAT_N };
}

const wrongSize: InvariantOutcome = {
  ok: false,
  message: { ja: `形状 ${shapeText(STAT_SHAPE)} の Tensor が返されませんでした`, en: `no Tensor of shape ${shapeText(STAT_SHAPE)} was returned` },
};

const invariants: InvariantDef[] = [
  {
    id: "do-inv-eval-identity",
    name: name("評価モードでは恒等写像", "evaluation mode is the identity"),
    async run({ rng, call, tolerance }) {
      const x = randn(rng, randomShape(rng), 2);
      const y = tensorOut(await call([x, rng.pick(P_CHOICES), false, seedOf(rng)]));
      if (y === null) return notATensor;
      const bad = equalsInput(x, y, tolerance);
      if (bad === -1) return { ok: true };
      return {
        ok: false,
        message: {
          ja: `training = false なのに出力が x と違います (要素 ${shapeText(unravel(bad, x.$tensor.shape))} が ${x.$tensor.data[bad]} ではなく ${y.$tensor.data[bad]})`,
          en: `with training = false the output differs from x (element ${shapeText(unravel(bad, x.$tensor.shape))} is ${y.$tensor.data[bad]}, not ${x.$tensor.data[bad]})`,
        },
        pitfall: "dropout-active-in-eval",
      };
    },
  },
  {
    id: "do-inv-p-zero-identity",
    name: name("p = 0 なら学習時でも恒等写像", "p = 0 is the identity even in training"),
    async run({ rng, call, tolerance }) {
      const x = randn(rng, randomShape(rng), 2);
      const y = tensorOut(await call([x, 0, true, seedOf(rng)]));
      if (y === null) return notATensor;
      const bad = equalsInput(x, y, tolerance);
      if (bad === -1) return { ok: true };
      return {
        ok: false,
        message: {
          ja: `p = 0 (何も落とさない) なのに出力が x と違います (要素 ${shapeText(unravel(bad, x.$tensor.shape))} が ${y.$tensor.data[bad]})`,
          en: `with p = 0 (drop nothing) the output differs from x (element ${shapeText(unravel(bad, x.$tensor.shape))} is ${y.$tensor.data[bad]})`,
        },
      };
    },
  },
  {
    id: "do-inv-mean-kept",
    name: name("期待値を保つ: 1 だけの 40 000 要素で出力の平均が 1 (±6σ)", "keeps the expectation: the mean over 40 000 ones is 1 (±6 sigma)"),
    async run({ call }) {
      const s = await statsOfOnes(call);
      if (s === null) return wrongSize;
      if (Math.abs(s.mean - 1) <= MEAN_BOUND) return { ok: true };
      const p = STAT_P;
      const alternatives: [string, number][] = [
        ["dropout-not-inverted", 1 - p],
        ["dropout-scale-by-p", (1 - p) / p],
        ["dropout-mask-inverted", p / (1 - p)],
      ];
      const match = alternatives.find(([, m]) => Math.abs(s.mean - m) <= 6 * MEAN_BOUND);
      return {
        ok: false,
        message: {
          ja: `p = ${p} で 1 だけのテンソルに dropout をかけると、出力の平均は 1 ± ${MEAN_BOUND.toFixed(4)} になるはずですが ${s.mean.toFixed(5)} でした`,
          en: `dropout with p = ${p} on a tensor of ones should give an output mean of 1 ± ${MEAN_BOUND.toFixed(4)}, got ${s.mean.toFixed(5)}`,
        },
        ...(match ? { pitfall: match[0] } : {}),
      };
    },
  },
  {
    id: "do-inv-zero-fraction",
    name: name("0 になる割合は p (±6σ)", "the fraction of zeros is p (±6 sigma)"),
    async run({ call }) {
      const s = await statsOfOnes(call);
      if (s === null) return wrongSize;
      if (Math.abs(s.zeros - STAT_P) <= ZERO_BOUND) return { ok: true };
      const inverted = Math.abs(s.zeros - (1 - STAT_P)) <= ZERO_BOUND;
      return {
        ok: false,
        message: {
          ja: `p = ${STAT_P} なら要素の ${STAT_P} ± ${ZERO_BOUND.toFixed(4)} が 0 になるはずですが、${s.zeros.toFixed(5)} でした${inverted ? " (落とす側と残す側が逆です)" : ""}`,
          en: `with p = ${STAT_P} a fraction ${STAT_P} ± ${ZERO_BOUND.toFixed(4)} of the elements should be 0, got ${s.zeros.toFixed(5)}${inverted ? " (dropped and kept are swapped)" : ""}`,
        },
        ...(inverted ? { pitfall: "dropout-mask-inverted" } : {}),
      };
    },
  },
  {
    id: "do-inv-kept-scaled",
    name: name("残った値はちょうど x / (1 - p)", "every kept value is exactly x / (1 - p)"),
    async run({ rng, call, tolerance }) {
      const p = rng.pick(P_CHOICES);
      const x = uniform(rng, [rng.int(4, 12), rng.int(4, 12)], 0.5, 3);
      const y = tensorOut(await call([x, p, true, seedOf(rng)]));
      if (y === null) return notATensor;
      for (let i = 0; i < y.$tensor.data.length; i++) {
        const v = y.$tensor.data[i] as number;
        const xi = x.$tensor.data[i] as number;
        if (v === 0) continue;
        const e = xi / (1 - p);
        if (Math.abs(v - e) <= tolerance.atol + tolerance.rtol * Math.abs(e)) continue;
        const close = (target: number) => Math.abs(v - target) <= tolerance.atol + tolerance.rtol * Math.abs(target);
        const pitfall = close(xi) ? "dropout-not-inverted" : close(xi / p) ? "dropout-scale-by-p" : undefined;
        return {
          ok: false,
          message: {
            ja: `p = ${p} で残った要素 ${i} が ${v} です。x / (1 - p) = ${e} であるべきです`,
            en: `with p = ${p} the kept element ${i} is ${v}; it must be x / (1 - p) = ${e}`,
          },
          ...(pitfall ? { pitfall } : {}),
        };
      }
      return { ok: true };
    },
  },
  {
    id: "do-inv-seeded",
    name: name("同じ seed なら同じ結果、違う seed なら違うマスク", "the same seed gives the same result, another seed another mask"),
    async run({ rng, call }) {
      const x = uniform(rng, [20, 50], 1, 2);
      const p = 0.5;
      const seed = seedOf(rng);
      const a = tensorOut(await call([x, p, true, seed]));
      const b = tensorOut(await call([x, p, true, seed]));
      const c = tensorOut(await call([x, p, true, seed + 1]));
      if (a === null || b === null || c === null) return notATensor;
      for (let i = 0; i < a.$tensor.data.length; i++) {
        if (a.$tensor.data[i] !== b.$tensor.data[i]) {
          return {
            ok: false,
            message: {
              ja: "同じ seed で 2 回呼ぶと結果が違いました。乱数はすべて new torch.Generator().manualSeed(seed) から引いてください",
              en: "two calls with the same seed gave different results; draw every random number from new torch.Generator().manualSeed(seed)",
            },
          };
        }
      }
      // 1000 elements at p = 0.5: two seeds give the same mask with probability 2^-1000.
      if (a.$tensor.data.every((v, i) => (v === 0) === (c.$tensor.data[i] === 0))) {
        return {
          ok: false,
          message: {
            ja: "seed を変えても落とされる要素が同じでした。マスクは seed から作ってください",
            en: "changing the seed dropped exactly the same elements; the mask must come from the seed",
          },
        };
      }
      return { ok: true };
    },
  },
];

export default defineExercise({ cases, invariants });
