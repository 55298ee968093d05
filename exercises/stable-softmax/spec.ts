import { type WireTensor, type WireValue, isWireTensor, shapeText, wireTensor } from "@tfm/contract";
import { type CaseDef, type InvariantDef, type InvariantOutcome, type Rng, defineExercise, fromValues, numel, randn, unravel } from "@tfm/spec";

const name = (ja: string, en: string) => ({ ja, en });

/** A float32 tensor whose element i (row-major) is value(i). */
function build(shape: number[], value: (i: number) => number): WireTensor {
  const data = new Float32Array(numel(shape));
  for (let i = 0; i < data.length; i++) data[i] = value(i);
  return wireTensor("float32", shape, data);
}

/** Fibres along `dim`: calls visit(indices of one fibre) for each. */
function forEachFibre(shape: readonly number[], dim: number, visit: (flat: number[]) => void): void {
  const d = dim < 0 ? dim + shape.length : dim;
  const n = shape[d] ?? 1;
  let inner = 1;
  for (let i = d + 1; i < shape.length; i++) inner *= shape[i] ?? 1;
  const outer = numel(shape) / (n * inner);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) visit(Array.from({ length: n }, (_, k) => (o * n + k) * inner + i));
  }
}

/** A tensor whose fibres along dim each get their own offset (rows on very different scales). */
function offsetFibres(rng: Rng, shape: number[], dim: number, offset: (rng: Rng) => number, spread = 2): WireTensor {
  const t = randn(rng, shape, spread);
  forEachFibre(shape, dim, (flat) => {
    const c = offset(rng);
    for (const i of flat) t.$tensor.data[i] = (t.$tensor.data[i] as number) + c;
  });
  return t;
}

function randomShape(rng: Rng, minRank: number, maxRank: number): number[] {
  const rank = rng.int(minRank, maxRank + 1);
  return Array.from({ length: rank }, () => rng.int(1, 7));
}

/** A dim in [-rank, rank), negative half of the time. */
function randomDim(rng: Rng, rank: number): number {
  const d = rng.int(0, rank);
  return rng.random() < 0.5 ? d - rank : d;
}

function hidden(id: string, ja: string, en: string, make: (rng: Rng) => WireValue[]): CaseDef {
  return { id, kind: "hidden", name: name(ja, en), make: ({ rng }) => make(rng) };
}

const cases: CaseDef[] = [
  {
    id: "ss-statement-example",
    kind: "public",
    name: name("問題文の例: [[1000, 1001, 1002], [-1e30, -1e30, -1e30]]", "the statement's example: [[1000, 1001, 1002], [-1e30, -1e30, -1e30]]"),
    make: () => [fromValues("float32", [2, 3], [1000, 1001, 1002, -1e30, -1e30, -1e30]), -1],
  },
  { id: "ss-rows", kind: "public", name: name("行ごと (3, 5), dim = -1", "rows of (3, 5), dim = -1"), make: ({ rng }) => [randn(rng, [3, 5], 2), -1] },
  { id: "ss-dim-zero", kind: "public", name: name("列ごと (4, 3), dim = 0", "columns of (4, 3), dim = 0"), make: ({ rng }) => [randn(rng, [4, 3], 2), 0] },
  { id: "ss-vector", kind: "public", name: name("1 次元 (7), dim = 0", "a vector (7), dim = 0"), make: ({ rng }) => [randn(rng, [7], 3), 0] },
  { id: "ss-single-element", kind: "public", name: name("軸の長さ 1 (4, 1): すべて 1", "axis of length 1 (4, 1): all ones"), make: ({ rng }) => [randn(rng, [4, 1], 5), -1] },
  {
    id: "ss-attention-scores",
    kind: "public",
    name: name("注意スコア (B=2, H=2, T=4, T=4), dim = -1", "attention scores (B=2, H=2, T=4, T=4), dim = -1"),
    make: ({ rng }) => [randn(rng, [2, 2, 4, 4], 3), -1],
  },
  // The chapter's fifth pitfall: each of these returns NaN with exp(x) / sum(exp(x)).
  {
    id: "ss-huge-scores",
    kind: "pitfall",
    name: name("巨大なスコア (約 1e4)", "huge scores (about 1e4)"),
    make: ({ rng }) => [offsetFibres(rng, [3, 6], -1, () => 1e4, 1), -1],
  },
  {
    id: "ss-tiny-scores",
    kind: "pitfall",
    name: name("非常に小さなスコア (約 -1e4)", "very negative scores (about -1e4)"),
    make: ({ rng }) => [offsetFibres(rng, [3, 6], -1, () => -1e4, 1), -1],
  },
  {
    id: "ss-mixed-extremes",
    kind: "pitfall",
    name: name("1e4 と -1e4 が同じ行に混在", "1e4 and -1e4 in the same row"),
    make: () => [fromValues("float32", [3, 4], [1e4, -1e4, 0, 5, -1e4, 1e4, 1e4 - 1, -3, -1e4 + 2, -1e4, -1e4 + 1, -1e4 + 0.5]), -1],
  },
  {
    id: "ss-all-equal",
    kind: "pitfall",
    name: name("行の値がすべて等しい (0, 1e4, -1e4)", "rows of equal values (0, 1e4, -1e4)"),
    make: () => [fromValues("float32", [3, 5], [0, 0, 0, 0, 0, 1e4, 1e4, 1e4, 1e4, 1e4, -1e4, -1e4, -1e4, -1e4, -1e4]), -1],
  },
  {
    id: "ss-row-of-minus-1e30",
    kind: "pitfall",
    name: name("-1e30 だけの行 (一様になるべき) と 1e4 の行", "a row of -1e30 (must come out uniform) next to a row near 1e4"),
    make: ({ rng }) => {
      const values = [...randn(rng, [4], 1).$tensor.data].map((v) => v + 1e4);
      return [fromValues("float32", [2, 4], [...values, -1e30, -1e30, -1e30, -1e30]), -1];
    },
  },
  {
    // Row maxima 110 apart: with the global maximum the low row sits below exp(-104), where
    // float32 underflows to 0, while exp(x) itself stays finite for both rows (|x| < 88).
    id: "ss-rows-far-apart",
    kind: "pitfall",
    name: name("行ごとに範囲が大きく違う (+40 と -70)", "rows on very different scales (+40 and -70)"),
    make: ({ rng }) => {
      const hi = Array.from({ length: 5 }, () => 40 + (rng.random() * 2 - 1));
      const lo = Array.from({ length: 5 }, () => -70 + (rng.random() * 2 - 1));
      return [fromValues("float32", [2, 5], [...hi, ...lo]), -1];
    },
  },
  {
    id: "ss-middle-dim",
    kind: "pitfall",
    name: name("真ん中の軸 (2, 5, 3), dim = 1", "the middle axis of (2, 5, 3), dim = 1"),
    make: ({ rng }) => [randn(rng, [2, 5, 3], 2), 1],
  },
  {
    id: "ss-square-last-dim",
    kind: "pitfall",
    name: name("正方行列 (5, 5), dim = -1 (keepdim が必要)", "a square matrix (5, 5), dim = -1 (keepdim matters)"),
    make: ({ rng }) => [randn(rng, [5, 5], 2), -1],
  },
  hidden("ss-hidden-random-1", "ランダムな形状と軸 1", "random shape and dim 1", (rng) => {
    const shape = randomShape(rng, 1, 4);
    return [randn(rng, shape, 3), randomDim(rng, shape.length)];
  }),
  hidden("ss-hidden-random-2", "ランダムな形状と軸 2", "random shape and dim 2", (rng) => {
    const shape = randomShape(rng, 2, 4);
    return [randn(rng, shape, 3), randomDim(rng, shape.length)];
  }),
  hidden("ss-hidden-offsets", "行ごとに ±5000 までのずれ", "per-row offsets up to ±5000", (rng) => {
    const shape = randomShape(rng, 2, 3);
    const dim = randomDim(rng, shape.length);
    return [offsetFibres(rng, shape, dim, (r) => (r.random() * 2 - 1) * 5000), dim];
  }),
  hidden("ss-hidden-huge", "巨大なスコア", "huge scores", (rng) => {
    const shape = [rng.int(1, 5), rng.int(2, 9)];
    return [offsetFibres(rng, shape, -1, (r) => 2000 + r.random() * 3e4), -1];
  }),
  hidden("ss-hidden-tiny", "非常に小さなスコア", "very negative scores", (rng) => {
    const shape = [rng.int(1, 5), rng.int(2, 9)];
    return [offsetFibres(rng, shape, -1, (r) => -2000 - r.random() * 3e4), -1];
  }),
  hidden("ss-hidden-far-apart", "範囲の違う行 (列方向の軸)", "rows on different scales (along dim 0)", (rng) => {
    const shape = [rng.int(2, 7), rng.int(2, 6)];
    return [offsetFibres(rng, shape, 0, (r) => (r.random() < 0.5 ? 45 : -75) + r.random()), 0];
  }),
  hidden("ss-hidden-minus-1e30", "-1e30 の行と 1e4 付近の行を含む", "a row of -1e30 and a row near 1e4", (rng) => {
    const rows = rng.int(2, 6);
    const cols = rng.int(1, 8);
    const low = rng.int(0, rows);
    const high = (low + rng.int(1, rows)) % rows;
    const t = randn(rng, [rows, cols], 2);
    for (let i = 0; i < t.$tensor.data.length; i++) {
      const r = Math.floor(i / cols);
      if (r === low) t.$tensor.data[i] = -1e30;
      else if (r === high) t.$tensor.data[i] = (t.$tensor.data[i] as number) + 1e4;
    }
    return [t, -1];
  }),
  hidden("ss-hidden-square", "正方行列 (T, T)", "a square (T, T) matrix", (rng) => {
    const t = rng.int(2, 9);
    return [randn(rng, [rng.int(1, 3), t, t], 3), -1];
  }),
  hidden("ss-hidden-4d-attention", "4 次元の注意スコア", "4-D attention scores", (rng) => {
    const [b, h, tq, tk] = [rng.int(1, 3), rng.int(1, 4), rng.int(1, 7), rng.int(1, 7)];
    return [randn(rng, [b, h, tq, tk], 4), -1];
  }),
  hidden("ss-hidden-first-dim", "先頭の軸 (負の番号)", "the first axis (given as a negative dim)", (rng) => {
    const shape = [rng.int(2, 6), rng.int(1, 5), rng.int(1, 5)];
    return [randn(rng, shape, 3), -3];
  }),
  hidden("ss-hidden-length-one", "長さ 1 の軸", "an axis of length 1", (rng) => [randn(rng, [rng.int(1, 5), 1, rng.int(2, 6)], 10), 1]),
  hidden("ss-hidden-long-row", "長い行 (T = 257)", "a long row (T = 257)", (rng) => [offsetFibres(rng, [2, 257], -1, (r) => r.random() * 1e4, 5), -1]),
];

function tensorOut(v: WireValue, what: string): WireTensor | InvariantOutcome {
  if (isWireTensor(v)) return v;
  return { ok: false, message: { ja: `${what}: Tensor が返されませんでした`, en: `${what}: no Tensor was returned` } };
}

/** The first fibre along dim whose values are not a probability distribution, described. */
function badFibre(y: WireTensor, dim: number): InvariantOutcome {
  const { shape, data } = y.$tensor;
  let outcome: InvariantOutcome = { ok: true };
  forEachFibre(shape, dim, (flat) => {
    if (!outcome.ok) return;
    let sum = 0;
    for (const i of flat) {
      const v = data[i] as number;
      if (!Number.isFinite(v) || v < 0 || v > 1 + 1e-6) {
        outcome = {
          ok: false,
          message: {
            ja: `位置 ${shapeText(unravel(i, shape))} の値が ${v} です (0 以上 1 以下の有限の値であるべき)`,
            en: `the value at ${shapeText(unravel(i, shape))} is ${v} (it must be finite, between 0 and 1)`,
          },
        };
        return;
      }
      sum += v;
    }
    if (!(Math.abs(sum - 1) <= 1e-5)) {
      const first = unravel(flat[0] ?? 0, shape);
      outcome = {
        ok: false,
        message: {
          ja: `${shapeText(first)} から dim に沿った値の和が ${sum} です (1 であるべき)`,
          en: `the values along dim starting at ${shapeText(first)} sum to ${sum}, not 1`,
        },
      };
    }
  });
  return outcome;
}

/** Values on a 1/256 grid: adding an integer up to 1000 stays exact in float32. */
function gridTensor(rng: Rng, shape: number[]): WireTensor {
  return build(shape, () => Math.round(rng.normal() * 3 * 256) / 256);
}

const invariants: InvariantDef[] = [
  {
    id: "ss-inv-sums-to-one",
    name: name("dim に沿った和が 1 (ランダムな形状と軸)", "values along dim sum to 1 (random shapes and dims)"),
    async run({ rng, call }) {
      for (let k = 0; k < 3; k++) {
        const shape = randomShape(rng, 1, 4);
        const dim = randomDim(rng, shape.length);
        const y = tensorOut(await call([randn(rng, shape, 4), dim]), "softmax");
        if (!isWireTensor(y)) return y;
        const bad = badFibre(y, dim);
        if (!bad.ok) return bad;
      }
      return { ok: true };
    },
  },
  {
    id: "ss-inv-shift-per-row",
    name: name("各行に定数を足しても結果は変わらない", "adding a constant to each row leaves the result unchanged"),
    async run({ rng, call, tolerance }) {
      const shape = [rng.int(2, 6), rng.int(2, 9)];
      const dim = rng.random() < 0.5 ? -1 : 0;
      const x = gridTensor(rng, shape);
      const shifted = build(shape, (i) => x.$tensor.data[i] as number);
      forEachFibre(shape, dim, (flat) => {
        const c = rng.int(-1000, 1001);
        for (const i of flat) shifted.$tensor.data[i] = (shifted.$tensor.data[i] as number) + c;
      });
      const a = tensorOut(await call([x, dim]), "softmax(x)");
      if (!isWireTensor(a)) return a;
      const b = tensorOut(await call([shifted, dim]), "softmax(x + c)");
      if (!isWireTensor(b)) return b;
      if (b.$tensor.data.length !== a.$tensor.data.length) {
        return { ok: false, message: { ja: "定数を足すと出力の大きさが変わりました", en: "adding constants changed the size of the output" } };
      }
      for (let i = 0; i < a.$tensor.data.length; i++) {
        const e = a.$tensor.data[i] as number;
        const g = b.$tensor.data[i] as number;
        if (!(Math.abs(g - e) <= tolerance.atol + tolerance.rtol * Math.abs(e))) {
          return {
            ok: false,
            message: {
              ja: `各行に -1000〜1000 の整数を足しただけで ${shapeText(unravel(i, shape))} の値が ${e} から ${g} に変わりました。softmax(x + c) = softmax(x) のはずです`,
              en: `adding an integer between -1000 and 1000 to each row changed the value at ${shapeText(unravel(i, shape))} from ${e} to ${g}; softmax(x + c) must equal softmax(x)`,
            },
          };
        }
      }
      return { ok: true };
    },
  },
  {
    id: "ss-inv-finite",
    name: name("有限の入力なら NaN も Inf も出ない (±1e30 まで)", "finite inputs give no NaN or Inf (up to ±1e30)"),
    async run({ rng, call }) {
      const shape = [rng.int(3, 7), rng.int(2, 8)];
      const scales = [1, 1e2, 1e4, 1e8, 1e30];
      const x = build(shape, () => rng.normal() * rng.pick(scales));
      const y = tensorOut(await call([x, -1]), "softmax");
      if (!isWireTensor(y)) return y;
      return badFibre(y, -1);
    },
  },
];

export default defineExercise({ cases, invariants });
