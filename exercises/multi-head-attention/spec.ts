import type { WireValue } from "@tfm/contract";
import {
  type CaseDef,
  type Rng,
  causalMask,
  defineExercise,
  futureDoesNotLeak,
  permutationEquivariant,
  randn,
  rowsSumToOne,
  headPaddingMask,
  mhaWeights,
} from "@tfm/spec";

const name = (ja: string, en: string) => ({ ja, en });

const weights = mhaWeights;

const padMask = headPaddingMask;

function args(rng: Rng, b: number, t: number, d: number, h: number, mask: WireValue = null): WireValue[] {
  return [randn(rng, [b, t, d]), weights(rng, d), h, mask];
}

function hidden(id: string, ja: string, en: string, make: (rng: Rng) => WireValue[]): CaseDef {
  return { id, kind: "hidden", name: name(ja, en), make: ({ rng }) => make(rng) };
}

/** d_model = h * d_k with d_k drawn from sizes that are not powers of two as often as not. */
function dims(rng: Rng): { h: number; d: number } {
  const h = rng.int(1, 5);
  const dk = rng.pick([2, 3, 4, 5, 6, 7]);
  return { h, d: h * dk };
}

const cases: CaseDef[] = [
  { id: "mha-basic", kind: "public", name: name("基本: B=2, T=5, d_model=8, h=2", "basic: B=2, T=5, d_model=8, h=2"), make: ({ rng }) => args(rng, 2, 5, 8, 2) },
  { id: "mha-odd-dk", kind: "public", name: name("d_k=3 (2 の累乗でない): d_model=12, h=4", "d_k=3 (not a power of two): d_model=12, h=4"), make: ({ rng }) => args(rng, 1, 6, 12, 4) },
  { id: "mha-single-token", kind: "public", name: name("T=1", "T=1"), make: ({ rng }) => args(rng, 2, 1, 6, 3) },
  { id: "mha-causal", kind: "public", name: name("因果マスク: T=5, h=2", "causal mask: T=5, h=2"), make: ({ rng }) => args(rng, 2, 5, 8, 2, causalMask(5)) },
  { id: "mha-padding", kind: "public", name: name("パディングマスク (B, 1, 1, T)", "padding mask (B, 1, 1, T)"), make: ({ rng }) => args(rng, 3, 4, 10, 2, padMask([4, 2, 1], 4)) },
  { id: "mha-one-head", kind: "public", name: name("h=1 (単一ヘッド)", "h=1 (a single head)"), make: ({ rng }) => args(rng, 2, 4, 5, 1) },
  { id: "mha-head-order", kind: "pitfall", name: name("ヘッドの分割と結合の順序 (B=2, T=4, h=2)", "order of the head split and merge (B=2, T=4, h=2)"), make: ({ rng }) => args(rng, 2, 4, 8, 2) },
  { id: "mha-many-heads", kind: "pitfall", name: name("h=4, d_k=4: √d_k と √d_model の違いが出る", "h=4, d_k=4: sqrt(d_k) vs sqrt(d_model) matters"), make: ({ rng }) => args(rng, 1, 5, 16, 4) },
  {
    id: "mha-fully-masked-row",
    kind: "pitfall",
    name: name("全キーがマスクされた系列 (長さ 0) を含む: NaN を出さない", "a sequence whose keys are all masked (length 0): no NaN"),
    make: ({ rng }) => args(rng, 2, 4, 8, 2, padMask([0, 3], 4)),
  },
  {
    id: "mha-mask-direction",
    kind: "pitfall",
    name: name("マスクの向き: 1 だけ見てよい (長さ 1 と 3)", "mask direction: only the 1s may be seen (lengths 1 and 3)"),
    make: ({ rng }) => args(rng, 2, 5, 8, 2, padMask([1, 3], 5)),
  },
  {
    id: "mha-overflow-logits",
    kind: "pitfall",
    name: name("大きな入力 (スコア > 100): max を引かない exp は float32 で溢れる", "large inputs (scores > 100): exp without the max subtraction overflows float32"),
    make: ({ rng }) => [randn(rng, [2, 4, 8], 12), weights(rng, 8), 2, null],
  },
  hidden("mha-hidden-random-1", "ランダムな形状 1", "random shapes 1", (rng) => { const { h, d } = dims(rng); return args(rng, rng.int(1, 4), rng.int(2, 8), d, h); }),
  hidden("mha-hidden-random-2", "ランダムな形状 2", "random shapes 2", (rng) => { const { h, d } = dims(rng); return args(rng, rng.int(1, 4), rng.int(2, 8), d, h); }),
  hidden("mha-hidden-batch1", "B=1", "B=1", (rng) => { const { h, d } = dims(rng); return args(rng, 1, rng.int(2, 9), d, h); }),
  hidden("mha-hidden-t1", "T=1", "T=1", (rng) => { const { h, d } = dims(rng); return args(rng, rng.int(1, 4), 1, d, h); }),
  hidden("mha-hidden-causal", "因果マスク", "causal mask", (rng) => { const t = rng.int(2, 9); const { h, d } = dims(rng); return args(rng, rng.int(1, 3), t, d, h, causalMask(t)); }),
  hidden("mha-hidden-padding", "パディングマスク", "padding mask", (rng) => {
    const t = rng.int(2, 8);
    const b = rng.int(1, 4);
    const { h, d } = dims(rng);
    return args(rng, b, t, d, h, padMask(Array.from({ length: b }, () => rng.int(1, t + 1)), t));
  }),
  hidden("mha-hidden-dk-5", "d_k=5, h=3", "d_k=5, h=3", (rng) => args(rng, 2, rng.int(3, 7), 15, 3)),
  hidden("mha-hidden-dk-1", "d_k=1 (h = d_model)", "d_k=1 (h = d_model)", (rng) => args(rng, 2, rng.int(2, 6), 4, 4)),
  hidden("mha-hidden-8-heads", "h=8", "h=8", (rng) => args(rng, 1, rng.int(3, 7), 16, 8)),
  hidden("mha-hidden-long", "T=16", "T=16", (rng) => args(rng, 2, 16, 12, 3, causalMask(16))),
];

export default defineExercise({
  cases,
  probabilityParts: [1],
  heatmapPart: 1,
  invariants: [
    rowsSumToOne("mha-inv-rows-sum-to-one", (rng) => args(rng, 2, 5, 8, 2, padMask([5, 3], 5)), 1),
    futureDoesNotLeak(
      "mha-inv-causal-no-leak",
      (rng) => ({ args: args(rng, 2, 8, 8, 2, causalMask(8)), perturb: [0], seqLen: 8, seqAxis: 1 }),
      0,
    ),
    permutationEquivariant(
      "mha-inv-permutation",
      (rng) => ({ args: args(rng, 2, 6, 8, 2), permute: [0], seqLen: 6, seqAxis: 1 }),
      0,
    ),
  ],
});
