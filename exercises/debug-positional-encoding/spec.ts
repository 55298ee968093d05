import { type Localized, type WireTensor, type WireValue, isWireTensor, shapeText } from "@tfm/contract";
import { CallFailure, type CaseDef, type InvariantDef, type InvariantOutcome, type Rng, defineExercise, full, randn } from "@tfm/spec";

const name = (ja: string, en: string): Localized => ({ ja, en });

const zeros = (b: number, t: number, d: number): WireTensor => full("float32", [b, t, d], 0);
const random = (rng: Rng, b: number, t: number, d: number): WireValue[] => [randn(rng, [b, t, d])];

function hidden(id: string, ja: string, en: string, make: (rng: Rng) => WireValue[]): CaseDef {
  return { id, kind: "hidden", name: name(ja, en), make: ({ rng }) => make(rng) };
}

// Positions stay below 64: the float32 angle pos * 10000^(-2i/d) then carries an error under
// 64 * 2^-24 ~ 4e-6, inside the tolerance for every implementation that follows the formula.
const cases: CaseDef[] = [
  { id: "dpe-zeros-d4", kind: "public", name: name("x = 0, T=3, d_model=4 (問題文の表)", "x = 0, T=3, d_model=4 (the statement's table)"), make: () => [zeros(1, 3, 4)] },
  { id: "dpe-zeros-d16", kind: "public", name: name("x = 0, T=10, d_model=16", "x = 0, T=10, d_model=16"), make: () => [zeros(1, 10, 16)] },
  { id: "dpe-random-batch", kind: "public", name: name("ランダムな x, B=3, T=7, d_model=8", "random x, B=3, T=7, d_model=8"), make: ({ rng }) => random(rng, 3, 7, 8) },
  { id: "dpe-single-position", kind: "public", name: name("T=1 (位置 0 だけ)", "T=1 (position 0 only)"), make: ({ rng }) => random(rng, 2, 1, 6) },
  { id: "dpe-odd-d5", kind: "public", name: name("x = 0, d_model=5 (奇数): 最後の次元は sin", "x = 0, d_model=5 (odd): the last dimension is a sin"), make: () => [zeros(1, 6, 5)] },
  { id: "dpe-d-not-power-of-two", kind: "public", name: name("d_model=12, T=20", "d_model=12, T=20"), make: ({ rng }) => random(rng, 1, 20, 12) },
  { id: "dpe-position-zero", kind: "pitfall", name: name("位置 0: 偶数次元は 0、奇数次元は 1", "position 0: even dims 0, odd dims 1"), make: () => [zeros(1, 2, 6)] },
  { id: "dpe-pair-frequencies", kind: "pitfall", name: name("次元の組が同じ周波数を共有する (d_model=32, T=50)", "dimension pairs share a frequency (d_model=32, T=50)"), make: () => [zeros(1, 50, 32)] },
  { id: "dpe-odd-d7", kind: "pitfall", name: name("奇数の d_model=7, T=9", "odd d_model=7, T=9"), make: ({ rng }) => random(rng, 2, 9, 7) },
  hidden("dpe-hidden-random-1", "ランダムな形状 1", "random shape 1", (rng) => random(rng, rng.int(1, 4), rng.int(1, 40), 2 * rng.int(1, 16))),
  hidden("dpe-hidden-random-2", "ランダムな形状 2", "random shape 2", (rng) => random(rng, rng.int(1, 4), rng.int(1, 40), rng.int(1, 33))),
  hidden("dpe-hidden-odd-d", "奇数の d_model", "odd d_model", (rng) => random(rng, 2, rng.int(2, 30), 2 * rng.int(1, 10) + 1)),
  hidden("dpe-hidden-odd-zeros", "x = 0 で奇数の d_model", "x = 0 with an odd d_model", (rng) => [zeros(1, rng.int(2, 40), 2 * rng.int(2, 12) + 1)]),
  hidden("dpe-hidden-d2", "d_model=2", "d_model=2", (rng) => random(rng, 1, rng.int(2, 60), 2)),
  hidden("dpe-hidden-d1", "d_model=1", "d_model=1", (rng) => random(rng, 2, rng.int(2, 20), 1)),
  hidden("dpe-hidden-d3", "d_model=3", "d_model=3", (rng) => [zeros(1, rng.int(2, 30), 3)]),
  hidden("dpe-hidden-long", "T=63", "T=63", (rng) => [zeros(1, 63, 2 * rng.int(4, 33))]),
  hidden("dpe-hidden-batch1", "B=1", "B=1", (rng) => random(rng, 1, rng.int(2, 30), 10)),
  hidden("dpe-hidden-t1", "T=1", "T=1", (rng) => random(rng, rng.int(1, 5), 1, rng.int(1, 18))),
  hidden("dpe-hidden-large-x", "値の大きな x", "large x values", (rng) => [randn(rng, [2, rng.int(2, 20), 14], 50)]),
];

// ---------------------------------------------------------------- invariants

/** The formula, in float64. */
function pe(pos: number, j: number, d: number): number {
  const angle = pos / Math.pow(10000, (2 * Math.floor(j / 2)) / d);
  return j % 2 === 0 ? Math.sin(angle) : Math.cos(angle);
}

const close = (a: number, e: number): boolean => Math.abs(a - e) <= 1e-5 + 1e-4 * Math.abs(e);

function resultTensor(v: WireValue, shape: readonly number[]): WireTensor | InvariantOutcome {
  if (!isWireTensor(v)) return { ok: false, message: { ja: "Tensor を返してください", en: "return a Tensor" } };
  const s = v.$tensor.shape;
  if (s.length !== shape.length || s.some((n, i) => n !== shape[i])) {
    return { ok: false, message: { ja: `形状は ${shapeText(shape)} (x と同じ) であるべきですが ${shapeText(s)} でした`, en: `the shape should be ${shapeText(shape)} (that of x) but is ${shapeText(s)}` } };
  }
  return v;
}

/** First (pos, j) where the table of x = 0 (1, T, d) differs from the formula, or null. */
function firstWrong(t: WireTensor, T: number, d: number): [number, number] | null {
  const data = t.$tensor.data;
  for (let pos = 0; pos < T; pos++) for (let j = 0; j < d; j++) if (!close(data[pos * d + j] as number, pe(pos, j, d))) return [pos, j];
  return null;
}

const positionZero: InvariantDef = {
  id: "dpe-inv-position-zero",
  name: name("位置 0 の行は [0, 1, 0, 1, ...] (sin 0 = 0, cos 0 = 1)", "the row of position 0 is [0, 1, 0, 1, ...] (sin 0 = 0, cos 0 = 1)"),
  async run({ call }) {
    const d = 8;
    const got = resultTensor(await call([zeros(1, 3, d)]), [1, 3, d]);
    if (!isWireTensor(got)) return got;
    const row = Array.from(got.$tensor.data.subarray(0, d), (v) => Number(v.toFixed(4)));
    for (let j = 0; j < d; j++) {
      if (!close(row[j] as number, j % 2 === 0 ? 0 : 1)) {
        return {
          ok: false,
          message: {
            ja: `x = 0、d_model = ${d} で位置 0 の行は [0, 1, 0, 1, 0, 1, 0, 1] のはずですが [${row.join(", ")}] でした。偶数次元には sin、奇数次元には cos が入ります`,
            en: `with x = 0 and d_model = ${d} the row of position 0 should be [0, 1, 0, 1, 0, 1, 0, 1] but is [${row.join(", ")}]; even dimensions hold a sin, odd ones a cos`,
          },
        };
      }
    }
    return { ok: true };
  },
};

/** sin²(a) + cos²(a) = 1 holds only when the two columns of a pair use one angle. */
const unitCircle: InvariantDef = {
  id: "dpe-inv-pairs-on-unit-circle",
  name: name("各組 (2i, 2i+1) で PE² の和が 1 (同じ角度の sin と cos)", "every pair (2i, 2i+1) has squares summing to 1 (sin and cos of one angle)"),
  async run({ call }) {
    const [T, d] = [20, 10];
    const got = resultTensor(await call([zeros(1, T, d)]), [1, T, d]);
    if (!isWireTensor(got)) return got;
    const data = got.$tensor.data;
    for (let pos = 0; pos < T; pos++) {
      for (let j = 0; j + 1 < d; j += 2) {
        const a = data[pos * d + j] as number;
        const b = data[pos * d + j + 1] as number;
        if (!(Math.abs(a * a + b * b - 1) <= 1e-4)) {
          return {
            ok: false,
            message: {
              ja: `位置 ${pos} の次元 ${j} と ${j + 1} は ${a} と ${b} で、2 乗の和が ${a * a + b * b} です。同じ角度の sin と cos なら 1 になります。組ごとに角度と関数を表示して確かめてください`,
              en: `at position ${pos} dimensions ${j} and ${j + 1} hold ${a} and ${b}, whose squares sum to ${a * a + b * b}; the sin and cos of one angle give 1. Print the angle and the function used for each pair`,
            },
          };
        }
      }
    }
    return { ok: true };
  },
};

/** The encoding is added, and it is the same for every sequence of the batch. */
const additive: InvariantDef = {
  id: "dpe-inv-added-to-every-sequence",
  name: name("PE は x に足され、バッチのどの系列にも同じ", "the encoding is added to x, the same for every sequence of the batch"),
  async run({ rng, call }) {
    const [b, T, d] = [3, 6, 6];
    const x = randn(rng, [b, T, d]);
    const withX = resultTensor(await call([x]), [b, T, d]);
    if (!isWireTensor(withX)) return withX;
    const table = resultTensor(await call([zeros(1, T, d)]), [1, T, d]);
    if (!isWireTensor(table)) return table;
    for (let i = 0; i < withX.$tensor.data.length; i++) {
      const e = (x.$tensor.data[i] as number) + (table.$tensor.data[i % (T * d)] as number);
      if (!close(withX.$tensor.data[i] as number, e)) {
        const [bi, pos, j] = [Math.floor(i / (T * d)), Math.floor(i / d) % T, i % d];
        return {
          ok: false,
          message: {
            ja: `出力 − x は x = 0 のときの出力 (PE の表) と同じはずですが、[${bi}, ${pos}, ${j}] で ${withX.$tensor.data[i]} ではなく ${e} であるべきでした`,
            en: `output − x should equal the output for x = 0 (the PE table), but at [${bi}, ${pos}, ${j}] the output is ${withX.$tensor.data[i]} instead of ${e}`,
          },
        };
      }
    }
    return { ok: true };
  },
};

/** Odd d_model: the code must neither throw nor shift; diagnosed against the same code at d_model - 1. */
const oddModelWidth: InvariantDef = {
  id: "dpe-inv-odd-d-model",
  name: name("奇数の d_model でも式どおり (最後の次元は sin)", "an odd d_model follows the formula too (the last dimension is a sin)"),
  async run({ rng, call }) {
    const T = 12;
    const d = 2 * rng.int(2, 5) + 1;
    let value: WireValue;
    try {
      value = await call([zeros(1, T, d)]);
    } catch (e) {
      if (e instanceof CallFailure && e.thrown !== null) {
        return {
          ok: false,
          pitfall: "pe-odd-d-model",
          message: {
            ja: `d_model = ${d} (奇数) でエラーになりました: ${e.thrown.message}。偶数列と奇数列の数 (ceil(d/2) と floor(d/2)) を表示して、代入する表の形状と比べてください`,
            en: `d_model = ${d} (odd) throws: ${e.thrown.message}. Print how many even and odd columns there are (ceil(d/2) and floor(d/2)) and compare with the shapes you assign`,
          },
        };
      }
      throw e;
    }
    const odd = resultTensor(value, [1, T, d]);
    if (!isWireTensor(odd)) return odd;
    const wrong = firstWrong(odd, T, d);
    if (wrong === null) return { ok: true };
    const [pos, j] = wrong;
    const got = odd.$tensor.data[pos * d + j] as number;
    const even = resultTensor(await call([zeros(1, T, d - 1)]), [1, T, d - 1]);
    const evenRight = isWireTensor(even) && firstWrong(even, T, d - 1) === null;
    const message: Localized = {
      ja: `x = 0、d_model = ${d} で位置 ${pos} の次元 ${j} は ${pe(pos, j, d)} のはずですが ${got} でした${evenRight ? `。d_model = ${d - 1} では正しいので、奇数の d_model の扱いだけが間違っています` : ""}`,
      en: `with x = 0 and d_model = ${d}, position ${pos} dimension ${j} should be ${pe(pos, j, d)} but is ${got}${evenRight ? `; d_model = ${d - 1} comes out right, so only the odd d_model is handled wrongly` : ""}`,
    };
    return evenRight ? { ok: false, message, pitfall: "pe-odd-d-model" } : { ok: false, message };
  },
};

export default defineExercise({
  cases,
  invariants: [positionZero, unitCircle, additive, oddModelWidth],
});
