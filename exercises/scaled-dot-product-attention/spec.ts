import type { WireTensor, WireValue } from "@tfm/contract";
import {
  type CaseDef,
  type Rng,
  causalMask,
  defineExercise,
  describeMaskedMismatch,
  fromValues,
  futureDoesNotLeak,
  noWeightOnMasked,
  paddingMask,
  permutationEquivariant,
  randn,
  rowsSumToOne,
} from "@tfm/spec";

const name = (ja: string, en: string) => ({ ja, en });

/** Q, K, V for batch b, query length tq, key length tk. */
function qkv(rng: Rng, b: number, tq: number, tk: number, dk: number, dv: number, scale = 1): WireValue[] {
  return [randn(rng, [b, tq, dk], scale), randn(rng, [b, tk, dk], scale), randn(rng, [b, tk, dv], scale)];
}

function randomLengths(rng: Rng, b: number, t: number): number[] {
  return Array.from({ length: b }, () => rng.int(1, t + 1));
}

function hidden(id: string, ja: string, en: string, make: (rng: Rng) => WireValue[]): CaseDef {
  return { id, kind: "hidden", name: name(ja, en), make: ({ rng }) => make(rng) };
}

const cases: CaseDef[] = [
  {
    id: "sdpa-basic",
    kind: "public",
    name: name("基本: B=2, T=5, d=8, マスクなし", "basic: B=2, T=5, d=8, no mask"),
    make: ({ rng }) => [...qkv(rng, 2, 5, 5, 8, 8), null],
  },
  {
    id: "sdpa-causal",
    kind: "public",
    name: name("因果マスク: B=1, T=6, d=4", "causal mask: B=1, T=6, d=4"),
    make: ({ rng }) => [...qkv(rng, 1, 6, 6, 4, 4), causalMask(6)],
  },
  {
    id: "sdpa-padding",
    kind: "public",
    name: name("パディングマスク: 長さ 5, 3, 1", "padding mask: lengths 5, 3, 1"),
    make: ({ rng }) => [...qkv(rng, 3, 5, 5, 6, 6), paddingMask([5, 3, 1], 5)],
  },
  {
    id: "sdpa-cross",
    kind: "public",
    name: name("T_q ≠ T_k かつ d_v ≠ d_k: Q 3 個, K/V 7 個", "T_q != T_k and d_v != d_k: 3 queries, 7 keys"),
    make: ({ rng }) => [...qkv(rng, 2, 3, 7, 5, 3), null],
  },
  {
    id: "sdpa-single-token",
    kind: "public",
    name: name("T=1 (トークン 1 個)", "T=1 (a single token)"),
    make: ({ rng }) => [...qkv(rng, 2, 1, 1, 4, 4), null],
  },
  {
    id: "sdpa-large-dk",
    kind: "pitfall",
    name: name("d_k=64: スケーリングの有無で結果が大きく変わる", "d_k=64: scaling changes the result a lot"),
    make: ({ rng }) => [...qkv(rng, 1, 4, 4, 64, 8), null],
  },
  {
    id: "sdpa-fully-masked-row",
    kind: "pitfall",
    name: name("全キーがマスクされた行を含む (NaN を出さない)", "a row whose keys are all masked (no NaN)"),
    make: ({ rng }) => {
      const mask = fromValues("int32", [1, 4, 4], [1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1]);
      return [...qkv(rng, 1, 4, 4, 4, 4), mask];
    },
  },
  {
    id: "sdpa-mask-direction",
    kind: "pitfall",
    name: name("マスクの向き: 1 だけ見てよい", "mask direction: only the 1s may be seen"),
    make: ({ rng }) => [...qkv(rng, 2, 4, 6, 4, 4), paddingMask([2, 5], 6)],
  },
  {
    id: "sdpa-overflow-logits",
    kind: "pitfall",
    name: name("大きなスコア (|QKᵀ/√d_k| > 100): exp がそのままでは float32 で溢れる", "large scores (|QK^T / sqrt(d_k)| > 100): exp overflows float32 without the max subtraction"),
    make: ({ rng }) => [...qkv(rng, 2, 4, 5, 4, 4, 12), null],
  },
  {
    id: "sdpa-very-negative-scores",
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
  hidden("sdpa-hidden-batch1-odd-dk", "B=1, d_k が奇数", "B=1, odd d_k", (rng) => [...qkv(rng, 1, rng.int(2, 9), rng.int(2, 9), 7, 5), null]),
  hidden("sdpa-hidden-cross-lengths", "T_q ≠ T_k をランダムに", "random T_q != T_k", (rng) => {
    const tq = rng.int(1, 8);
    const tk = tq + rng.int(1, 6);
    return [...qkv(rng, rng.int(1, 4), tq, tk, rng.int(2, 12), rng.int(1, 9)), null];
  }),
  hidden("sdpa-hidden-t1", "T=1 のクエリと複数のキー", "one query, several keys", (rng) => [...qkv(rng, 3, 1, rng.int(2, 10), 6, 6), null]),
  hidden("sdpa-hidden-causal", "ランダムな長さの因果マスク", "causal mask of random length", (rng) => {
    const t = rng.int(2, 12);
    return [...qkv(rng, rng.int(1, 4), t, t, rng.int(2, 17), rng.int(2, 9)), causalMask(t)];
  }),
  hidden("sdpa-hidden-padding", "ランダムなパディング", "random padding", (rng) => {
    const b = rng.int(1, 5);
    const t = rng.int(2, 10);
    return [...qkv(rng, b, t, t, rng.int(2, 10), rng.int(2, 10)), paddingMask(randomLengths(rng, b, t), t)];
  }),
  hidden("sdpa-hidden-4d", "4 次元 (B, H, T, d)", "4-D (B, H, T, d)", (rng) => {
    const [b, h, t, d] = [rng.int(1, 3), rng.int(2, 5), rng.int(2, 7), rng.int(2, 9)];
    return [randn(rng, [b, h, t, d]), randn(rng, [b, h, t, d]), randn(rng, [b, h, t, d]), causalMask(t)];
  }),
  hidden("sdpa-hidden-large-values", "大きな値 (スケーリングが効く)", "large values (scaling matters)", (rng) => [
    ...qkv(rng, 2, rng.int(3, 7), rng.int(3, 7), 32, 4, 2),
    null,
  ]),
  hidden("sdpa-hidden-fully-masked", "全てマスクされた行", "fully masked rows", (rng) => {
    const t = rng.int(3, 8);
    const lengths = [0, rng.int(1, t + 1)];
    return [...qkv(rng, 2, t, t, 4, 4), paddingMask(lengths, t)];
  }),
  hidden("sdpa-hidden-dk1", "d_k = 1", "d_k = 1", (rng) => [...qkv(rng, 2, rng.int(2, 6), rng.int(2, 6), 1, 3), null]),
  hidden("sdpa-hidden-mask-2d", "(T_q, T_k) の 2 次元マスクをブロードキャスト", "a 2-D (T_q, T_k) mask broadcast over the batch", (rng) => {
    const tq = rng.int(2, 6);
    const tk = rng.int(2, 6);
    const values = Array.from({ length: tq * tk }, (_, i) => (i % tk === 0 ? 1 : rng.int(0, 2)));
    return [...qkv(rng, rng.int(2, 4), tq, tk, 5, 5), fromValues("int32", [tq, tk], values)];
  }),
];

export default defineExercise({
  cases,
  probabilityParts: [1],
  heatmapPart: 1,
  describeMismatch: describeMaskedMismatch(3, 1),
  invariants: [
    rowsSumToOne("sdpa-inv-rows-sum-to-one", (rng) => [...qkv(rng, 2, 5, 6, 4, 3), paddingMask([6, 2], 6)], 1),
    noWeightOnMasked(
      "sdpa-inv-masked-zero",
      (rng) => {
        const mask = paddingMask([3, 5, 1], 5);
        return { args: [...qkv(rng, 3, 4, 5, 4, 4), mask], mask };
      },
      1,
    ),
    futureDoesNotLeak(
      "sdpa-inv-causal-no-leak",
      (rng) => ({ args: [...qkv(rng, 2, 8, 8, 4, 4), causalMask(8)], perturb: [1, 2], seqLen: 8, seqAxis: 1 }),
      0,
    ),
    permutationEquivariant(
      "sdpa-inv-key-permutation",
      (rng) => ({ args: [...qkv(rng, 2, 6, 6, 4, 4), null], permute: [0, 1, 2], seqLen: 6, seqAxis: 1 }),
      0,
    ),
  ],
});
