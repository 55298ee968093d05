import { type WireTensor, type WireValue, isWireTensor, shapeText } from "@tfm/contract";
import {
  type CaseDef,
  type InvariantDef,
  type Rng,
  defineExercise,
  fromValues,
  partOf,
  permutationEquivariant,
  permuteAxis,
  randn,
  rowsSumToOne,
  unravel,
} from "@tfm/spec";

const name = (ja: string, en: string) => ({ ja, en });

/** Q, K, V of shapes (b, tq, dk), (b, tk, dk), (b, tk, dv); `scale` keeps unscaled scores moderate. */
function qkv(rng: Rng, b: number, tq: number, tk: number, dk: number, dv: number, scale = 1): WireValue[] {
  return [randn(rng, [b, tq, dk], scale), randn(rng, [b, tk, dk], scale), randn(rng, [b, tk, dv])];
}

/** Unscaled scores have variance scale^4 * d_k: this keeps their spread near 1.5 whatever d_k. */
const moderate = (dk: number) => Math.sqrt(1.5 / Math.sqrt(dk));

function hidden(id: string, ja: string, en: string, make: (rng: Rng) => WireValue[]): CaseDef {
  return { id, kind: "hidden", name: name(ja, en), make: ({ rng }) => make(rng) };
}

const cases: CaseDef[] = [
  {
    id: "simple-worked-example",
    kind: "public",
    name: name("問題文の例: Q 2 個、K/V 3 個", "the statement's example: 2 queries, 3 keys/values"),
    make: () => [
      fromValues("float32", [1, 2, 2], [1, 0, 0, 2]),
      fromValues("float32", [1, 3, 2], [1, 0, 0, 1, 1, 1]),
      fromValues("float32", [1, 3, 2], [1, 0, 0, 10, 5, 5]),
    ],
  },
  {
    id: "simple-basic",
    kind: "public",
    name: name("基本: B=2, T=5, d=4", "basic: B=2, T=5, d=4"),
    make: ({ rng }) => qkv(rng, 2, 5, 5, 4, 4, moderate(4)),
  },
  {
    id: "simple-chapter-shapes",
    kind: "public",
    name: name("章の使用例の形状: (2, 5, 64)", "the chapter's example shapes: (2, 5, 64)"),
    make: ({ rng }) => qkv(rng, 2, 5, 5, 64, 64, moderate(64)),
  },
  {
    id: "simple-cross-lengths",
    kind: "public",
    name: name("T_q ≠ T_k かつ d_v ≠ d_k: Q 3 個、K/V 6 個", "T_q != T_k and d_v != d_k: 3 queries, 6 keys"),
    make: ({ rng }) => qkv(rng, 2, 3, 6, 5, 2, moderate(5)),
  },
  {
    id: "simple-single-token",
    kind: "public",
    name: name("T=1 (トークン 1 個): 重みは 1", "T=1 (a single token): the weight is 1"),
    make: ({ rng }) => qkv(rng, 3, 1, 1, 4, 3),
  },
  {
    id: "simple-4d-heads",
    kind: "public",
    name: name("4 次元 (B, H, T, d) = (1, 2, 4, 3)", "4-D (B, H, T, d) = (1, 2, 4, 3)"),
    make: ({ rng }) => {
      const s = moderate(3);
      return [randn(rng, [1, 2, 4, 3], s), randn(rng, [1, 2, 4, 3], s), randn(rng, [1, 2, 4, 3])];
    },
  },
  {
    id: "simple-no-scaling",
    kind: "pitfall",
    name: name("d_k=16: √d_k で割ると結果が変わる", "d_k=16: dividing by sqrt(d_k) changes the result"),
    make: ({ rng }) => qkv(rng, 1, 4, 4, 16, 4, moderate(16)),
  },
  {
    id: "simple-operand-order",
    kind: "pitfall",
    name: name("Q と K の役割: 非対称な Q, K (T=5)", "the roles of Q and K: asymmetric Q and K (T=5)"),
    make: ({ rng }) => [randn(rng, [1, 5, 3], 0.4), randn(rng, [1, 5, 3], 1.2), randn(rng, [1, 5, 3])],
  },
  {
    id: "simple-values-not-keys",
    kind: "pitfall",
    name: name("出力は V の加重平均 (K とは違う V)", "the output averages V (V unlike K)"),
    make: ({ rng }) => [randn(rng, [2, 4, 3], 0.6), randn(rng, [2, 4, 3], 0.6), randn(rng, [2, 4, 3], 3)],
  },
  {
    id: "simple-overflow-logits",
    kind: "pitfall",
    name: name("大きなスコア (> 100): max を引かない exp は float32 で溢れる", "large scores (> 100): exp without the max subtraction overflows float32"),
    make: ({ rng }) => qkv(rng, 2, 4, 5, 3, 3, 8),
  },
  hidden("simple-hidden-random-1", "ランダムな形状 1", "random shapes 1", (rng) => {
    const t = rng.int(2, 9);
    const d = rng.int(2, 13);
    return qkv(rng, rng.int(1, 4), t, t, d, rng.int(1, 9), moderate(d));
  }),
  hidden("simple-hidden-random-2", "ランダムな形状 2", "random shapes 2", (rng) => {
    const t = rng.int(2, 9);
    const d = rng.int(2, 13);
    return qkv(rng, rng.int(1, 4), t, t, d, d, moderate(d));
  }),
  hidden("simple-hidden-batch1", "B=1", "B=1", (rng) => {
    const t = rng.int(2, 11);
    return qkv(rng, 1, t, t, 7, 5, moderate(7));
  }),
  hidden("simple-hidden-cross", "T_q ≠ T_k をランダムに", "random T_q != T_k", (rng) => {
    const tq = rng.int(1, 7);
    const tk = tq + rng.int(1, 6);
    const d = rng.int(2, 10);
    return qkv(rng, rng.int(1, 4), tq, tk, d, rng.int(1, 7), moderate(d));
  }),
  hidden("simple-hidden-more-queries", "クエリがキーより多い", "more queries than keys", (rng) => {
    const tk = rng.int(1, 5);
    return qkv(rng, 2, tk + rng.int(1, 5), tk, 6, 3, moderate(6));
  }),
  hidden("simple-hidden-one-query", "クエリ 1 個、キー複数", "one query, several keys", (rng) => qkv(rng, 3, 1, rng.int(2, 10), 4, 4, moderate(4))),
  hidden("simple-hidden-t1", "T=1", "T=1", (rng) => qkv(rng, rng.int(1, 4), 1, 1, rng.int(1, 8), rng.int(1, 8))),
  hidden("simple-hidden-dk1", "d_k = 1", "d_k = 1", (rng) => qkv(rng, 2, rng.int(2, 7), rng.int(2, 7), 1, 3)),
  hidden("simple-hidden-dv1", "d_v = 1", "d_v = 1", (rng) => qkv(rng, 2, rng.int(2, 7), rng.int(2, 7), 5, 1, moderate(5))),
  hidden("simple-hidden-4d", "4 次元 (B, H, T, d)", "4-D (B, H, T, d)", (rng) => {
    const [b, h, t, d] = [rng.int(1, 3), rng.int(2, 5), rng.int(2, 7), rng.int(2, 9)];
    const s = moderate(d);
    return [randn(rng, [b, h, t, d], s), randn(rng, [b, h, t, d], s), randn(rng, [b, h, t, d])];
  }),
  hidden("simple-hidden-wide", "d_k = 32", "d_k = 32", (rng) => qkv(rng, 2, rng.int(3, 8), rng.int(3, 8), 32, 8, moderate(32))),
  hidden("simple-hidden-long", "T = 24", "T = 24", (rng) => qkv(rng, 1, 24, 24, 6, 6, moderate(6))),
];

function tensorOrNull(v: WireValue | undefined): WireTensor | null {
  return isWireTensor(v) ? v : null;
}

/** output must be the returned weights applied to V: out[b, i, :] = sum_j w[b, i, j] V[b, j, :]. */
const outputIsWeightsTimesV: InvariantDef = {
  id: "simple-inv-output-is-weights-v",
  name: name("出力 = 返した注意重み · V", "the output equals the returned weights times V"),
  async run({ rng, call }) {
    const args = qkv(rng, 2, 3, 5, 4, 2, moderate(4));
    const result = await call(args);
    const out = partOf(result, 0);
    const w = partOf(result, 1);
    const v = tensorOrNull(args[2]);
    if (out === null || w === null || v === null) {
      return { ok: false, message: name("[出力, 注意重み] の 2 つの Tensor を返してください", "return two Tensors: [output, attention weights]") };
    }
    const [b, tk, dv] = v.$tensor.shape as [number, number, number];
    const tq = 3;
    const wantW = [b, tq, tk];
    const wantOut = [b, tq, dv];
    const ws = w.$tensor.shape;
    if (ws.length !== 3 || ws.some((d, i) => d !== wantW[i])) {
      return {
        ok: false,
        message: name(
          `注意重みの形状は (B, T_q, T_k) = ${shapeText(wantW)} のはずですが ${shapeText(ws)} でした`,
          `the attention weights should have shape (B, T_q, T_k) = ${shapeText(wantW)}, got ${shapeText(ws)}`,
        ),
      };
    }
    const os = out.$tensor.shape;
    if (os.length !== 3 || os.some((d, i) => d !== wantOut[i])) {
      return {
        ok: false,
        pitfall: "weights-wrong-operand",
        message: name(
          `出力の形状は weights · V と同じ ${shapeText(wantOut)} (d_v = ${dv}) のはずですが ${shapeText(os)} でした。重みを V に掛けていますか`,
          `the output should have the shape of weights · V, ${shapeText(wantOut)} (d_v = ${dv}), got ${shapeText(os)}: are the weights applied to V?`,
        ),
      };
    }
    const W = w.$tensor.data;
    const Vd = v.$tensor.data;
    const O = out.$tensor.data;
    for (let n = 0; n < b; n++) {
      for (let i = 0; i < tq; i++) {
        for (let p = 0; p < dv; p++) {
          let e = 0;
          for (let j = 0; j < tk; j++) e += (W[(n * tq + i) * tk + j] as number) * (Vd[(n * tk + j) * dv + p] as number);
          const g = O[(n * tq + i) * dv + p] as number;
          if (!(Math.abs(g - e) <= 1e-5 + 1e-4 * Math.abs(e))) {
            return {
              ok: false,
              pitfall: "weights-wrong-operand",
              message: name(
                `出力 ${shapeText([n, i, p])} は ${g} ですが、返した注意重みと V の積では ${e} です。出力は softmax の結果 (重み) と V の積 torch.matmul(weights, V) です`,
                `output ${shapeText([n, i, p])} is ${g}, but your returned weights times V give ${e}; the output is the softmax result (the weights) times V: torch.matmul(weights, V)`,
              ),
            };
          }
        }
      }
    }
    return { ok: true };
  },
};

/** Reordering the keys together with their values changes nothing for the queries. */
const keyOrderDoesNotMatter: InvariantDef = {
  id: "simple-inv-key-order",
  name: name("キーと値を同じ順に並べ替えても出力は同じ", "reordering keys together with their values leaves the output unchanged"),
  async run({ rng, call }) {
    const tk = 5;
    const args = qkv(rng, 2, 4, tk, 3, 3, moderate(3));
    const perm = rng.shuffle(Array.from({ length: tk }, (_, i) => i));
    const base = partOf(await call(args), 0);
    const k = tensorOrNull(args[1]);
    const v = tensorOrNull(args[2]);
    if (k === null || v === null) throw new Error("simple-inv-key-order: K and V must be tensors");
    const moved = partOf(await call([args[0] ?? null, permuteAxis(k, 1, perm), permuteAxis(v, 1, perm)]), 0);
    if (base === null || moved === null) return { ok: false, message: name("出力が Tensor ではありません", "the output is not a Tensor") };
    const a = base.$tensor.data;
    const b = moved.$tensor.data;
    if (a.length !== b.length) return { ok: false, message: name("キーを並べ替えると出力の大きさが変わりました", "the output size changed when the keys were reordered") };
    for (let i = 0; i < a.length; i++) {
      const e = a[i] as number;
      const g = b[i] as number;
      if (!(Math.abs(e - g) <= 1e-5 + 1e-4 * Math.abs(e))) {
        const at = shapeText(unravel(i, base.$tensor.shape));
        return {
          ok: false,
          message: name(
            `キーと値を同じ順に並べ替えただけで出力 ${at} が ${e} から ${g} に変わりました。各クエリはキー全体の集合に注目するので、順序は関係ないはずです (スコアは Q·Kᵀ、softmax はキーの軸)`,
            `reordering the keys together with their values changed output ${at} from ${e} to ${g}; each query attends to the set of keys, so their order must not matter (scores Q·Kᵀ, softmax over the keys)`,
          ),
        };
      }
    }
    return { ok: true };
  },
};

export default defineExercise({
  cases,
  probabilityParts: [1],
  heatmapPart: 1,
  invariants: [
    rowsSumToOne("simple-inv-rows-sum-to-one", (rng) => qkv(rng, 2, 4, 6, 3, 3, moderate(3)), 1),
    outputIsWeightsTimesV,
    keyOrderDoesNotMatter,
    permutationEquivariant(
      "simple-inv-token-permutation",
      (rng) => ({ args: qkv(rng, 2, 6, 6, 4, 4, moderate(4)), permute: [0, 1, 2], seqLen: 6, seqAxis: 1 }),
      0,
    ),
  ],
});
