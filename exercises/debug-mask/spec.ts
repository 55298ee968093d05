import { type Localized, type WireTensor, type WireValue, isWireTensor, wireTensor } from "@tfm/contract";
import {
  type CaseDef,
  type InvariantDef,
  type Rng,
  causalMask,
  defineExercise,
  describeMaskedMismatch,
  fromValues,
  futureDoesNotLeak,
  noWeightOnMasked,
  paddingMask,
  randn,
  rowsSumToOne,
} from "@tfm/spec";

const name = (ja: string, en: string): Localized => ({ ja, en });

/** Q, K, V for batch b, query length tq, key length tk. */
function qkv(rng: Rng, b: number, tq: number, tk: number, dk: number, dv: number, scale = 1): WireValue[] {
  return [randn(rng, [b, tq, dk], scale), randn(rng, [b, tk, dk], scale), randn(rng, [b, tk, dv], scale)];
}

/** The same 0/1 mask in another dtype (the statement accepts int32, bool and float32). */
function as(dtype: "bool" | "float32", m: WireTensor): WireTensor {
  const { shape, data } = m.$tensor;
  return dtype === "bool" ? wireTensor("bool", shape, Uint8Array.from(data)) : wireTensor("float32", shape, Float32Array.from(data));
}

/** Causal AND padding: (B, T, T), 1 where key j <= query i and j < length. */
function causalPadding(lengths: number[], t: number): WireTensor {
  const values: number[] = [];
  for (const len of lengths) for (let i = 0; i < t; i++) for (let j = 0; j < t; j++) values.push(j <= i && j < len ? 1 : 0);
  return fromValues("int32", [lengths.length, t, t], values);
}

/** A (T_q, T_k) mask with random holes; rows keep at least one key unless `allowEmpty`. */
function randomMask(rng: Rng, tq: number, tk: number, allowEmpty: boolean): WireTensor {
  const values = Array.from({ length: tq * tk }, (_, i) => (!allowEmpty && i % tk === 0 ? 1 : rng.int(0, 2)));
  return fromValues("int32", [tq, tk], values);
}

function randomLengths(rng: Rng, b: number, t: number): number[] {
  return Array.from({ length: b }, () => rng.int(1, t + 1));
}

function hidden(id: string, ja: string, en: string, make: (rng: Rng) => WireValue[]): CaseDef {
  return { id, kind: "hidden", name: name(ja, en), make: ({ rng }) => make(rng) };
}

const cases: CaseDef[] = [
  { id: "dmask-causal", kind: "public", name: name("因果マスク: B=1, T=6, d=4", "causal mask: B=1, T=6, d=4"), make: ({ rng }) => [...qkv(rng, 1, 6, 6, 4, 4), causalMask(6)] },
  { id: "dmask-padding", kind: "public", name: name("パディングマスク (B, 1, T): 長さ 5, 3, 1", "padding mask (B, 1, T): lengths 5, 3, 1"), make: ({ rng }) => [...qkv(rng, 3, 5, 5, 6, 6), paddingMask([5, 3, 1], 5)] },
  { id: "dmask-bool", kind: "public", name: name("bool 型の因果マスク: B=2, T=4", "a bool causal mask: B=2, T=4"), make: ({ rng }) => [...qkv(rng, 2, 4, 4, 3, 5), as("bool", causalMask(4))] },
  { id: "dmask-cross", kind: "public", name: name("T_q=3, T_k=7 と (T_q, T_k) のマスク", "T_q=3, T_k=7 with a (T_q, T_k) mask"), make: ({ rng }) => [...qkv(rng, 2, 3, 7, 5, 3), randomMask(rng, 3, 7, false)] },
  { id: "dmask-causal-padding", kind: "public", name: name("因果 AND パディング (B, T, T): 長さ 5, 2", "causal AND padding (B, T, T): lengths 5, 2"), make: ({ rng }) => [...qkv(rng, 2, 5, 5, 4, 4), causalPadding([5, 2], 5)] },
  {
    id: "dmask-4d",
    kind: "public",
    name: name("4 次元 (B, H, T, d) と (T, T) の因果マスク", "4-D (B, H, T, d) with a (T, T) causal mask"),
    make: ({ rng }) => [randn(rng, [2, 3, 5, 4]), randn(rng, [2, 3, 5, 4]), randn(rng, [2, 3, 5, 4]), causalMask(5)],
  },
  {
    id: "dmask-fully-masked-row",
    kind: "pitfall",
    name: name("見てよいキーが 1 つもない行 (一様な重み、NaN なし)", "a row with no visible key (uniform weights, no NaN)"),
    make: ({ rng }) => [...qkv(rng, 1, 4, 4, 4, 4), fromValues("int32", [1, 4, 4], [1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1])],
  },
  { id: "dmask-direction", kind: "pitfall", name: name("マスクの向き: 1 の位置だけ見てよい", "mask direction: only the 1s may be seen"), make: ({ rng }) => [...qkv(rng, 2, 4, 6, 4, 4), paddingMask([2, 5], 6)] },
  {
    id: "dmask-negative-scores",
    kind: "pitfall",
    name: name("負のスコアが多い: 隠した位置のスコアを 0 にしても隠れない", "mostly negative scores: a hidden score of 0 is not hidden"),
    make: ({ rng }) => {
      const [q, k, v] = qkv(rng, 1, 5, 5, 4, 4);
      const kNeg = (k as WireTensor).$tensor.data;
      const qd = (q as WireTensor).$tensor.data;
      // Q positive and K negative makes every score negative, so exp(0) outweighs every visible key.
      for (let i = 0; i < qd.length; i++) qd[i] = Math.abs(qd[i] as number) + 0.5;
      for (let i = 0; i < kNeg.length; i++) kNeg[i] = -Math.abs(kNeg[i] as number) - 0.5;
      return [q as WireValue, k as WireValue, v as WireValue, causalMask(5)];
    },
  },
  {
    id: "dmask-very-negative-scores",
    kind: "pitfall",
    name: name("見えるスコアがすべて -50 より小さい: 塞ぐ値は -1e9 (-20 では足りない)", "every visible score below -50: hide with -1e9 (-20 is not enough)"),
    make: ({ rng }) => {
      const [q, k, v] = qkv(rng, 1, 5, 5, 4, 4);
      const qd = (q as WireTensor).$tensor.data;
      const kd = (k as WireTensor).$tensor.data;
      // Q about +6 and K about -6 give scores near -36 * 4 / sqrt(4) = -72: a fill of -20 would win.
      for (let i = 0; i < qd.length; i++) qd[i] = 6 + 0.3 * (qd[i] as number);
      for (let i = 0; i < kd.length; i++) kd[i] = -6 + 0.3 * (kd[i] as number);
      return [q as WireValue, k as WireValue, v as WireValue, causalMask(5)];
    },
  },
  {
    id: "dmask-overflow-logits",
    kind: "pitfall",
    name: name("大きなスコア (> 100): max を引かない exp は float32 で溢れる", "large scores (> 100): exp without the max subtraction overflows float32"),
    make: ({ rng }) => [...qkv(rng, 2, 4, 4, 4, 4, 12), causalMask(4)],
  },
  hidden("dmask-hidden-causal", "ランダムな長さの因果マスク", "causal mask of random length", (rng) => {
    const t = rng.int(2, 12);
    return [...qkv(rng, rng.int(1, 4), t, t, rng.int(2, 17), rng.int(2, 9)), causalMask(t)];
  }),
  hidden("dmask-hidden-padding", "ランダムなパディング", "random padding", (rng) => {
    const b = rng.int(1, 5);
    const t = rng.int(2, 10);
    return [...qkv(rng, b, t, t, rng.int(2, 10), rng.int(2, 10)), paddingMask(randomLengths(rng, b, t), t)];
  }),
  hidden("dmask-hidden-bool-padding", "bool 型のパディングマスク", "a bool padding mask", (rng) => {
    const b = rng.int(2, 4);
    const t = rng.int(2, 9);
    return [...qkv(rng, b, t, t, 4, 3), as("bool", paddingMask(randomLengths(rng, b, t), t))];
  }),
  hidden("dmask-hidden-float-mask", "float32 型の 0/1 マスク", "a float32 0/1 mask", (rng) => {
    const t = rng.int(2, 9);
    return [...qkv(rng, 2, t, t, 5, 5), as("float32", causalMask(t))];
  }),
  hidden("dmask-hidden-cross", "T_q ≠ T_k とランダムなマスク", "T_q != T_k and a random mask", (rng) => {
    const tq = rng.int(1, 7);
    const tk = tq + rng.int(1, 6);
    return [...qkv(rng, rng.int(1, 4), tq, tk, rng.int(2, 9), rng.int(1, 7)), randomMask(rng, tq, tk, false)];
  }),
  hidden("dmask-hidden-fully-masked", "見てよいキーがない行を含む", "rows with no visible key", (rng) => {
    const t = rng.int(3, 8);
    return [...qkv(rng, 2, t, t, 4, 4), paddingMask([0, rng.int(1, t + 1)], t)];
  }),
  hidden("dmask-hidden-random-holes", "穴の空いたマスク (空の行もあり)", "a mask with holes (empty rows allowed)", (rng) => {
    const tq = rng.int(2, 7);
    const tk = rng.int(2, 7);
    return [...qkv(rng, 2, tq, tk, 3, 4), randomMask(rng, tq, tk, true)];
  }),
  hidden("dmask-hidden-4d", "4 次元 (B, H, T, d) とパディング (B, 1, 1, T)", "4-D (B, H, T, d) with padding (B, 1, 1, T)", (rng) => {
    const [b, h, t, d] = [rng.int(1, 4), rng.int(2, 5), rng.int(2, 8), rng.int(2, 7)];
    const pad = paddingMask(randomLengths(rng, b, t), t);
    const mask = wireTensor("int32", [b, 1, 1, t], pad.$tensor.data);
    return [randn(rng, [b, h, t, d]), randn(rng, [b, h, t, d]), randn(rng, [b, h, t, d]), mask];
  }),
  hidden("dmask-hidden-causal-padding", "因果 AND パディング", "causal AND padding", (rng) => {
    const b = rng.int(1, 4);
    const t = rng.int(2, 9);
    return [...qkv(rng, b, t, t, 4, 4), causalPadding(randomLengths(rng, b, t), t)];
  }),
  hidden("dmask-hidden-large-values", "大きな値のスコア", "large scores", (rng) => {
    const t = rng.int(3, 8);
    return [...qkv(rng, 2, t, t, 16, 4, 3), causalMask(t)];
  }),
  hidden("dmask-hidden-t1", "T=1", "T=1", (rng) => [...qkv(rng, rng.int(1, 4), 1, 1, rng.int(1, 6), 3), causalMask(1)]),
  hidden("dmask-hidden-dk1", "d_k = 1", "d_k = 1", (rng) => {
    const t = rng.int(2, 7);
    return [...qkv(rng, 2, t, t, 1, 2), causalMask(t)];
  }),
];

// ---------------------------------------------------------------- invariants

function partOf(v: WireValue, part: number): WireTensor | null {
  const p = Array.isArray(v) ? v[part] : undefined;
  return isWireTensor(p) ? p : null;
}

/** A query whose keys are all hidden gets weight 1/T_k on every key: finite, uniform, no NaN. */
const fullyMaskedInvariant: InvariantDef = {
  id: "dmask-inv-fully-masked-uniform",
  name: name("見てよいキーがない行は一様な重み (NaN にならない)", "a row with no visible key gets uniform weights (never NaN)"),
  async run({ rng, call }) {
    const t = 5;
    const result = await call([...qkv(rng, 2, 3, t, 4, 4), paddingMask([0, 3], t)]);
    const w = partOf(result, 1);
    const out = partOf(result, 0);
    if (w === null || out === null) return { ok: false, message: { ja: "[出力, 注意重み] の配列を返してください", en: "return [output, weights]" } };
    const nonFinite = [...w.$tensor.data, ...out.$tensor.data].some((v) => !Number.isFinite(v));
    if (nonFinite) {
      return {
        ok: false,
        pitfall: "fully-masked-nan",
        message: {
          ja: "バッチ 0 はすべてのキーがマスクされています (長さ 0)。この行の重みと出力に NaN または Inf が出ました。-Infinity で埋めると softmax が exp(-inf - (-inf)) を計算します",
          en: "batch 0 has every key masked (length 0), and its weights and output contain NaN or Inf; filling with -Infinity makes the softmax compute exp(-inf - (-inf))",
        },
      };
    }
    const data = w.$tensor.data;
    for (let i = 0; i < 3 * t; i++) {
      if (!(Math.abs((data[i] as number) - 1 / t) <= 1e-5)) {
        return {
          ok: false,
          message: {
            ja: `すべてのキーがマスクされた行の重みは一様な 1/${t} のはずですが、${data[i]} がありました`,
            en: `a row whose keys are all masked must weight every key 1/${t}, but one weight is ${data[i]}`,
          },
        };
      }
    }
    return { ok: true };
  },
};

const invariants: InvariantDef[] = [
  rowsSumToOne("dmask-inv-rows-sum-to-one", (rng) => [...qkv(rng, 2, 5, 6, 4, 3), paddingMask([6, 2], 6)], 1),
  noWeightOnMasked(
    "dmask-inv-masked-zero",
    (rng) => {
      const mask = paddingMask([3, 5, 1], 5);
      return { args: [...qkv(rng, 3, 4, 5, 4, 4), mask], mask };
    },
    1,
  ),
  noWeightOnMasked(
    "dmask-inv-future-zero",
    (rng) => {
      const mask = as("bool", causalMask(6));
      return { args: [...qkv(rng, 2, 6, 6, 3, 3), mask], mask };
    },
    1,
  ),
  futureDoesNotLeak(
    "dmask-inv-causal-no-leak",
    (rng) => ({ args: [...qkv(rng, 2, 8, 8, 4, 4), causalMask(8)], perturb: [0, 1, 2], seqLen: 8, seqAxis: 1 }),
    0,
  ),
  fullyMaskedInvariant,
];

export default defineExercise({
  cases,
  invariants,
  probabilityParts: [1],
  heatmapPart: 1,
  describeMismatch: describeMaskedMismatch(3, 1),
});
