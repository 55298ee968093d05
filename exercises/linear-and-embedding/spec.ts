import { type Localized, type WireTensor, type WireValue, isWireTensor, shapeText } from "@tfm/contract";
import { type CaseDef, type InvariantDef, type InvariantOutcome, type MismatchContext, type Rng, defineExercise, fromValues, randn, unravel } from "@tfm/spec";

const name = (ja: string, en: string): Localized => ({ ja, en });

// ---------------------------------------------------------------- inputs

interface Setup {
  lead: number[];
  inF: number;
  outF: number;
  bias: boolean;
  idsShape: number[];
  vocab: number;
  dim: number;
  /** null, or which row is the padding row. */
  padding: number | null;
}

function ids(rng: Rng, shape: number[], vocab: number, padding: number | null): WireTensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const values = Array.from({ length: n }, () => (padding !== null && rng.random() < 0.25 ? padding : rng.int(0, vocab)));
  return fromValues("int32", shape, values);
}

/** [x, weight, bias, ids, table, paddingIdx]; the table's padding row is NOT zero. */
function setupArgs(rng: Rng, s: Setup): WireValue[] {
  return [
    randn(rng, [...s.lead, s.inF]),
    randn(rng, [s.outF, s.inF], 1 / Math.sqrt(s.inF)),
    s.bias ? randn(rng, [s.outF], 0.5) : null,
    ids(rng, s.idsShape, s.vocab, s.padding),
    randn(rng, [s.vocab, s.dim]),
    s.padding,
  ];
}

const BASE: Setup = { lead: [2, 3], inF: 4, outF: 5, bias: true, idsShape: [2, 3], vocab: 7, dim: 5, padding: null };

function randomSetup(rng: Rng, overrides: Partial<Setup> = {}): Setup {
  const vocab = rng.int(2, 30);
  const lead = Array.from({ length: rng.int(0, 3) }, () => rng.int(1, 5));
  const s: Setup = {
    lead,
    inF: rng.int(1, 12),
    outF: rng.int(1, 12),
    bias: rng.random() < 0.7,
    idsShape: Array.from({ length: rng.int(1, 3) }, () => rng.int(1, 6)),
    vocab,
    dim: rng.int(1, 9),
    padding: rng.random() < 0.6 ? rng.int(0, vocab) : null,
    ...overrides,
  };
  if (s.padding !== null && s.padding >= s.vocab) s.padding = s.vocab - 1;
  return s;
}

// ---------------------------------------------------------------- reading results

function part(result: WireValue, i: 0 | 1): WireTensor | null {
  if (!Array.isArray(result)) return null;
  const v = result[i];
  return isWireTensor(v) ? v : null;
}

const notPair: InvariantOutcome = {
  ok: false,
  message: { ja: "[Linear の出力, Embedding の出力] の 2 つの Tensor の配列を返してください", en: "return an array of two Tensors: [linear output, embedding output]" },
};

const tol = (e: number): number => 1e-4 + 1e-4 * Math.abs(e);

/** x with shape `shape` filled by `f(index)`. */
function tensorOf(shape: number[], f: (i: number) => number): WireTensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return fromValues("float32", shape, Array.from({ length: n }, (_, i) => f(i)));
}

// ---------------------------------------------------------------- invariants

const linearity: InvariantDef = {
  id: "le-inv-linearity",
  name: name("Linear は (バイアスを除いて) 線形: f(ax + cy) = a f(x) + c f(y) + (1 - a - c) b", "Linear is linear up to its bias: f(ax + cy) = a f(x) + c f(y) + (1 - a - c) b"),
  async run({ rng, call }) {
    const s = randomSetup(rng, { bias: true, lead: [3, 2] });
    const base = setupArgs(rng, s);
    const x = randn(rng, [...s.lead, s.inF]);
    const y = randn(rng, [...s.lead, s.inF]);
    const [a, c] = [rng.pick([2, -1.5, 0.5]), rng.pick([3, -0.25, 1.5])];
    const mix = tensorOf([...s.lead, s.inF], (i) => a * (x.$tensor.data[i] as number) + c * (y.$tensor.data[i] as number));
    const fx = part(await call([x, ...base.slice(1)]), 0);
    const fy = part(await call([y, ...base.slice(1)]), 0);
    const fm = part(await call([mix, ...base.slice(1)]), 0);
    if (fx === null || fy === null || fm === null) return notPair;
    const b = base[2] as WireTensor;
    const outF = s.outF;
    for (let i = 0; i < fm.$tensor.data.length; i++) {
      const want = a * (fx.$tensor.data[i] as number) + c * (fy.$tensor.data[i] as number) + (1 - a - c) * (b.$tensor.data[i % outF] as number);
      const got = fm.$tensor.data[i] as number;
      if (!(Math.abs(got - want) <= tol(want))) {
        return {
          ok: false,
          message: {
            ja: `f(${a}x + ${c}y) の ${shapeText(unravel(i, fm.$tensor.shape))} は ${a} f(x) + ${c} f(y) + ${1 - a - c} b = ${want.toFixed(5)} のはずが ${got} でした。x Wᵀ + b 以外の計算が入っています`,
            en: `f(${a}x + ${c}y) at ${shapeText(unravel(i, fm.$tensor.shape))} should be ${a} f(x) + ${c} f(y) + ${1 - a - c} b = ${want.toFixed(5)} but is ${got}: something other than x Wᵀ + b is computed`,
          },
        };
      }
    }
    return { ok: true };
  },
};

const zeroInputGivesBias: InvariantDef = {
  id: "le-inv-zero-input",
  name: name("x = 0 なら出力は各行がバイアス b", "x = 0 gives the bias b in every row"),
  async run({ rng, call }) {
    const outF = rng.int(3, 7);
    const s = randomSetup(rng, { bias: true, lead: [outF], outF, inF: rng.int(2, 6) });
    const args = setupArgs(rng, s);
    args[0] = tensorOf([outF, s.inF], () => 0);
    const y = part(await call(args), 0);
    if (y === null) return notPair;
    const b = (args[2] as WireTensor).$tensor.data;
    if (y.$tensor.data.length !== outF * outF) {
      return { ok: false, message: { ja: `出力の形状は [${outF}, ${outF}] のはずが ${shapeText(y.$tensor.shape)} でした`, en: `the output should have shape [${outF}, ${outF}] but has ${shapeText(y.$tensor.shape)}` } };
    }
    let alongRows = true;
    for (let i = 0; i < outF; i++) for (let j = 0; j < outF; j++) if (Math.abs((y.$tensor.data[i * outF + j] as number) - (b[i] as number)) > 1e-6) alongRows = false;
    for (let i = 0; i < outF; i++) {
      for (let j = 0; j < outF; j++) {
        const got = y.$tensor.data[i * outF + j] as number;
        const want = b[j] as number;
        if (!(Math.abs(got - want) <= 1e-6)) {
          return {
            ok: false,
            message: {
              ja: `x = 0 のとき出力 [${i}, ${j}] はバイアス b[${j}] = ${want} のはずが ${got} でした。b は出力の特徴量の軸 (最後の軸) に沿って足します`,
              en: `with x = 0, output [${i}, ${j}] should be the bias b[${j}] = ${want} but is ${got}; b is added along the output-feature axis (the last one)`,
            },
            ...(alongRows ? { pitfall: "linear-bias-wrong-axis" } : {}),
          };
        }
      }
    }
    return { ok: true };
  },
};

const rowsOfTable: InvariantDef = {
  id: "le-inv-embedding-rows",
  name: name("ids = 0, 1, ..., n-1 の埋め込みは表そのもの (パディング行だけ 0)", "embedding ids 0, 1, ..., n-1 gives the table itself (padding row zero)"),
  async run({ rng, call }) {
    const vocab = rng.int(4, 12);
    const padding = rng.int(0, vocab);
    const s = randomSetup(rng, { vocab, padding, idsShape: [vocab] });
    const args = setupArgs(rng, s);
    args[3] = fromValues("int32", [vocab], Array.from({ length: vocab }, (_, i) => i));
    const out = part(await call(args), 1);
    if (out === null) return notPair;
    const table = (args[4] as WireTensor).$tensor.data;
    const dim = s.dim;
    if (out.$tensor.data.length !== vocab * dim) {
      return { ok: false, message: { ja: `出力の形状は [${vocab}, ${dim}] のはずが ${shapeText(out.$tensor.shape)} でした`, en: `the output should have shape [${vocab}, ${dim}] but has ${shapeText(out.$tensor.shape)}` } };
    }
    const row = (r: number): number[] => Array.from({ length: dim }, (_, k) => out.$tensor.data[r * dim + k] as number);
    const tableRow = (r: number): number[] => Array.from({ length: dim }, (_, k) => table[r * dim + k] as number);
    const same = (u: number[], v: number[]): boolean => u.every((x, k) => Math.abs(x - (v[k] as number)) <= 1e-6);
    for (let r = 0; r < vocab; r++) {
      const want = r === padding ? new Array<number>(dim).fill(0) : tableRow(r);
      if (same(row(r), want)) continue;
      const shifted = Array.from({ length: vocab }, (_, q) => q).every((q) => q === padding || same(row(q), tableRow((q - 1 + vocab) % vocab)));
      return {
        ok: false,
        message: {
          ja: `ID ${r} の埋め込みは${r === padding ? "パディングなので 0" : `表の行 ${r}`}のはずが [${row(r).map((v) => v.toFixed(4)).join(", ")}] でした`,
          en: `the embedding of id ${r} should be ${r === padding ? "zero (it is the padding id)" : `row ${r} of the table`} but is [${row(r).map((v) => v.toFixed(4)).join(", ")}]`,
        },
        ...(shifted ? { pitfall: "embedding-off-by-one" } : r === padding && same(row(r), tableRow(r)) ? { pitfall: "embedding-padding-not-zeroed" } : {}),
      };
    }
    return { ok: true };
  },
};

const paddingIsZero: InvariantDef = {
  id: "le-inv-padding-zero",
  name: name("パディング ID の埋め込みは表の内容によらず 0", "the padding id embeds to zero whatever its table row holds"),
  async run({ rng, call }) {
    const s = randomSetup(rng, { padding: 1, vocab: rng.int(3, 10), idsShape: [3, 4] });
    const args = setupArgs(rng, s);
    const table = (args[4] as WireTensor).$tensor.data;
    for (let k = 0; k < s.dim; k++) table[s.dim + k] = 1000 + k;
    const idValues = (args[3] as WireTensor).$tensor.data;
    idValues[0] = 1;
    const out = part(await call(args), 1);
    if (out === null) return notPair;
    for (let p = 0; p < idValues.length; p++) {
      if (idValues[p] !== 1) continue;
      for (let k = 0; k < s.dim; k++) {
        const v = out.$tensor.data[p * s.dim + k];
        if (v !== 0) {
          return {
            ok: false,
            message: {
              ja: `ids の位置 ${shapeText(unravel(p, [3, 4]))} はパディング ID 1 なので埋め込みは 0 のはずが、成分 ${k} が ${v} でした (表のパディング行は ${1000 + k})`,
              en: `position ${shapeText(unravel(p, [3, 4]))} of ids holds the padding id 1, so its embedding must be 0, but component ${k} is ${v} (the table's padding row holds ${1000 + k})`,
            },
            ...(v === 1000 + k ? { pitfall: "embedding-padding-not-zeroed" } : {}),
          };
        }
      }
    }
    return { ok: true };
  },
};

// ---------------------------------------------------------------- mismatch notes

function describeMismatch(ctx: MismatchContext): Localized | null {
  if (ctx.part !== 1 || ctx.mismatches.length === 0) return null;
  const idsArg = ctx.args[3];
  const padding = ctx.args[5];
  if (!isWireTensor(idsArg) || typeof padding !== "number") return null;
  const idsData = idsArg.$tensor.data;
  const rank = idsArg.$tensor.shape.length;
  const flat = (idx: readonly number[]): number => {
    let f = 0;
    for (let d = 0; d < rank; d++) f = f * (idsArg.$tensor.shape[d] ?? 1) + (idx[d] ?? 0);
    return f;
  };
  if (ctx.mismatches.every((idx) => idsData[flat(idx)] === padding)) {
    return {
      ja: `不一致はパディング ID (${padding}) の位置だけです: そこは表の行によらず 0 にします`,
      en: `only the positions holding the padding id (${padding}) differ: they must be zero whatever the table row holds`,
    };
  }
  return null;
}

// ---------------------------------------------------------------- cases

const fixed = (id: string, kind: "public" | "pitfall", ja: string, en: string, s: Setup): CaseDef => ({
  id,
  kind,
  name: name(ja, en),
  make: ({ rng }) => setupArgs(rng, s),
});

const hidden = (id: string, ja: string, en: string, overrides: (rng: Rng) => Partial<Setup>): CaseDef => ({
  id,
  kind: "hidden",
  name: name(ja, en),
  make: ({ rng }) => setupArgs(rng, randomSetup(rng, overrides(rng))),
});

/** The statement's worked example. */
const example = (): WireValue[] => [
  fromValues("float32", [1, 2], [1, 2]),
  fromValues("float32", [3, 2], [1, 0, 0, 1, 1, 1]),
  fromValues("float32", [3], [0.5, -1, 0]),
  fromValues("int32", [1, 3], [1, 0, 2]),
  fromValues("float32", [3, 2], [7, 7, 0.1, 0.2, 0.3, 0.4]),
  0,
];

const cases: CaseDef[] = [
  { id: "le-example", kind: "public", name: name("問題文の例", "the statement's example"), make: example },
  fixed("le-basic", "public", "基本: x (2, 3, 4)、W (5, 4)、ids (2, 3)", "basic: x (2, 3, 4), W (5, 4), ids (2, 3)", BASE),
  fixed("le-no-bias", "public", "バイアスなし (bias = null)、padding_idx 0", "no bias (bias = null), padding_idx 0", { ...BASE, lead: [3], inF: 6, outF: 2, bias: false, idsShape: [6], vocab: 10, dim: 3, padding: 0 }),
  fixed("le-vector", "public", "1 次元の x (特徴量 4 個) と 0 次元の id", "a 1-D x (4 features) and a 0-D id", { ...BASE, lead: [], inF: 4, outF: 3, idsShape: [], vocab: 5, dim: 4 }),
  fixed("le-4d", "public", "4 次元の x (2, 2, 3, 6) と 3 次元の ids", "a 4-D x (2, 2, 3, 6) and 3-D ids", { ...BASE, lead: [2, 2, 3], inF: 6, outF: 4, idsShape: [2, 2, 3], vocab: 9, dim: 2 }),
  fixed("le-padding-middle", "public", "padding_idx が語彙の途中 (3)", "padding_idx in the middle of the vocabulary (3)", { ...BASE, idsShape: [3, 5], vocab: 6, dim: 4, padding: 3 }),
  fixed("le-pitfall-square-weight", "pitfall", "正方行列の W (4, 4): 転置の有無で値が変わる", "a square W (4, 4): transposed or not gives different values", { ...BASE, lead: [2, 3], inF: 4, outF: 4 }),
  fixed("le-pitfall-bias-axis", "pitfall", "x (5, 3)、W (5, 3): 行数と出力数が同じ", "x (5, 3), W (5, 3): as many rows as outputs", { ...BASE, lead: [5], inF: 3, outF: 5 }),
  fixed("le-pitfall-padding-row", "pitfall", "表のパディング行が 0 でない", "the table's padding row is not zero", { ...BASE, idsShape: [4, 4], vocab: 5, dim: 3, padding: 2 }),
  fixed("le-pitfall-id-range", "pitfall", "ID 0 から n-1 まで (0 始まり)", "ids from 0 to n-1 (zero-based)", { ...BASE, idsShape: [12], vocab: 4, dim: 3 }),
  hidden("le-hidden-random-1", "ランダムな形状 1", "random shapes 1", () => ({})),
  hidden("le-hidden-random-2", "ランダムな形状 2", "random shapes 2", () => ({})),
  hidden("le-hidden-in1-out1", "入力 1・出力 1 の特徴量", "one input and one output feature", () => ({ inF: 1, outF: 1 })),
  hidden("le-hidden-t1", "B=1, T=1", "B=1, T=1", () => ({ lead: [1, 1], idsShape: [1, 1] })),
  hidden("le-hidden-no-bias", "バイアスなし", "no bias", () => ({ bias: false })),
  hidden("le-hidden-vector", "1 次元の x", "a 1-D x", () => ({ lead: [] })),
  hidden("le-hidden-vocab1", "語彙 1 (padding_idx 0 かどうかはランダム)", "a vocabulary of one (padding_idx 0 or not)", (rng) => ({ vocab: 1, padding: rng.random() < 0.5 ? 0 : null })),
  hidden("le-hidden-dim1", "埋め込み次元 1", "embedding dimension 1", () => ({ dim: 1 })),
  hidden("le-hidden-ids-3d", "3 次元の ids", "3-D ids", (rng) => ({ idsShape: [rng.int(1, 4), rng.int(1, 4), rng.int(1, 4)] })),
  hidden("le-hidden-ids-0d", "0 次元の id", "a 0-D id", () => ({ idsShape: [] })),
  hidden("le-hidden-wide", "大きめの次元 (in 33, out 17)", "larger dims (in 33, out 17)", () => ({ inF: 33, outF: 17, lead: [2, 5] })),
  hidden("le-hidden-padding-last", "padding_idx が最後の行", "padding_idx is the last row", (rng) => {
    const vocab = rng.int(3, 20);
    return { vocab, padding: vocab - 1 };
  }),
  hidden("le-hidden-square", "正方行列の W", "a square W", (rng) => {
    const d = rng.int(2, 9);
    return { inF: d, outF: d };
  }),
];

export default defineExercise({
  cases,
  describeMismatch,
  invariants: [linearity, zeroInputGivesBias, rowsOfTable, paddingIsZero],
});
