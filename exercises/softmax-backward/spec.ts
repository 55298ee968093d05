import { type WireTensor, type WireValue, isWireTensor, shapeText, wireTensor } from "@tfm/contract";
import { type CaseDef, type InvariantDef, type Rng, defineExercise, numel, unravel } from "@tfm/spec";

const name = (ja: string, en: string) => ({ ja, en });

/**
 * Probabilities y = softmax(x) along the last axis, computed in float64 and rounded to float32.
 * `visible(i)` false puts -1e9 into score i first, as an attention mask does: y_i is then exactly 0.
 */
function softmaxOf(shape: number[], score: (i: number) => number, visible: (i: number) => boolean = () => true): WireTensor {
  const n = shape[shape.length - 1] ?? 1;
  const total = numel(shape);
  const out = new Float32Array(total);
  const x = new Float64Array(n);
  for (let start = 0; start < total; start += n) {
    let max = -Infinity;
    for (let j = 0; j < n; j++) {
      x[j] = visible(start + j) ? score(start + j) : -1e9;
      max = Math.max(max, x[j] as number);
    }
    let sum = 0;
    for (let j = 0; j < n; j++) sum += Math.exp((x[j] as number) - max);
    for (let j = 0; j < n; j++) out[start + j] = Math.exp((x[j] as number) - max) / sum;
  }
  return wireTensor("float32", shape, out);
}

/** Random probabilities: scores N(0, scale^2). */
function probs(rng: Rng, shape: number[], scale: number, visible?: (i: number) => boolean): WireTensor {
  return softmaxOf(shape, () => rng.normal() * scale, visible);
}

/** Upstream gradient N(0, scale^2) clipped to [-10, 10] (the bound the reference's error analysis uses). */
function upstream(rng: Rng, shape: number[], scale = 1): WireTensor {
  const data = new Float32Array(numel(shape));
  for (let i = 0; i < data.length; i++) data[i] = Math.max(-10, Math.min(10, rng.normal() * scale));
  return wireTensor("float32", shape, data);
}

/** Causal visibility for a (..., T, T) tensor: key j visible from query i when j <= i. */
function causal(t: number): (i: number) => boolean {
  return (i) => i % t <= Math.floor(i / t) % t;
}

/** Padding visibility for (B, T_q, T_k): keys at or after lengths[b] are hidden. */
function padded(lengths: number[], tq: number, tk: number): (i: number) => boolean {
  return (i) => i % tk < (lengths[Math.floor(i / (tq * tk))] ?? tk);
}

function pair(rng: Rng, shape: number[], scale: number, gScale = 1, visible?: (i: number) => boolean): WireValue[] {
  return [probs(rng, shape, scale, visible), upstream(rng, shape, gScale)];
}

function hidden(id: string, ja: string, en: string, make: (rng: Rng) => WireValue[]): CaseDef {
  return { id, kind: "hidden", name: name(ja, en), make: ({ rng }) => make(rng) };
}

const cases: CaseDef[] = [
  {
    id: "sb-statement-example",
    kind: "public",
    name: name("問題文の例: y = softmax([1, 2, 3]), g = [1, 0, 0]", "the statement's example: y = softmax([1, 2, 3]), g = [1, 0, 0]"),
    make: () => [softmaxOf([1, 3], (i) => i + 1), wireTensor("float32", [1, 3], Float32Array.from([1, 0, 0]))],
  },
  { id: "sb-rows", kind: "public", name: name("行の集まり (4, 6)", "rows (4, 6)"), make: ({ rng }) => pair(rng, [4, 6], 1.5) },
  {
    id: "sb-attention-4d",
    kind: "public",
    name: name("注意重み (B=2, H=2, T=5, T=5)", "attention weights (B=2, H=2, T=5, T=5)"),
    make: ({ rng }) => pair(rng, [2, 2, 5, 5], 2),
  },
  {
    id: "sb-cross-attention",
    kind: "public",
    name: name("T_q ≠ T_k の注意重み (2, 3, 7)", "attention weights with T_q != T_k (2, 3, 7)"),
    make: ({ rng }) => pair(rng, [2, 3, 7], 1.5),
  },
  { id: "sb-single-key", kind: "public", name: name("キー 1 個 (3, 1): y = 1 なので勾配は 0", "one key (3, 1): y = 1, so the gradient is 0"), make: ({ rng }) => pair(rng, [3, 1], 1) },
  {
    id: "sb-causal-weights",
    kind: "public",
    name: name("因果マスク付きの注意重み (0 を含む) (2, 4, 4)", "causally masked attention weights (with zeros) (2, 4, 4)"),
    make: ({ rng }) => pair(rng, [2, 4, 4], 1.5, 1, causal(4)),
  },
  {
    id: "sb-one-hot-upstream",
    kind: "pitfall",
    name: name("g が各行で 1 か所だけ 1 (L = y_k)", "g is one-hot in each row (L = y_k)"),
    make: ({ rng }) => {
      const y = probs(rng, [3, 4], 1);
      const g = new Float32Array(12);
      for (let r = 0; r < 3; r++) g[r * 4 + rng.int(0, 4)] = 1;
      return [y, wireTensor("float32", [3, 4], g)];
    },
  },
  {
    id: "sb-constant-upstream",
    kind: "pitfall",
    name: name("g が行ごとに一定: 勾配は 0 になるべき", "g constant along each row: the gradient must be 0"),
    make: ({ rng }) => {
      const y = probs(rng, [3, 5], 1.5);
      const g = new Float32Array(15);
      for (let r = 0; r < 3; r++) g.fill(rng.int(-3, 4), r * 5, r * 5 + 5);
      return [y, wireTensor("float32", [3, 5], g)];
    },
  },
  { id: "sb-square-weights", kind: "pitfall", name: name("1 系列の注意重み (T, T) = (6, 6)", "attention weights of one sequence (T, T) = (6, 6)"), make: ({ rng }) => pair(rng, [6, 6], 2) },
  { id: "sb-peaked", kind: "pitfall", name: name("鋭い分布 (スコアの標準偏差 6)", "peaked distributions (score std 6)"), make: ({ rng }) => pair(rng, [2, 5], 6, 2) },
  hidden("sb-hidden-rows", "ランダムな行", "random rows", (rng) => pair(rng, [rng.int(1, 6), rng.int(2, 12)], 1 + 2 * rng.random(), 1.5)),
  hidden("sb-hidden-attention", "ランダムな注意重み (B, T, T)", "random attention weights (B, T, T)", (rng) => {
    const t = rng.int(2, 9);
    return pair(rng, [rng.int(1, 4), t, t], 2);
  }),
  hidden("sb-hidden-4d", "4 次元 (B, H, T_q, T_k)", "4-D (B, H, T_q, T_k)", (rng) =>
    pair(rng, [rng.int(1, 3), rng.int(1, 4), rng.int(1, 6), rng.int(1, 7)], 2),
  ),
  hidden("sb-hidden-causal", "因果マスク付き", "causally masked", (rng) => {
    const t = rng.int(2, 9);
    return pair(rng, [rng.int(1, 3), t, t], 2, 1, causal(t));
  }),
  hidden("sb-hidden-padding", "パディングでキーが 0 の重み", "weights with padded keys at 0", (rng) => {
    const [b, tq, tk] = [rng.int(1, 4), rng.int(1, 6), rng.int(2, 8)];
    const lengths = Array.from({ length: b }, () => rng.int(1, tk + 1));
    return pair(rng, [b, tq, tk], 1.5, 1, padded(lengths, tq, tk));
  }),
  hidden("sb-hidden-single-key", "キー 1 個", "a single key", (rng) => pair(rng, [rng.int(1, 4), rng.int(1, 5), 1], 1)),
  hidden("sb-hidden-batch-one", "バッチ 1 (1, T_q, T_k)", "batch of one (1, T_q, T_k)", (rng) => pair(rng, [1, rng.int(2, 7), rng.int(2, 7)], 2)),
  hidden("sb-hidden-long-rows", "長い行 (n = 64)", "long rows (n = 64)", (rng) => pair(rng, [rng.int(1, 4), 64], 2.5)),
  hidden("sb-hidden-peaked", "鋭い分布", "peaked distributions", (rng) => pair(rng, [rng.int(1, 5), rng.int(2, 9)], 8, 2)),
  hidden("sb-hidden-large-upstream", "大きな上流勾配", "large upstream gradients", (rng) => pair(rng, [rng.int(2, 5), rng.int(2, 8)], 1.5, 4)),
  hidden("sb-hidden-uniform", "一様な重み (スコアがすべて等しい)", "uniform weights (all scores equal)", (rng) => {
    const shape = [rng.int(1, 5), rng.int(2, 10)];
    return [softmaxOf(shape, () => 0), upstream(rng, shape, 1.5)];
  }),
];

function tensorOut(v: WireValue) {
  return isWireTensor(v) ? v : null;
}

const notATensor = { ok: false as const, message: { ja: "Tensor が返されませんでした", en: "no Tensor was returned" } };

/** Values on a 1/256 grid, so that adding a small integer is exact in float32. */
function gridUpstream(rng: Rng, shape: number[]): WireTensor {
  const data = new Float32Array(numel(shape));
  for (let i = 0; i < data.length; i++) data[i] = Math.round(rng.normal() * 256) / 256;
  return wireTensor("float32", shape, data);
}

const invariants: InvariantDef[] = [
  {
    id: "sb-inv-rows-sum-to-zero",
    name: name("勾配の各行の和は 0 (softmax は定数シフトで変わらない)", "each row of the gradient sums to 0 (softmax ignores a constant shift)"),
    async run({ rng, call }) {
      const shape = [rng.int(2, 4), rng.int(2, 6), rng.int(2, 9)];
      const dx = tensorOut(await call(pair(rng, shape, 2, 2)));
      if (dx === null) return notATensor;
      const n = dx.$tensor.shape[dx.$tensor.shape.length - 1] ?? 1;
      const data = dx.$tensor.data;
      for (let start = 0; start < data.length; start += n) {
        let sum = 0;
        let size = 0;
        for (let j = 0; j < n; j++) {
          sum += data[start + j] as number;
          size += Math.abs(data[start + j] as number);
        }
        if (!(Math.abs(sum) <= 1e-5 + 1e-5 * size)) {
          return {
            ok: false,
            message: {
              ja: `行 ${shapeText(unravel(start, dx.$tensor.shape).slice(0, -1))} の勾配の和が ${sum} です。すべてのスコアに同じ値を足しても softmax は変わらないので、和は 0 のはずです`,
              en: `row ${shapeText(unravel(start, dx.$tensor.shape).slice(0, -1))} of the gradient sums to ${sum}; adding the same value to every score leaves the softmax unchanged, so the sum must be 0`,
            },
          };
        }
      }
      return { ok: true };
    },
  },
  {
    id: "sb-inv-upstream-shift",
    name: name("g の各行に定数を足しても勾配は変わらない", "adding a constant to each row of g leaves the gradient unchanged"),
    async run({ rng, call, tolerance }) {
      const shape = [rng.int(2, 5), rng.int(2, 9)];
      const n = shape[1] ?? 1;
      const y = probs(rng, shape, 2);
      const g = gridUpstream(rng, shape);
      const shifted = wireTensor("float32", shape, g.$tensor.data.slice());
      for (let start = 0; start < shifted.$tensor.data.length; start += n) {
        const c = rng.int(-3, 4);
        for (let j = 0; j < n; j++) shifted.$tensor.data[start + j] = (shifted.$tensor.data[start + j] as number) + c;
      }
      const a = tensorOut(await call([y, g]));
      const b = tensorOut(await call([y, shifted]));
      if (a === null || b === null) return notATensor;
      if (a.$tensor.data.length !== b.$tensor.data.length) {
        return { ok: false, message: { ja: "g を変えると出力の大きさが変わりました", en: "changing g changed the size of the output" } };
      }
      for (let i = 0; i < a.$tensor.data.length; i++) {
        const e = a.$tensor.data[i] as number;
        const v = b.$tensor.data[i] as number;
        if (!(Math.abs(v - e) <= tolerance.atol + tolerance.rtol * Math.abs(e))) {
          return {
            ok: false,
            message: {
              ja: `g の各行に -3〜3 の整数を足すと ${shapeText(unravel(i, shape))} の勾配が ${e} から ${v} に変わりました。y の和は 1 なので、一定の g は勾配に寄与しないはずです`,
              en: `adding an integer between -3 and 3 to each row of g changed the gradient at ${shapeText(unravel(i, shape))} from ${e} to ${v}; since y sums to 1, a constant g contributes nothing`,
            },
          };
        }
      }
      return { ok: true };
    },
  },
];

export default defineExercise({ cases, invariants });
