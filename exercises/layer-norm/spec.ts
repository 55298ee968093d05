import { type WireTensor, type WireValue, isWireTensor, wireTensor } from "@tfm/contract";
import { type CaseDef, type InvariantDef, type InvariantOutcome, type Rng, defineExercise, fromValues, full, numel, randn } from "@tfm/spec";

const name = (ja: string, en: string) => ({ ja, en });

function build(shape: number[], value: (i: number) => number): WireTensor {
  const data = new Float32Array(numel(shape));
  for (let i = 0; i < data.length; i++) data[i] = value(i);
  return wireTensor("float32", shape, data);
}

/** gamma around 1 and beta around 0, as after a little training. */
function affine(rng: Rng, d: number, gammaMean = 1, betaMean = 0): WireValue[] {
  return [build([d], () => gammaMean + 0.5 * rng.normal()), build([d], () => betaMean + 0.5 * rng.normal())];
}

function args(rng: Rng, shape: number[], eps = 1e-5, scale = 1, offset = 0): WireValue[] {
  const d = shape[shape.length - 1] ?? 1;
  return [build(shape, () => offset + scale * rng.normal()), ...affine(rng, d), eps];
}

function plain(shape: number[], x: WireTensor, eps: number): WireValue[] {
  const d = shape[shape.length - 1] ?? 1;
  return [x, full("float32", [d], 1), full("float32", [d], 0), eps];
}

function hidden(id: string, ja: string, en: string, make: (rng: Rng) => WireValue[]): CaseDef {
  return { id, kind: "hidden", name: name(ja, en), make: ({ rng }) => make(rng) };
}

const EPS_CHOICES = [1e-6, 1e-5, 1e-5, 1e-3, 0.1];

const cases: CaseDef[] = [
  {
    id: "ln-statement-example",
    kind: "public",
    name: name("問題文の例: x = [1, 2, 3, 4]", "the statement's example: x = [1, 2, 3, 4]"),
    make: () => [
      fromValues("float32", [1, 4], [1, 2, 3, 4]),
      fromValues("float32", [4], [1, 1, 2, 2]),
      fromValues("float32", [4], [0, 0, 0.5, -0.5]),
      1e-5,
    ],
  },
  { id: "ln-sequence", kind: "public", name: name("系列 (B=2, T=5, D=8)", "a sequence batch (B=2, T=5, D=8)"), make: ({ rng }) => args(rng, [2, 5, 8]) },
  { id: "ln-matrix", kind: "public", name: name("2 次元 (N=4, D=6)", "2-D (N=4, D=6)"), make: ({ rng }) => args(rng, [4, 6], 1e-5, 2) },
  { id: "ln-odd-d", kind: "public", name: name("D=7 (2 の累乗でない)", "D=7 (not a power of two)"), make: ({ rng }) => args(rng, [1, 3, 7]) },
  { id: "ln-single-token", kind: "public", name: name("T=1 (2, 1, 10)", "T=1 (2, 1, 10)"), make: ({ rng }) => args(rng, [2, 1, 10]) },
  {
    id: "ln-plain",
    kind: "public",
    name: name("γ = 1, β = 0 (3, 4, 5)", "gamma = 1, beta = 0 (3, 4, 5)"),
    make: ({ rng }) => plain([3, 4, 5], randn(rng, [3, 4, 5], 3), 1e-5),
  },
  { id: "ln-small-d", kind: "pitfall", name: name("D=3: 標本分散と不偏分散の差が大きい", "D=3: biased and unbiased variance differ a lot"), make: ({ rng }) => args(rng, [2, 4, 3]) },
  { id: "ln-large-eps", kind: "pitfall", name: name("eps = 0.5: eps の位置が効く", "eps = 0.5: where eps goes matters"), make: ({ rng }) => args(rng, [2, 3, 6], 0.5) },
  {
    id: "ln-tiny-variance",
    kind: "pitfall",
    name: name("分散が eps 程度の行 (x の標準偏差 0.003)", "rows whose variance is close to eps (x with std 0.003)"),
    make: ({ rng }) => args(rng, [2, 3, 8], 1e-5, 0.003),
  },
  {
    id: "ln-across-sequence",
    kind: "pitfall",
    name: name("各トークンを別々に正規化する (B=2, T=6, D=4)", "each token normalised on its own (B=2, T=6, D=4)"),
    make: ({ rng }) => args(rng, [2, 6, 4], 1e-5, 2),
  },
  {
    id: "ln-affine-matters",
    kind: "pitfall",
    name: name("γ が 3 前後、β が -2 前後", "gamma around 3, beta around -2"),
    make: ({ rng }) => [randn(rng, [2, 3, 5]), ...affine(rng, 5, 3, -2), 1e-5],
  },
  hidden("ln-hidden-random-1", "ランダムな形状 1", "random shape 1", (rng) => args(rng, [rng.int(1, 4), rng.int(1, 8), rng.int(2, 20)], rng.pick(EPS_CHOICES), 1 + 3 * rng.random())),
  hidden("ln-hidden-random-2", "ランダムな形状 2", "random shape 2", (rng) => args(rng, [rng.int(1, 4), rng.int(1, 8), rng.int(2, 20)], rng.pick(EPS_CHOICES), 1 + 3 * rng.random())),
  hidden("ln-hidden-matrix", "2 次元", "2-D", (rng) => args(rng, [rng.int(1, 9), rng.int(2, 17)], rng.pick(EPS_CHOICES))),
  hidden("ln-hidden-4d", "4 次元 (B, H, T, D)", "4-D (B, H, T, D)", (rng) => args(rng, [rng.int(1, 3), rng.int(1, 4), rng.int(1, 6), rng.int(2, 10)])),
  hidden("ln-hidden-d1", "D=1 (出力は β)", "D=1 (the output is beta)", (rng) => args(rng, [rng.int(1, 4), rng.int(1, 5), 1])),
  hidden("ln-hidden-d2", "D=2", "D=2", (rng) => args(rng, [rng.int(1, 4), rng.int(2, 6), 2])),
  hidden("ln-hidden-t1", "T=1", "T=1", (rng) => args(rng, [rng.int(1, 5), 1, rng.int(2, 12)])),
  hidden("ln-hidden-batch-one", "B=1", "B=1", (rng) => args(rng, [1, rng.int(2, 9), rng.int(3, 13)])),
  // Replaces ln-hidden-offset, whose x = 50 + N(0, 1) were float32-rounded at ulp(50) ≈ 3.8e-6: the
  // rounding of x and of its mean, amplified by gamma / std, moved correct float32 implementations
  // (the kit solution and the TensorFlow.js reference) apart by up to 2.5e-5 (7 of the first 150
  // seeds failed a correct solution). On a 1/64 grid, x and the row sums are exact in float32, so
  // the centring x - mean is exact in any correct implementation, and the case still tells the
  // centred variance from E[x²] − E[x]², which cancels at x² ≈ 2500.
  { ...hidden("ln-hidden-offset-v2", "0 から離れた入力 (約 50)", "inputs far from 0 (around 50)", (rng) => {
      const shape = [rng.int(1, 3), rng.int(2, 6), rng.int(4, 16)];
      const d = shape[2] ?? 4;
      return [build(shape, () => 50 + Math.round(64 * rng.normal()) / 64), ...affine(rng, d), 1e-5];
    }), replaces: "ln-hidden-offset" },
  hidden("ln-hidden-wide", "D=128", "D=128", (rng) => args(rng, [rng.int(1, 3), rng.int(1, 4), 128], 1e-5, 2)),
  hidden("ln-hidden-large-eps", "大きな eps", "a large eps", (rng) => args(rng, [rng.int(1, 3), rng.int(2, 5), rng.int(3, 9)], 0.2 + rng.random())),
];

function tensorOut(v: WireValue): WireTensor | null {
  return isWireTensor(v) ? v : null;
}

const notATensor: InvariantOutcome = { ok: false, message: { ja: "Tensor が返されませんでした", en: "no Tensor was returned" } };

/** Row statistics over the last axis (float64): biased variance. */
function rowStats(data: ArrayLike<number>, start: number, d: number): { mean: number; variance: number } {
  let s = 0;
  for (let j = 0; j < d; j++) s += data[start + j] as number;
  const mean = s / d;
  let v = 0;
  for (let j = 0; j < d; j++) v += ((data[start + j] as number) - mean) ** 2;
  return { mean, variance: v / d };
}

/** Compares two outputs elementwise with the exercise tolerance; `what` describes the change. */
function sameOutput(a: WireTensor, b: WireTensor, tolerance: { atol: number; rtol: number }, what: { ja: string; en: string }): InvariantOutcome {
  if (a.$tensor.data.length !== b.$tensor.data.length) {
    return { ok: false, message: { ja: `${what.ja}と出力の大きさが変わりました`, en: `${what.en} changed the size of the output` } };
  }
  for (let i = 0; i < a.$tensor.data.length; i++) {
    const e = a.$tensor.data[i] as number;
    const v = b.$tensor.data[i] as number;
    if (!(Math.abs(v - e) <= tolerance.atol + tolerance.rtol * Math.abs(e))) {
      return {
        ok: false,
        message: {
          ja: `${what.ja}と、要素 ${i} の出力が ${e} から ${v} に変わりました。LayerNorm はこの変換で (ほぼ) 変わらないはずです`,
          en: `${what.en} changed output element ${i} from ${e} to ${v}; LayerNorm should be (almost) unaffected`,
        },
      };
    }
  }
  return { ok: true };
}

/** Values on a 1/64 grid with D = 16: row means, shifts by integers and scaling by 8 stay exact in float32. */
function gridInput(rng: Rng, shape: number[]): WireTensor {
  return build(shape, () => Math.round(rng.normal() * 2 * 64) / 64);
}

const invariants: InvariantDef[] = [
  {
    id: "ln-inv-standardised",
    name: name("γ = 1, β = 0 なら各行の平均は 0、分散は 1 (eps の分だけ小さい)", "with gamma = 1 and beta = 0 each row has mean 0 and variance 1 (less the eps effect)"),
    async run({ rng, call }) {
      const d = rng.int(4, 33);
      const shape = [rng.int(1, 4), rng.int(2, 7), d];
      const eps = 1e-5;
      const x = build(shape, () => (1 + 4 * rng.random()) * rng.normal());
      const y = tensorOut(await call(plain(shape, x, eps)));
      if (y === null) return notATensor;
      if (y.$tensor.data.length !== x.$tensor.data.length) {
        return { ok: false, message: { ja: "出力の大きさが入力と違います", en: "the output does not have the input's size" } };
      }
      for (let start = 0; start < x.$tensor.data.length; start += d) {
        const input = rowStats(x.$tensor.data, start, d);
        const out = rowStats(y.$tensor.data, start, d);
        // With gamma = 1 and beta = 0 the output variance is exactly v / (v + eps).
        const target = input.variance / (input.variance + eps);
        const row = `${Math.floor(start / d)}`;
        if (!(Math.abs(out.mean) <= 1e-5)) {
          return {
            ok: false,
            message: {
              ja: `行 ${row} (最後の軸) の出力の平均が ${out.mean} です (0 であるべき)。平均を最後の軸でとっているか確認してください`,
              en: `row ${row} (last axis) of the output has mean ${out.mean}, not 0; check that the mean is taken over the last axis`,
            },
          };
        }
        if (!(Math.abs(out.variance - target) <= 1e-4)) {
          const unbiasedTarget = input.variance / ((input.variance * d) / (d - 1) + eps);
          const unbiased = Math.abs(out.variance - unbiasedTarget) <= 1e-4;
          return {
            ok: false,
            message: {
              ja: `行 ${row} の出力の分散 (D で割る) が ${out.variance} です (${target} であるべき)${unbiased ? `。(D-1)/D = ${(d - 1) / d} 倍になっているので、D-1 で割る不偏分散を使っているようです` : ""}`,
              en: `row ${row} of the output has variance (divided by D) ${out.variance}, not ${target}${unbiased ? `; that is (D-1)/D = ${(d - 1) / d} times too small, the mark of the unbiased variance (dividing by D-1)` : ""}`,
            },
            ...(unbiased ? { pitfall: "layernorm-unbiased-variance" } : {}),
          };
        }
      }
      return { ok: true };
    },
  },
  {
    id: "ln-inv-shift-per-row",
    name: name("各行に定数を足しても出力は変わらない", "adding a constant to each row leaves the output unchanged"),
    async run({ rng, call, tolerance }) {
      const d = 16;
      const shape = [rng.int(1, 4), rng.int(2, 6), d];
      const x = gridInput(rng, shape);
      const shifted = build(shape, (i) => x.$tensor.data[i] as number);
      for (let start = 0; start < shifted.$tensor.data.length; start += d) {
        const c = rng.int(-100, 101);
        for (let j = 0; j < d; j++) shifted.$tensor.data[start + j] = (shifted.$tensor.data[start + j] as number) + c;
      }
      const [gamma, beta] = affine(rng, d);
      const a = tensorOut(await call([x, gamma ?? null, beta ?? null, 1e-5]));
      const b = tensorOut(await call([shifted, gamma ?? null, beta ?? null, 1e-5]));
      if (a === null || b === null) return notATensor;
      return sameOutput(a, b, tolerance, { ja: "各行に -100〜100 の整数を足す", en: "adding an integer between -100 and 100 to each row" });
    },
  },
  {
    id: "ln-inv-scale",
    name: name("入力を 8 倍しても出力はほぼ変わらない", "multiplying the input by 8 leaves the output almost unchanged"),
    async run({ rng, call, tolerance }) {
      // With gain 1 and bias 0, y(cx) = (x - m) / sqrt(v + eps/c^2): the relative change is at
      // most eps / (2v) = 5e-6 for row variances v >= 1, far inside rtol 1e-4.
      const d = 16;
      const shape = [rng.int(1, 4), rng.int(2, 6), d];
      const raw = gridInput(rng, shape);
      let smallest = Infinity;
      for (let start = 0; start < raw.$tensor.data.length; start += d) smallest = Math.min(smallest, rowStats(raw.$tensor.data, start, d).variance);
      // A power of two lifts every row variance to at least 1 and keeps the values exact.
      const lift = smallest > 0 && smallest < 1 ? 2 ** Math.ceil(Math.log2(1 / Math.sqrt(smallest))) : 1;
      const x = build(shape, (i) => (raw.$tensor.data[i] as number) * lift);
      const scaled = build(shape, (i) => (x.$tensor.data[i] as number) * 8);
      const a = tensorOut(await call(plain(shape, x, 1e-5)));
      const b = tensorOut(await call(plain(shape, scaled, 1e-5)));
      if (a === null || b === null) return notATensor;
      return sameOutput(a, b, tolerance, { ja: "入力を 8 倍する", en: "multiplying the input by 8" });
    },
  },
];

export default defineExercise({ cases, invariants });
