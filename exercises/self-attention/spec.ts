import { type WireTensor, type WireValue, isWireTensor, shapeText } from "@tfm/contract";
import {
  type CaseDef,
  type InvariantDef,
  type Rng,
  defineExercise,
  fromValues,
  partOf,
  permutationEquivariant,
  randn,
  rowsSumToOne,
} from "@tfm/spec";

const name = (ja: string, en: string) => ({ ja, en });

/**
 * Projection weights (out, in) = (d, d), scaled like a Xavier initialisation so that the softmax is
 * neither flat nor saturated; biases large enough that leaving them out shows.
 */
function weights(rng: Rng, d: number, biasScale = 0.5): WireValue {
  const s = 1 / Math.sqrt(d);
  return {
    Wq: randn(rng, [d, d], s * 1.5), bq: randn(rng, [d], biasScale),
    Wk: randn(rng, [d, d], s * 1.5), bk: randn(rng, [d], biasScale),
    Wv: randn(rng, [d, d], s), bv: randn(rng, [d], biasScale),
  };
}

function args(rng: Rng, b: number, t: number, d: number, biasScale = 0.5): WireValue[] {
  return [randn(rng, [b, t, d]), weights(rng, d, biasScale)];
}

function hidden(id: string, ja: string, en: string, make: (rng: Rng) => WireValue[]): CaseDef {
  return { id, kind: "hidden", name: name(ja, en), make: ({ rng }) => make(rng) };
}

const cases: CaseDef[] = [
  {
    id: "self-worked-example",
    kind: "public",
    name: name("問題文の例: T=3, d_model=2", "the statement's example: T=3, d_model=2"),
    make: () => [
      fromValues("float32", [1, 3, 2], [1, 0, 0, 1, 1, 1]),
      {
        Wq: fromValues("float32", [2, 2], [1, 0, 1, 1]), bq: fromValues("float32", [2], [0, 0.5]),
        Wk: fromValues("float32", [2, 2], [2, 0, 0, 1]), bk: fromValues("float32", [2], [0, 0]),
        Wv: fromValues("float32", [2, 2], [0, 1, 1, 0]), bv: fromValues("float32", [2], [1, 0]),
      },
    ],
  },
  {
    id: "self-overflow-logits",
    kind: "pitfall",
    name: name("大きな入力 (スコア > 100): max を引かない exp は float32 で溢れる", "large inputs (scores > 100): exp without the max subtraction overflows float32"),
    make: ({ rng }) => [randn(rng, [2, 4, 6], 12), weights(rng, 6)],
  },
  { id: "self-basic", kind: "public", name: name("基本: B=2, T=5, d_model=8", "basic: B=2, T=5, d_model=8"), make: ({ rng }) => args(rng, 2, 5, 8) },
  {
    id: "self-chapter-batch",
    kind: "public",
    name: name("章の使用例と同じ B=4, T=10 (d_model=32)", "the chapter's B=4, T=10 (d_model=32)"),
    make: ({ rng }) => args(rng, 4, 10, 32),
  },
  { id: "self-single-token", kind: "public", name: name("T=1 (トークン 1 個)", "T=1 (a single token)"), make: ({ rng }) => args(rng, 2, 1, 6) },
  { id: "self-odd-width", kind: "public", name: name("B=1, d_model=5 (奇数)", "B=1, d_model=5 (odd)"), make: ({ rng }) => args(rng, 1, 7, 5) },
  {
    id: "self-asymmetric-weights",
    kind: "pitfall",
    name: name("非対称な W: W と Wᵀ で結果が変わる", "asymmetric W: W and Wᵀ give different results"),
    make: ({ rng }) => args(rng, 2, 4, 6),
  },
  {
    id: "self-wide-model",
    kind: "pitfall",
    name: name("d_model=32: √d_k で割るかどうかで結果が変わる", "d_model=32: dividing by sqrt(d_k) matters"),
    make: ({ rng }) => args(rng, 1, 6, 32),
  },
  {
    id: "self-large-bias",
    kind: "pitfall",
    name: name("大きなバイアス (b ~ N(0, 1))", "large biases (b ~ N(0, 1))"),
    make: ({ rng }) => args(rng, 2, 4, 4, 1),
  },
  hidden("self-hidden-random-1", "ランダムな形状 1", "random shapes 1", (rng) => args(rng, rng.int(1, 4), rng.int(2, 9), rng.int(2, 13))),
  hidden("self-hidden-random-2", "ランダムな形状 2", "random shapes 2", (rng) => args(rng, rng.int(1, 4), rng.int(2, 9), rng.int(2, 13))),
  hidden("self-hidden-batch1", "B=1", "B=1", (rng) => args(rng, 1, rng.int(2, 12), rng.int(3, 10))),
  hidden("self-hidden-t1", "T=1", "T=1", (rng) => args(rng, rng.int(1, 4), 1, rng.int(2, 9))),
  hidden("self-hidden-d1", "d_model=1", "d_model=1", (rng) => args(rng, 2, rng.int(2, 7), 1)),
  hidden("self-hidden-d3", "d_model=3", "d_model=3", (rng) => args(rng, rng.int(1, 4), rng.int(2, 8), 3)),
  hidden("self-hidden-long", "T=20", "T=20", (rng) => args(rng, 2, 20, rng.int(4, 12))),
  hidden("self-hidden-wide", "d_model=48", "d_model=48", (rng) => args(rng, 1, rng.int(3, 8), 48)),
  hidden("self-hidden-small-bias", "小さなバイアス", "small biases", (rng) => args(rng, 2, rng.int(2, 7), rng.int(2, 9), 0.1)),
  hidden("self-hidden-large-input", "値の大きな x", "large input values", (rng) => {
    const d = rng.int(4, 10);
    return [randn(rng, [2, rng.int(2, 7), d], 2), weights(rng, d)];
  }),
];

function field(w: WireValue | undefined, key: string): WireTensor {
  const v = w !== null && w !== undefined && typeof w === "object" && !Array.isArray(w) && !isWireTensor(w) ? w[key] : undefined;
  if (!isWireTensor(v)) throw new Error(`self-attention invariant: weights.${key} must be a tensor`);
  return v;
}

/** x W^T + b on the host, float64, for 3-D x [B, T, d] and W [d, d]. */
function project(x: WireTensor, W: WireTensor, b: WireTensor): Float64Array {
  const [bs, t, d] = x.$tensor.shape as [number, number, number];
  const X = x.$tensor.data;
  const Wd = W.$tensor.data;
  const Bd = b.$tensor.data;
  const out = new Float64Array(bs * t * d);
  for (let r = 0; r < bs * t; r++) {
    for (let o = 0; o < d; o++) {
      let s = Bd[o] as number;
      for (let i = 0; i < d; i++) s += (X[r * d + i] as number) * (Wd[o * d + i] as number);
      out[r * d + o] = s;
    }
  }
  return out;
}

/** The output must be the returned weights applied to V = x Wvᵀ + bv. */
const outputAveragesValues: InvariantDef = {
  id: "self-inv-output-is-weights-v",
  name: name("出力 = 返した注意重み · (x W_vᵀ + b_v)", "the output equals the returned weights times V = x W_vᵀ + b_v"),
  async run({ rng, call }) {
    const [b, t, d] = [2, 5, 6];
    const a = args(rng, b, t, d);
    const result = await call(a);
    const out = partOf(result, 0);
    const w = partOf(result, 1);
    if (out === null || w === null) return { ok: false, message: name("[出力, 注意重み] の 2 つの Tensor を返してください", "return two Tensors: [output, attention weights]") };
    const x = a[0] as WireTensor;
    const wantW = [b, t, t];
    const wantOut = [b, t, d];
    const okShape = (s: readonly number[], want: number[]) => s.length === want.length && s.every((v, i) => v === want[i]);
    if (!okShape(w.$tensor.shape, wantW) || !okShape(out.$tensor.shape, wantOut)) {
      return {
        ok: false,
        message: name(
          `形状が違います: 出力 ${shapeText(out.$tensor.shape)} (期待 ${shapeText(wantOut)})、重み ${shapeText(w.$tensor.shape)} (期待 ${shapeText(wantW)})`,
          `wrong shapes: output ${shapeText(out.$tensor.shape)} (expected ${shapeText(wantOut)}), weights ${shapeText(w.$tensor.shape)} (expected ${shapeText(wantW)})`,
        ),
      };
    }
    const weightsTimes = (V: Float64Array): Float64Array => {
      const o = new Float64Array(b * t * d);
      const W = w.$tensor.data;
      for (let n = 0; n < b; n++)
        for (let i = 0; i < t; i++)
          for (let j = 0; j < t; j++) {
            const wij = W[(n * t + i) * t + j] as number;
            for (let p = 0; p < d; p++) o[(n * t + i) * d + p] = (o[(n * t + i) * d + p] as number) + wij * (V[(n * t + j) * d + p] as number);
          }
      return o;
    };
    const close = (e: Float64Array): number => {
      const g = out.$tensor.data;
      for (let i = 0; i < e.length; i++) if (!(Math.abs((g[i] as number) - (e[i] as number)) <= 1e-5 + 1e-4 * Math.abs(e[i] as number))) return i;
      return -1;
    };
    const bad = close(weightsTimes(project(x, field(a[1], "Wv"), field(a[1], "bv"))));
    if (bad < 0) return { ok: true };
    const usesK = close(weightsTimes(project(x, field(a[1], "Wk"), field(a[1], "bk")))) < 0;
    return {
      ok: false,
      ...(usesK ? { pitfall: "kv-projection-reused" } : {}),
      message: usesK
        ? name(
            "出力が 重み · (x W_kᵀ + b_k) になっています。V は K の射影ではなく W_v, b_v で作ってください",
            "the output is weights · (x W_kᵀ + b_k): V must come from W_v and b_v, not from the key projection",
          )
        : name(
            `出力の要素 ${bad} が、返した重みと V = x W_vᵀ + b_v の積と一致しません。V の射影 (転置とバイアス) と、重みを V に掛けているかを確認してください`,
            `output element ${bad} differs from your returned weights times V = x W_vᵀ + b_v; check the V projection (transpose, bias) and that the weights multiply V`,
          ),
    };
  },
};

export default defineExercise({
  cases,
  probabilityParts: [1],
  heatmapPart: 1,
  invariants: [
    rowsSumToOne("self-inv-rows-sum-to-one", (rng) => args(rng, 2, 6, 5), 1),
    outputAveragesValues,
    permutationEquivariant(
      "self-inv-permutation",
      (rng) => ({ args: args(rng, 2, 7, 6), permute: [0], seqLen: 7, seqAxis: 1 }),
      0,
    ),
  ],
});
