import { type Localized, type WireTensor, type WireValue, isWireTensor, shapeText } from "@tfm/contract";
import {
  type CaseDef,
  type CompareVerdict,
  type InvariantDef,
  type InvariantOutcome,
  type Rng,
  causalMask,
  defineExercise,
  fromValues,
  full,
  futureDoesNotLeak,
  noWeightOnMasked,
  permutationEquivariant,
  randn,
  rowsSumToOne,
  unravel,
  headPaddingMask,
} from "@tfm/spec";

const name = (ja: string, en: string): Localized => ({ ja, en });

// ---------------------------------------------------------------- cases

function shifted(rng: Rng, shape: number[], scale: number, offset: number): WireTensor {
  const t = randn(rng, shape, scale);
  for (let i = 0; i < t.$tensor.data.length; i++) t.$tensor.data[i] = (t.$tensor.data[i] as number) + offset;
  return t;
}

/** Weights scaled like a Xavier initialisation; LayerNorm gains near 1 and small shifts. */
function weights(rng: Rng, d: number, dff: number, b1Offset = 0): Record<string, WireValue> {
  const s = 1 / Math.sqrt(d);
  return {
    Wq: randn(rng, [d, d], s * 1.5), bq: randn(rng, [d], 0.1),
    Wk: randn(rng, [d, d], s * 1.5), bk: randn(rng, [d], 0.1),
    Wv: randn(rng, [d, d], s), bv: randn(rng, [d], 0.1),
    Wo: randn(rng, [d, d], s), bo: randn(rng, [d], 0.1),
    gamma1: shifted(rng, [d], 0.1, 1), beta1: randn(rng, [d], 0.1),
    W1: randn(rng, [dff, d], s), b1: shifted(rng, [dff], 0.1, b1Offset),
    W2: randn(rng, [d, dff], 1 / Math.sqrt(dff)), b2: randn(rng, [d], 0.1),
    gamma2: shifted(rng, [d], 0.1, 1), beta2: randn(rng, [d], 0.1),
  };
}

const padMask = headPaddingMask;

function args(rng: Rng, b: number, t: number, d: number, h: number, dff: number, mask: WireValue = null): WireValue[] {
  return [randn(rng, [b, t, d]), weights(rng, d, dff), h, mask];
}

/**
 * d_model is at least 3: LayerNorm over 2 features is degenerate (each token becomes about ±γ + β)
 * and, when the two features are nearly equal, its condition number is about 1/sqrt(eps) ≈ 316, so
 * one float32 rounding upstream moves the output by ~1e-4 for any correct implementation (measured:
 * 2 of 5000 seeds failed a correct solution, both with d_model = 2). The -v2 cases replace those
 * that could draw d_model = 2.
 */
function dims(rng: Rng): { h: number; d: number; dff: number } {
  const h = rng.int(1, 5);
  const d = h * rng.pick(h === 1 ? [3, 4, 5] : [2, 3, 4, 5]);
  return { h, d, dff: d * rng.int(1, 5) + rng.int(0, 3) };
}

function hidden(id: string, ja: string, en: string, make: (rng: Rng) => WireValue[]): CaseDef {
  const replaced = /^(.*)-v2$/.exec(id)?.[1];
  return { id, kind: "hidden", name: name(ja, en), ...(replaced === undefined ? {} : { replaces: replaced }), make: ({ rng }) => make(rng) };
}

const cases: CaseDef[] = [
  { id: "enc-basic", kind: "public", name: name("基本: B=2, T=5, d_model=8, h=2, d_ff=16", "basic: B=2, T=5, d_model=8, h=2, d_ff=16"), make: ({ rng }) => args(rng, 2, 5, 8, 2, 16) },
  { id: "enc-odd-sizes", kind: "public", name: name("d_model=6, h=3 (d_k=2), d_ff=10", "d_model=6, h=3 (d_k=2), d_ff=10"), make: ({ rng }) => args(rng, 1, 6, 6, 3, 10) },
  { id: "enc-single-token", kind: "public", name: name("T=1", "T=1"), make: ({ rng }) => args(rng, 2, 1, 8, 2, 12) },
  { id: "enc-padding", kind: "public", name: name("パディングマスク (B, 1, 1, T): 長さ 5, 3", "padding mask (B, 1, 1, T): lengths 5, 3"), make: ({ rng }) => args(rng, 2, 5, 8, 4, 16, padMask([5, 3], 5)) },
  { id: "enc-causal", kind: "public", name: name("因果マスク: T=6", "causal mask: T=6"), make: ({ rng }) => args(rng, 1, 6, 9, 3, 12, causalMask(6)) },
  { id: "enc-one-head", kind: "public", name: name("h=1", "h=1"), make: ({ rng }) => args(rng, 2, 4, 5, 1, 7) },
  {
    id: "enc-relu-matters",
    kind: "pitfall",
    name: name("負の前活性が多いフィードフォワード (ReLU が効く)", "a feed-forward with mostly negative pre-activations (the ReLU matters)"),
    make: ({ rng }) => [randn(rng, [2, 4, 8]), weights(rng, 8, 24, -0.5), 2, null],
  },
  {
    id: "enc-fully-masked-row",
    kind: "pitfall",
    name: name("全キーがマスクされた系列 (長さ 0) を含む: NaN を出さない", "a sequence whose keys are all masked (length 0): no NaN"),
    make: ({ rng }) => args(rng, 2, 4, 8, 2, 16, padMask([0, 3], 4)),
  },
  {
    id: "enc-mask-direction",
    kind: "pitfall",
    name: name("マスクの向き: 1 だけ見てよい (長さ 1 と 3)", "mask direction: only the 1s may be seen (lengths 1 and 3)"),
    make: ({ rng }) => args(rng, 2, 5, 8, 2, 16, padMask([1, 3], 5)),
  },
  {
    id: "enc-overflow-logits",
    kind: "pitfall",
    name: name("大きな入力 (スコア > 100): max を引かない exp は float32 で溢れる", "large inputs (scores > 100): exp without the max subtraction overflows float32"),
    make: ({ rng }) => [randn(rng, [2, 4, 8], 15), weights(rng, 8, 16), 2, null],
  },
  {
    id: "enc-norm-axis",
    kind: "pitfall",
    name: name("T=7, d_model=4: LayerNorm の軸で結果が変わる", "T=7, d_model=4: the LayerNorm axis changes the result"),
    make: ({ rng }) => args(rng, 2, 7, 4, 2, 8),
  },
  {
    id: "enc-small-d-model",
    kind: "pitfall",
    name: name("d_model=4: 不偏分散との差が大きい", "d_model=4: the unbiased variance is far off"),
    make: ({ rng }) => args(rng, 1, 5, 4, 1, 6),
  },
  {
    id: "enc-very-negative-scores",
    kind: "pitfall",
    name: name("見えるスコアがすべて -50 より小さい (因果マスク): 塞ぐ値は -1e9 (-20 では足りない)", "every visible score below -50 (causal mask): hide with -1e9 (-20 is not enough)"),
    make: ({ rng }) => {
      const [b, t, d] = [1, 5, 8];
      const x = shifted(rng, [b, t, d], 0.3, 6);
      // x about +6 with W_q = I and W_k = -I (no bias) gives every score near -36 * 4 / sqrt(4) = -72
      // in both heads (d_k = 4): a fill of -20 would outweigh every visible key.
      const eye = (sign: number): WireTensor => fromValues("float32", [d, d], Array.from({ length: d * d }, (_, i) => (i % (d + 1) === 0 ? sign : 0)));
      const zero = full("float32", [d], 0);
      return [x, { ...weights(rng, d, 16), Wq: eye(1), bq: zero, Wk: eye(-1), bk: zero }, 2, causalMask(t)];
    },
  },
  {
    id: "enc-layernorm-eps",
    kind: "pitfall",
    name: name("特徴の分散が 1e-5 より小さいトークン: LayerNorm の eps = 1e-5 が効く", "tokens whose features vary less than 1e-5: LayerNorm's eps = 1e-5 matters"),
    make: ({ rng }) => {
      const d = 8;
      // x ~ 1e-3 has a variance near 1e-6, and a zero output projection keeps x + attention = x:
      // sqrt(var + 1e-5) is then about 3.3 times sqrt(var), so dropping eps (or making it tiny) shows.
      const zero = full("float32", [d], 0);
      return [randn(rng, [2, 4, d], 1e-3), { ...weights(rng, d, 16), Wo: full("float32", [d, d], 0), bo: zero }, 2, null];
    },
  },
  hidden("enc-hidden-random-1-v2", "ランダムな形状 1", "random shapes 1", (rng) => { const { h, d, dff } = dims(rng); return args(rng, rng.int(1, 4), rng.int(2, 9), d, h, dff); }),
  hidden("enc-hidden-random-2-v2", "ランダムな形状 2", "random shapes 2", (rng) => { const { h, d, dff } = dims(rng); return args(rng, rng.int(1, 4), rng.int(2, 9), d, h, dff); }),
  hidden("enc-hidden-batch1-v2", "B=1", "B=1", (rng) => { const { h, d, dff } = dims(rng); return args(rng, 1, rng.int(2, 9), d, h, dff); }),
  hidden("enc-hidden-t1-v2", "T=1", "T=1", (rng) => { const { h, d, dff } = dims(rng); return args(rng, rng.int(1, 4), 1, d, h, dff); }),
  hidden("enc-hidden-causal-v2", "因果マスク", "causal mask", (rng) => { const t = rng.int(2, 9); const { h, d, dff } = dims(rng); return args(rng, rng.int(1, 3), t, d, h, dff, causalMask(t)); }),
  hidden("enc-hidden-padding-v2", "パディングマスク", "padding mask", (rng) => {
    const t = rng.int(2, 8);
    const b = rng.int(1, 4);
    const { h, d, dff } = dims(rng);
    return args(rng, b, t, d, h, dff, padMask(Array.from({ length: b }, () => rng.int(1, t + 1)), t));
  }),
  hidden("enc-hidden-dk-1", "d_k=1 (h = d_model)", "d_k=1 (h = d_model)", (rng) => args(rng, 2, rng.int(2, 6), 4, 4, 8)),
  hidden("enc-hidden-wide-ff", "d_ff = 4 d_model", "d_ff = 4 d_model", (rng) => args(rng, 2, rng.int(2, 7), 12, 3, 48)),
  hidden("enc-hidden-large-x-v2", "値の大きな x (埋め込みの大きさ)", "large x (embedding scale)", (rng) => { const { h, d, dff } = dims(rng); return [randn(rng, [2, rng.int(2, 7), d], 4), weights(rng, d, dff), h, null]; }),
  hidden("enc-hidden-long", "T=12 と因果マスク", "T=12 with a causal mask", (rng) => args(rng, 1, 12, 8, 2, 16, causalMask(12))),
];

// ---------------------------------------------------------------- comparing the stages

/** Kept equal to exercise.json's tolerance (compare does not receive it). */
const TOLERANCE = { atol: 1e-5, rtol: 1e-4 };

const STAGES = ["attentionWeights", "attention", "residual1", "norm1", "feedForward", "residual2", "output"] as const;
type Stage = (typeof STAGES)[number];

/** What each stage is, and where to look when it is the first one that differs. */
const STAGE_TEXT: Record<Stage, { what: Localized; hint: Localized }> = {
  attentionWeights: {
    what: name("Multi-Head Attention の softmax", "the softmax inside multi-head attention"),
    hint: name(
      "ヘッドの分割 view(B, T, h, d_k).transpose(1, 2)、√d_k によるスケーリング、マスク (0 の位置を -1e9)、softmax の軸 (キー) を確かめてください",
      "check the head split view(B, T, h, d_k).transpose(1, 2), the scaling by sqrt(d_k), the mask (-1e9 where it is 0) and the softmax axis (the keys)",
    ),
  },
  attention: {
    what: name("注意サブ層の出力", "the attention sub-layer's output"),
    hint: name(
      "重みは一致しているので、違いは softmax より後です: 重み × V、ヘッドの結合 (transpose(1, 2) してから view)、出力の射影 Wo, bo",
      "the weights match, so the difference comes after the softmax: weights times V, merging the heads (transpose(1, 2) before the view), or the output projection Wo, bo",
    ),
  },
  residual1: {
    what: name("1 つ目の残差接続 x + attention", "the first residual connection, x + attention"),
    hint: name("attention は一致しています。ブロックの入力 x をそのまま足してください", "attention matches; add the block's input x to it, unchanged"),
  },
  norm1: {
    what: name("1 つ目の LayerNorm", "the first LayerNorm"),
    hint: name(
      "residual1 は一致しています。各トークンの特徴 (最後の軸) で平均と分散 (N で割る) をとり、(r − 平均) / √(分散 + 1e-5) × gamma1 + beta1 を計算してください",
      "residual1 matches; take the mean and the variance (dividing by N) over each token's features (the last axis) and compute (r − mean) / sqrt(var + 1e-5) · gamma1 + beta1",
    ),
  },
  feedForward: {
    what: name("フィードフォワード", "the feed-forward network"),
    hint: name(
      "norm1 は一致しています。relu(norm1 W1ᵀ + b1) W2ᵀ + b2 を、ReLU と重みの向きに注意して計算してください",
      "norm1 matches; compute relu(norm1 W1ᵀ + b1) W2ᵀ + b2, minding the ReLU and the orientation of the weights",
    ),
  },
  residual2: {
    what: name("2 つ目の残差接続 norm1 + feedForward", "the second residual connection, norm1 + feedForward"),
    hint: name("feedForward は一致しています。post-norm ではフィードフォワードの入力 norm1 を足します", "feedForward matches; in a post-norm block the feed-forward's input norm1 is what gets added"),
  },
  output: {
    what: name("ブロックの出力 LayerNorm(residual2)", "the block's output, LayerNorm(residual2)"),
    hint: name("residual2 は一致しています。gamma2, beta2 で 2 つ目の LayerNorm をかけてください", "residual2 matches; apply the second LayerNorm with gamma2, beta2"),
  },
};

function fmt(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  return Math.abs(x) >= 1e-3 && Math.abs(x) < 1e5 ? String(Number(x.toPrecision(6))) : x.toExponential(3);
}

/** Shape first, then values (NaN and Inf never pass); null when the stage matches. */
function stageDifference(expected: WireTensor, actual: WireValue | undefined): Localized | null {
  if (!isWireTensor(actual)) return name("Tensor ではありません", "it is not a Tensor");
  const es = expected.$tensor.shape;
  const as = actual.$tensor.shape;
  if (es.length !== as.length || es.some((n, i) => n !== as[i])) {
    return name(`形状が違います: 期待 ${shapeText(es)}、実際 ${shapeText(as)}`, `shape mismatch: expected ${shapeText(es)}, got ${shapeText(as)}`);
  }
  const e = expected.$tensor.data;
  const a = actual.$tensor.data;
  // The relative part is taken against the stage's largest magnitude, not each element's: a stage
  // can cancel (x + attention near 0 while both are ~5; LayerNorm over 2 nearly equal features
  // amplifies one rounding of r by ~1/sqrt(eps)), and there the float32 rounding error of ANY
  // correct implementation follows the stage's scale, not the element's. Measured over seeds 0-399
  // of every hidden case: the TensorFlow.js reference and the model solution were each up to
  // 1.7e-5 away from a float64 evaluation element-wise (above atol 1e-5, so a correct solution
  // failed 1 seed in 100 on enc-hidden-large-x); with d_model >= 3 (see dims) and over seeds
  // 0-4999, each is within 9.2e-6 of float64 and within 1.6e-5 of the other, relative to the
  // stage's scale (the bound is 1e-4 of it plus 1e-5). Mistakes change a stage by 1e-2 or more.
  let scale = 0;
  for (let i = 0; i < e.length; i++) scale = Math.max(scale, Math.abs(e[i] as number));
  const bound = TOLERANCE.atol + TOLERANCE.rtol * scale;
  let count = 0;
  let first = -1;
  let maxAbs = 0;
  for (let i = 0; i < e.length; i++) {
    const ev = e[i] as number;
    const av = a[i] as number;
    if (Number.isFinite(av) && Math.abs(av - ev) <= bound) continue;
    count++;
    if (first < 0) first = i;
    maxAbs = Math.max(maxAbs, Number.isFinite(av) ? Math.abs(av - ev) : Infinity);
  }
  if (count === 0) return null;
  const at = shapeText(unravel(first, es));
  return name(
    `${e.length} 個中 ${count} 個の値が許容誤差を超えています (最大絶対誤差 ${fmt(maxAbs)})。最初の不一致 ${at}: 期待 ${fmt(e[first] as number)}、実際 ${fmt(a[first] as number)}`,
    `${count} of ${e.length} values differ beyond tolerance (max abs error ${fmt(maxAbs)}); first at ${at}: expected ${fmt(e[first] as number)}, got ${fmt(a[first] as number)}`,
  );
}

/** Names the first stage, in pipeline order, that differs from the reference, and where to look. */
function compareStages(expected: WireValue, actual: WireValue): CompareVerdict {
  if (expected === null || typeof expected !== "object" || Array.isArray(expected) || isWireTensor(expected)) {
    throw new Error("encoder-block: the reference must return an object of stages");
  }
  if (actual === null || typeof actual !== "object" || Array.isArray(actual) || isWireTensor(actual)) {
    return { ok: false, message: name(`途中の値のオブジェクト { ${STAGES.join(", ")} } を返してください`, `return an object of the intermediates { ${STAGES.join(", ")} }`) };
  }
  const missing = STAGES.filter((k) => !Object.hasOwn(actual, k));
  const extra = Object.keys(actual).filter((k) => !(STAGES as readonly string[]).includes(k));
  if (missing.length > 0 || extra.length > 0) {
    return {
      ok: false,
      message: name(
        `キーが違います (不足: ${missing.join(", ") || "なし"}、余分: ${extra.join(", ") || "なし"})。必要なキーは ${STAGES.join(", ")} です`,
        `the keys differ (missing: ${missing.join(", ") || "none"}; unexpected: ${extra.join(", ") || "none"}); the keys are ${STAGES.join(", ")}`,
      ),
    };
  }
  for (const [i, stage] of STAGES.entries()) {
    const want = expected[stage];
    if (!isWireTensor(want)) throw new Error(`encoder-block: the reference has no tensor for ${stage}`);
    const diff = stageDifference(want, actual[stage]);
    if (diff === null) continue;
    const text = STAGE_TEXT[stage];
    const before = STAGES.slice(0, i);
    return {
      ok: false,
      message: {
        ja: `${before.length > 0 ? `${before.join("、")} は一致しました。` : ""}最初に違うのは ${stage} (${text.what.ja}) です: ${diff.ja}。${text.hint.ja}`,
        en: `${before.length > 0 ? `${before.join(", ")} match. ` : ""}The first stage that differs is ${stage} (${text.what.en}): ${diff.en}. ${text.hint.en}`,
      },
    };
  }
  return { ok: true };
}

// ---------------------------------------------------------------- invariants

/** Runs `inv` on one stage of the result, as a tensor, or wrapped in an array for index-based builders. */
function onStage(inv: InvariantDef, stage: Stage, wrap: boolean): InvariantDef {
  return {
    ...inv,
    run: (ctx) =>
      inv.run({
        ...ctx,
        call: async (a) => {
          const r = await ctx.call(a);
          const v = r !== null && typeof r === "object" && !Array.isArray(r) && !isWireTensor(r) ? (r[stage] ?? null) : null;
          return wrap ? [v] : v;
        },
      }),
  };
}

function stageOf(r: WireValue, stage: Stage): WireTensor | null {
  const v = r !== null && typeof r === "object" && !Array.isArray(r) && !isWireTensor(r) ? r[stage] : undefined;
  return isWireTensor(v) ? v : null;
}

/** Mean and biased variance of every row (last axis). */
function rowStats(t: WireTensor): { mean: number; variance: number }[] {
  const { shape, data } = t.$tensor;
  const n = shape[shape.length - 1] ?? 1;
  const out: { mean: number; variance: number }[] = [];
  for (let s = 0; s < data.length; s += n) {
    let m = 0;
    for (let j = 0; j < n; j++) m += data[s + j] as number;
    m /= n;
    let v = 0;
    for (let j = 0; j < n; j++) v += ((data[s + j] as number) - m) ** 2;
    out.push({ mean: m, variance: v / n });
  }
  return out;
}

/** Mean 0 and variance 1 along the sequence axis instead: the statistics were taken over axis 1. */
function seqAxisNormalised(t: WireTensor): boolean {
  const [b, T, d] = t.$tensor.shape as [number, number, number];
  const at = (bi: number, ti: number, f: number): number => t.$tensor.data[(bi * T + ti) * d + f] as number;
  for (let bi = 0; bi < b; bi++) {
    for (let f = 0; f < d; f++) {
      let m = 0;
      for (let ti = 0; ti < T; ti++) m += at(bi, ti, f);
      m /= T;
      let v = 0;
      for (let ti = 0; ti < T; ti++) v += (at(bi, ti, f) - m) ** 2;
      if (!(Math.abs(m) <= 1e-3 && Math.abs(v / T - 1) <= 1e-3)) return false;
    }
  }
  return true;
}

/**
 * With gamma = 1 and beta = 0 a LayerNorm leaves every token with mean 0 and biased variance
 * v / (v + eps), within 1e-3 of 1 for these inputs (token variances well above 0.01).
 */
const layerNormInvariant: InvariantDef = {
  id: "enc-inv-layernorm-rows",
  name: name("gamma = 1, beta = 0 なら norm1 と output の各トークンは平均 0、分散 1", "with gamma = 1, beta = 0 every token of norm1 and output has mean 0 and variance 1"),
  async run({ rng, call }): Promise<InvariantOutcome> {
    const [b, t, d, h, dff] = [2, 5, 6, 2, 12];
    const w = weights(rng, d, dff);
    for (const k of ["gamma1", "gamma2"]) w[k] = full("float32", [d], 1);
    for (const k of ["beta1", "beta2"]) w[k] = full("float32", [d], 0);
    const r = await call([randn(rng, [b, t, d], 2), w, h, null]);
    const results: Partial<Record<Stage, { ok: boolean; unbiased: boolean; seqAxis: boolean }>> = {};
    for (const stage of ["norm1", "output"] as const) {
      const tns = stageOf(r, stage);
      if (tns === null || tns.$tensor.shape.length !== 3 || tns.$tensor.shape[2] !== d) {
        return { ok: false, message: name(`${stage} が形状 (B, T, ${d}) の Tensor ではありません`, `${stage} is not a Tensor of shape (B, T, ${d})`) };
      }
      const stats = rowStats(tns);
      const ok = stats.every((s) => Math.abs(s.mean) <= 1e-4 && Math.abs(s.variance - 1) <= 1e-3);
      const unbiased = stats.every((s) => Math.abs(s.mean) <= 1e-4 && Math.abs(s.variance - (d - 1) / d) <= 1e-3);
      results[stage] = { ok, unbiased, seqAxis: seqAxisNormalised(tns) };
    }
    const n1 = results.norm1;
    const out = results.output;
    if (n1 === undefined || out === undefined || (n1.ok && out.ok)) return { ok: true };
    const bad = n1.ok ? "output" : "norm1";
    const info = n1.ok ? out : n1;
    const message = name(
      `gamma = 1、beta = 0 なので ${bad} の各トークン (最後の軸) は平均 0、分散 1 になるはずですが、そうなっていません${info.unbiased ? `。分散がちょうど (N−1)/N = ${fmt((d - 1) / d)} です` : ""}${info.seqAxis ? "。代わりに系列の軸 (軸 1) で平均が 0 になっています" : ""}`,
      `with gamma = 1 and beta = 0 every token of ${bad} (the last axis) should have mean 0 and variance 1, but it does not${info.unbiased ? `; the variance is exactly (N−1)/N = ${fmt((d - 1) / d)}` : ""}${info.seqAxis ? "; instead the mean is 0 along the sequence axis (axis 1)" : ""}`,
    );
    if (info.unbiased) return { ok: false, message, pitfall: "layernorm-unbiased-variance" };
    if (info.seqAxis) return { ok: false, message, pitfall: "layernorm-wrong-dim" };
    // norm1 normalised but the block output not: the last LayerNorm is missing, as in a pre-norm block.
    if (n1.ok) return { ok: false, message, pitfall: "prenorm-instead-of-postnorm" };
    return { ok: false, message };
  },
};

/** With Wo = 0 and bo = 0 the attention adds nothing, so residual1 must be x itself. */
const residualInvariant: InvariantDef = {
  id: "enc-inv-residual-passes-input",
  name: name("注意の出力が 0 なら residual1 は x そのもの", "when the attention outputs 0, residual1 is x itself"),
  async run({ rng, call }) {
    const [b, t, d, h, dff] = [2, 4, 6, 3, 8];
    const w = weights(rng, d, dff);
    w.Wo = full("float32", [d, d], 0);
    w.bo = full("float32", [d], 0);
    const x = randn(rng, [b, t, d]);
    const r1 = stageOf(await call([x, w, h, null]), "residual1");
    if (r1 === null) return { ok: false, message: name("residual1 が Tensor ではありません", "residual1 is not a Tensor") };
    const xs = x.$tensor.data;
    const got = r1.$tensor.data;
    if (got.length !== xs.length) return { ok: false, message: name(`residual1 の形状は ${shapeText([b, t, d])} です`, `residual1 should have shape ${shapeText([b, t, d])}`) };
    for (let i = 0; i < xs.length; i++) {
      if (Math.abs((got[i] as number) - (xs[i] as number)) <= 1e-5) continue;
      const allZero = Array.from(got).every((v) => Math.abs(v) <= 1e-6);
      return {
        ok: false,
        message: name(
          `Wo = 0、bo = 0 なので attention は 0 で、residual1 = x + attention は x と等しいはずですが、${shapeText(unravel(i, [b, t, d]))} で ${got[i]} (x は ${xs[i]}) でした${allZero ? "。residual1 がすべて 0 です: x が足されていません" : ""}`,
          `Wo = 0 and bo = 0 make attention 0, so residual1 = x + attention must equal x, but at ${shapeText(unravel(i, [b, t, d]))} it is ${got[i]} (x is ${xs[i]})${allZero ? "; residual1 is all zeros: x was never added" : ""}`,
        ),
        ...(allZero ? { pitfall: "missing-residual" } : {}),
      };
    }
    return { ok: true };
  },
};

/**
 * Post-norm: the attention reads x itself, so gamma1 and beta1 (the LayerNorm after it) cannot
 * change the attention. In a pre-norm block they normalise the attention's input and do.
 */
const attentionReadsInput: InvariantDef = {
  id: "enc-inv-attention-reads-x",
  name: name("注意は x そのものを読む (gamma1, beta1 を変えても attention は変わらない)", "the attention reads x itself (changing gamma1, beta1 leaves attention unchanged)"),
  async run({ rng, call }) {
    const [b, t, d, h, dff] = [2, 4, 6, 2, 12];
    const x = randn(rng, [b, t, d]);
    const w = weights(rng, d, dff);
    const changed = { ...w, gamma1: shifted(rng, [d], 0.5, 2), beta1: randn(rng, [d], 1) };
    const a1 = stageOf(await call([x, w, h, null]), "attention");
    const a2 = stageOf(await call([x, changed, h, null]), "attention");
    if (a1 === null || a2 === null) return { ok: false, message: name("attention が Tensor ではありません", "attention is not a Tensor") };
    const moved = Array.from(a1.$tensor.data).findIndex((v, i) => !(Math.abs(v - (a2.$tensor.data[i] as number)) <= 1e-5 + 1e-4 * Math.abs(v)));
    if (moved < 0) return { ok: true };
    return {
      ok: false,
      pitfall: "prenorm-instead-of-postnorm",
      message: name(
        `gamma1 と beta1 を変えただけで attention が変わりました (${shapeText(unravel(moved, [b, t, d]))})。post-norm では注意は x そのものを読み、gamma1, beta1 は注意の後の LayerNorm でだけ使います`,
        `changing only gamma1 and beta1 changed attention (at ${shapeText(unravel(moved, [b, t, d]))}); in a post-norm block the attention reads x itself and gamma1, beta1 belong to the LayerNorm after it`,
      ),
    };
  },
};

export default defineExercise({
  cases,
  compare: (expected, actual) => compareStages(expected, actual),
  // The block has no random draw of its own: two calls that disagree come from dropout left on.
  nondeterminism: {
    message: {
      ja: "評価モードのブロックで dropout などの乱数が効いているようです",
      en: "dropout (or another random draw) looks active in this evaluation-mode block",
    },
    pitfall: "dropout-active-in-eval",
  },
  invariants: [
    onStage(rowsSumToOne("enc-inv-rows-sum-to-one", (rng) => args(rng, 2, 5, 8, 2, 16, padMask([5, 2], 5)), 0), "attentionWeights", true),
    onStage(
      noWeightOnMasked("enc-inv-masked-zero", (rng) => { const mask = padMask([3, 5], 5); return { args: args(rng, 2, 5, 6, 2, 12, mask), mask }; }, 0),
      "attentionWeights",
      true,
    ),
    onStage(futureDoesNotLeak("enc-inv-causal-no-leak", (rng) => ({ args: args(rng, 1, 8, 6, 2, 12, causalMask(8)), perturb: [0], seqLen: 8, seqAxis: 1 }), 0), "output", true),
    onStage(permutationEquivariant("enc-inv-permutation", (rng) => ({ args: args(rng, 2, 6, 8, 2, 16), permute: [0], seqLen: 6, seqAxis: 1 }), null), "output", false),
    residualInvariant,
    attentionReadsInput,
    layerNormInvariant,
  ],
});
