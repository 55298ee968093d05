import { type Localized, type WireTensor, type WireValue, isWireTensor, shapeText } from "@tfm/contract";
import {
  CallFailure,
  type CaseDef,
  type InvariantDef,
  type InvariantOutcome,
  type Rng,
  causalMask,
  defineExercise,
  fromValues,
  full,
  futureDoesNotLeak,
  permutationEquivariant,
  randn,
  rowsSumToOne,
  unravel,
  headPaddingMask,
  mhaWeights,
} from "@tfm/spec";

const name = (ja: string, en: string): Localized => ({ ja, en });

const weights = mhaWeights;

const padMask = headPaddingMask;

function args(rng: Rng, b: number, t: number, d: number, h: number, mask: WireValue = null): WireValue[] {
  return [randn(rng, [b, t, d]), weights(rng, d), h, mask];
}

/** d_model = h * d_k, with d_k and h drawn so that T, h and d_k are rarely equal. */
function dims(rng: Rng): { h: number; d: number } {
  const h = rng.int(2, 5);
  const dk = rng.pick([2, 3, 5, 6, 7]);
  return { h, d: h * dk };
}

function hidden(id: string, ja: string, en: string, make: (rng: Rng) => WireValue[]): CaseDef {
  return { id, kind: "hidden", name: name(ja, en), make: ({ rng }) => make(rng) };
}

const cases: CaseDef[] = [
  { id: "dshape-basic", kind: "public", name: name("基本: B=2, T=5, d_model=8, h=2", "basic: B=2, T=5, d_model=8, h=2"), make: ({ rng }) => args(rng, 2, 5, 8, 2) },
  { id: "dshape-odd-dk", kind: "public", name: name("d_k=3 (2 の累乗でない): d_model=12, h=4", "d_k=3 (not a power of two): d_model=12, h=4"), make: ({ rng }) => args(rng, 1, 6, 12, 4) },
  { id: "dshape-single-token", kind: "public", name: name("T=1", "T=1"), make: ({ rng }) => args(rng, 2, 1, 6, 3) },
  { id: "dshape-causal", kind: "public", name: name("因果マスク: T=5, h=2", "causal mask: T=5, h=2"), make: ({ rng }) => args(rng, 2, 5, 8, 2, causalMask(5)) },
  { id: "dshape-padding", kind: "public", name: name("パディングマスク (B, 1, 1, T)", "padding mask (B, 1, 1, T)"), make: ({ rng }) => args(rng, 3, 4, 10, 2, padMask([4, 2, 1], 4)) },
  {
    id: "dshape-fully-masked-row",
    kind: "pitfall",
    name: name("全キーがマスクされた系列 (長さ 0) を含む: NaN を出さない", "a sequence whose keys are all masked (length 0): no NaN"),
    make: ({ rng }) => args(rng, 2, 4, 8, 2, padMask([0, 3], 4)),
  },
  {
    id: "dshape-mask-direction",
    kind: "pitfall",
    name: name("マスクの向き: 1 だけ見てよい (長さ 1 と 3)", "mask direction: only the 1s may be seen (lengths 1 and 3)"),
    make: ({ rng }) => args(rng, 2, 5, 8, 2, padMask([1, 3], 5)),
  },
  {
    id: "dshape-overflow-logits",
    kind: "pitfall",
    name: name("大きな入力 (スコア > 100): max を引かない exp は float32 で溢れる", "large inputs (scores > 100): exp without the max subtraction overflows float32"),
    make: ({ rng }) => [randn(rng, [2, 4, 8], 12), weights(rng, 8), 2, null],
  },
  { id: "dshape-one-head", kind: "public", name: name("h=1 (単一ヘッド)", "h=1 (a single head)"), make: ({ rng }) => args(rng, 2, 4, 5, 1) },
  {
    id: "dshape-head-order",
    kind: "pitfall",
    name: name("ヘッドを戻す順序 (B=2, T=4, h=2)", "the order in which the heads go back (B=2, T=4, h=2)"),
    make: ({ rng }) => args(rng, 2, 4, 8, 2),
  },
  {
    id: "dshape-all-sizes-differ",
    kind: "pitfall",
    name: name("T=5, h=3, d_k=4: どの軸の大きさも違う", "T=5, h=3, d_k=4: every axis has its own size"),
    make: ({ rng }) => args(rng, 2, 5, 12, 3),
  },
  {
    id: "dshape-very-negative-scores",
    kind: "pitfall",
    name: name("見えるスコアがすべて -50 より小さい (因果マスク): 塞ぐ値は -1e9 (-20 では足りない)", "every visible score below -50 (causal mask): hide with -1e9 (-20 is not enough)"),
    make: ({ rng }) => {
      const [b, t, d] = [1, 5, 8];
      const x = randn(rng, [b, t, d]);
      // x about +6 with W_q = I and W_k = -I (no bias) gives every score near -36 * 4 / sqrt(4) = -72
      // in both heads (d_k = 4): a fill of -20 would outweigh every visible key.
      for (let i = 0; i < x.$tensor.data.length; i++) x.$tensor.data[i] = 6 + 0.3 * (x.$tensor.data[i] as number);
      const w = weights(rng, d) as Record<string, WireValue>;
      const zero = full("float32", [d], 0);
      const negEye = fromValues("float32", [d, d], Array.from({ length: d * d }, (_, i) => (i % (d + 1) === 0 ? -1 : 0)));
      return [x, { ...w, Wq: eye(d), bq: zero, Wk: negEye, bk: zero }, 2, causalMask(t)];
    },
  },
  hidden("dshape-hidden-random-1", "ランダムな形状 1", "random shapes 1", (rng) => { const { h, d } = dims(rng); return args(rng, rng.int(1, 4), rng.int(2, 9), d, h); }),
  hidden("dshape-hidden-random-2", "ランダムな形状 2", "random shapes 2", (rng) => { const { h, d } = dims(rng); return args(rng, rng.int(1, 4), rng.int(2, 9), d, h); }),
  hidden("dshape-hidden-batch1", "B=1", "B=1", (rng) => { const { h, d } = dims(rng); return args(rng, 1, rng.int(2, 9), d, h); }),
  hidden("dshape-hidden-t1", "T=1", "T=1", (rng) => { const { h, d } = dims(rng); return args(rng, rng.int(1, 4), 1, d, h); }),
  hidden("dshape-hidden-causal", "因果マスク", "causal mask", (rng) => { const t = rng.int(2, 9); const { h, d } = dims(rng); return args(rng, rng.int(1, 3), t, d, h, causalMask(t)); }),
  hidden("dshape-hidden-padding", "パディングマスク", "padding mask", (rng) => {
    const t = rng.int(2, 8);
    const b = rng.int(1, 4);
    const { h, d } = dims(rng);
    return args(rng, b, t, d, h, padMask(Array.from({ length: b }, () => rng.int(1, t + 1)), t));
  }),
  hidden("dshape-hidden-t-equals-h", "T = h (軸の取り違えが形状に出ない)", "T = h (a swapped axis does not show in the shape)", (rng) => { const h = rng.int(2, 5); return args(rng, 2, h, h * 3, h); }),
  hidden("dshape-hidden-dk-1", "d_k=1 (h = d_model)", "d_k=1 (h = d_model)", (rng) => args(rng, 2, rng.int(2, 6), 5, 5)),
  hidden("dshape-hidden-8-heads", "h=8", "h=8", (rng) => args(rng, 1, rng.int(3, 7), 16, 8)),
  hidden("dshape-hidden-long", "T=16 と因果マスク", "T=16 with a causal mask", (rng) => args(rng, 2, 16, 12, 3, causalMask(16))),
];

// ---------------------------------------------------------------- invariants

const VIEW_ERROR = /view size is not compatible|not contiguous/i;

/** Calls the function; a thrown view() error becomes the view-non-contiguous diagnosis. */
async function callOrDiagnose(call: (a: WireValue[]) => Promise<WireValue>, a: WireValue[]): Promise<{ value: WireValue } | { outcome: InvariantOutcome }> {
  try {
    return { value: await call(a) };
  } catch (e) {
    if (e instanceof CallFailure && e.thrown !== null && VIEW_ERROR.test(e.thrown.message)) {
      return {
        outcome: {
          ok: false,
          pitfall: "view-non-contiguous",
          message: {
            ja: `multiHeadAttention がエラーを投げました: ${e.thrown.message}。transpose 直後のテンソルに view を使っていないか、各行で t.shape と t.isContiguous() を表示して確かめてください`,
            en: `multiHeadAttention threw: ${e.thrown.message}. Print t.shape and t.isContiguous() after each step to find the view() that runs on a transposed tensor`,
          },
        },
      };
    }
    throw e;
  }
}

function tensorPart(v: WireValue, part: number): WireTensor | null {
  const p = Array.isArray(v) ? v[part] : undefined;
  return isWireTensor(p) ? p : null;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

const eye = (d: number): WireTensor => fromValues("float32", [d, d], Array.from({ length: d * d }, (_, i) => (i % (d + 1) === 0 ? 1 : 0)));

/** Identity projections (or zero ones for Q and K) with zero biases: every head is easy to predict. */
function plainWeights(d: number, qk: "identity" | "zero"): WireValue {
  const zero = full("float32", [d], 0);
  const qkW = qk === "identity" ? eye(d) : full("float32", [d, d], 0);
  return { Wq: qkW, bq: zero, Wk: qkW, bk: zero, Wv: eye(d), bv: zero, Wo: eye(d), bo: zero };
}

const shapesInvariant: InvariantDef = {
  id: "dshape-inv-shapes",
  name: name("形状: 出力 (B, T, d_model)、重み (B, h, T, T) (B=3, T=5, h=4, d_k=3)", "shapes: output (B, T, d_model), weights (B, h, T, T) (B=3, T=5, h=4, d_k=3)"),
  async run({ rng, call }) {
    const got = await callOrDiagnose(call, args(rng, 3, 5, 12, 4));
    if ("outcome" in got) return got.outcome;
    const expected = [[3, 5, 12], [3, 4, 5, 5]];
    const labels = [name("出力", "the output"), name("注意重み", "the weights")];
    for (let part = 0; part < 2; part++) {
      const t = tensorPart(got.value, part);
      const want = expected[part] as number[];
      const label = labels[part] as Localized;
      if (t === null) return { ok: false, message: { ja: `${label.ja}が Tensor ではありません ([出力, 重み] の配列を返してください)`, en: `${label.en} is not a Tensor (return [output, weights])` } };
      if (!sameShape(t.$tensor.shape, want)) {
        return {
          ok: false,
          message: {
            ja: `${label.ja}の形状は ${shapeText(want)} であるべきところ ${shapeText(t.$tensor.shape)} でした`,
            en: `${label.en} should have shape ${shapeText(want)} but has ${shapeText(t.$tensor.shape)}`,
          },
        };
      }
    }
    return { ok: true };
  },
};

/**
 * With identity projections and x zero outside head 0's features, heads 1.. see only zeros: their
 * scores are all 0 and their weights exactly 1/T. A split that is not "features into heads" puts
 * head 0's numbers into other heads.
 */
const splitInvariant: InvariantDef = {
  id: "dshape-inv-split-by-features",
  name: name("各ヘッドは自分の特徴 (d_k 個ずつの列) だけを見る", "each head sees only its own block of d_k features"),
  async run({ rng, call }) {
    const [b, t, h, dk] = [2, 5, 3, 2];
    const d = h * dk;
    const x = randn(rng, [b, t, d]);
    for (let i = 0; i < x.$tensor.data.length; i++) if (i % d >= dk) x.$tensor.data[i] = 0;
    const got = await callOrDiagnose(call, [x, plainWeights(d, "identity"), h, null]);
    if ("outcome" in got) return got.outcome;
    const w = tensorPart(got.value, 1);
    if (w === null || !sameShape(w.$tensor.shape, [b, h, t, t])) {
      return { ok: false, message: { ja: `注意重みの形状は ${shapeText([b, h, t, t])} であるべきです`, en: `the weights should have shape ${shapeText([b, h, t, t])}` } };
    }
    const data = w.$tensor.data;
    for (let i = 0; i < data.length; i++) {
      const idx = unravel(i, [b, h, t, t]);
      if ((idx[1] ?? 0) === 0) continue;
      if (!(Math.abs((data[i] as number) - 1 / t) <= 1e-5)) {
        return {
          ok: false,
          pitfall: "wrong-head-split",
          message: {
            ja: `x は特徴 0..${dk - 1} (ヘッド 0 の列) 以外がすべて 0、射影は単位行列です。ヘッド 1 以降のスコアはすべて 0 なので重みは一様な 1/${t} のはずですが、重み ${shapeText(idx)} は ${data[i]} でした。ヘッド ${idx[1]} に別のヘッドの特徴が入っています。分割の各段階で形状を表示し、(B, T, d_model) のどの軸を h と d_k に分けているか確かめてください`,
            en: `x is zero outside features 0..${dk - 1} (head 0's block) and every projection is the identity, so heads 1.. score all zeros and must weight every key 1/${t}; weight ${shapeText(idx)} is ${data[i]}. Head ${idx[1]} holds features of another head: print the shape after each step of the split and check which axis of (B, T, d_model) becomes h and d_k`,
          },
        };
      }
    }
    return { ok: true };
  },
};

/**
 * With Q = K = 0 every weight is 1/T, so with V and the output projection the identity every
 * position's output is the average of the tokens. A merge that does not move the head axis back
 * next to d_k keeps exactly these numbers but puts them at other positions and features.
 */
const mergeInvariant: InvariantDef = {
  id: "dshape-inv-merge-by-position",
  name: name("一様な注意では各位置の出力はトークンの平均 (ヘッドを位置ごとに戻す)", "with uniform attention every position outputs the token average (heads merged back per position)"),
  async run({ rng, call }) {
    const [b, t, h, dk] = [2, 4, 2, 3];
    const d = h * dk;
    const x = randn(rng, [b, t, d]);
    const got = await callOrDiagnose(call, [x, plainWeights(d, "zero"), h, null]);
    if ("outcome" in got) return got.outcome;
    const out = tensorPart(got.value, 0);
    if (out === null || !sameShape(out.$tensor.shape, [b, t, d])) {
      return { ok: false, message: { ja: `出力の形状は ${shapeText([b, t, d])} であるべきです`, en: `the output should have shape ${shapeText([b, t, d])}` } };
    }
    const xs = x.$tensor.data;
    const mean = (bi: number, f: number): number => {
      let s = 0;
      for (let ti = 0; ti < t; ti++) s += xs[(bi * t + ti) * d + f] as number;
      return s / t;
    };
    const got3 = out.$tensor.data;
    let bad: number[] | null = null;
    for (let bi = 0; bi < b && bad === null; bi++) {
      for (let r = 0; r < t && bad === null; r++) {
        for (let f = 0; f < d; f++) {
          const v = got3[(bi * t + r) * d + f] as number;
          const e = mean(bi, f);
          if (!(Math.abs(v - e) <= 1e-4 + 1e-3 * Math.abs(e))) {
            bad = [bi, r, f];
            break;
          }
        }
      }
    }
    if (bad === null) return { ok: true };
    const [bb, rr, ff] = bad as [number, number, number];
    const message: Localized = {
      ja: `Q = K = 0 なので重みはすべて 1/${t}、V と出力の射影は単位行列です。どの位置の出力もトークンの平均になるはずですが、${shapeText(bad)} は ${got3[(bb * t + rr) * d + ff]} でした (平均は ${mean(bb, ff)})。結合の直前と直後で形状と値を表示し、各行に同じ位置の全ヘッドが並んでいるか確かめてください`,
      en: `Q = K = 0 makes every weight 1/${t}, and V and the output projection are the identity, so every position should output the average of the tokens; ${shapeText(bad)} is ${got3[(bb * t + rr) * d + ff]} (the average is ${mean(bb, ff)}). Print shapes and values just before and after the merge and check that each row holds all heads of one position`,
    };
    // The right numbers in the wrong places: the split was right, the merge moved values across positions.
    const permuted = Array.from({ length: b }, (_, bi) => {
      const want = Array.from({ length: t * d }, (_, i) => mean(bi, i % d)).sort((p, q) => p - q);
      const have = Array.from(got3.subarray(bi * t * d, (bi + 1) * t * d)).sort((p, q) => p - q);
      return want.every((e, i) => Math.abs((have[i] as number) - e) <= 1e-4 + 1e-3 * Math.abs(e));
    }).every(Boolean);
    return permuted ? { ok: false, message, pitfall: "heads-not-transposed-back" } : { ok: false, message };
  },
};

export default defineExercise({
  cases,
  probabilityParts: [1],
  heatmapPart: 1,
  invariants: [
    shapesInvariant,
    splitInvariant,
    mergeInvariant,
    rowsSumToOne("dshape-inv-rows-sum-to-one", (rng) => args(rng, 2, 5, 9, 3, padMask([5, 2], 5)), 1),
    permutationEquivariant("dshape-inv-permutation", (rng) => ({ args: args(rng, 2, 6, 8, 2), permute: [0], seqLen: 6, seqAxis: 1 }), 0),
    futureDoesNotLeak("dshape-inv-causal-no-leak", (rng) => ({ args: args(rng, 1, 8, 6, 2, causalMask(8)), perturb: [0], seqLen: 8, seqAxis: 1 }), 0),
  ],
});
