import { type Localized, type WireTensor, type WireValue, isWireTensor, shapeText } from "@tfm/contract";
import { type CaseDef, type CompareVerdict, type InvariantDef, type Rng, defineExercise } from "@tfm/spec";

const name = (ja: string, en: string) => ({ ja, en });

/*
 * Statistical grading. A submission's weights w_1..w_n must look like n independent draws from
 * the distribution the reference states (uniform U(-b, b) or normal N(0, s^2)). Each test checks:
 *   mean:     |mean(w)| <= 6 s / sqrt(n)
 *   variance: |mean(w^2) - s^2| <= 6 SE, SE = s^2 sqrt(k / n): the standard error of the second
 *             moment about the known mean 0, Var(w^2) / n = (mu4 - s^4) / n with mu4 = 3 s^4
 *             (normal, k = 2) or 9 s^4 / 5 (uniform, k = 0.8)
 *   uniform:  max |w| <= b (1 + 1e-6), and max |w| >= b (1 - 20 / n): |w| / b is U(0, 1), so all n
 *             stay below 1 - 20/n with probability (1 - 20/n)^n < e^-20 = 2.1e-9
 *   normal:   the fraction of |w| > 2 s is q = 0.0455 within 6 sqrt(q (1 - q) / n)
 * Every test has n >= 8192. A correct initialiser fails one of its (at most three random) checks
 * with probability below 1e-8 (two-sided normal tail at 6 sigma: 2e-9 per check; the chi-square
 * skew of the variance for n >= 8192 raises that check to 3e-9), so a whole grading of at most 25
 * such tests fails a correct submission with probability below 2.5e-7. Public and pitfall tests
 * pass FIXED seeds to the submission, so their outcome is deterministic for a given submission;
 * hidden tests draw their seeds from the submission seed (replayable).
 */

type Distribution = "uniform" | "normal";
interface Hypothesis {
  distribution: Distribution;
  std: number;
  bound: number | null;
  shape: number[];
}

function field(v: WireValue | undefined, key: string): WireValue | undefined {
  return v !== null && typeof v === "object" && !Array.isArray(v) && !isWireTensor(v) ? v[key] : undefined;
}

function hypothesisOf(v: WireValue | undefined): Hypothesis {
  const distribution = field(v, "distribution");
  const std = field(v, "std");
  const bound = field(v, "bound");
  const shape = field(v, "shape");
  if ((distribution !== "uniform" && distribution !== "normal") || typeof std !== "number" || (bound !== null && typeof bound !== "number")) {
    throw new Error("weight-init: the reference returned a malformed hypothesis");
  }
  if (!Array.isArray(shape) || !shape.every((d): d is number => typeof d === "number")) throw new Error("weight-init: malformed shape");
  return { distribution, std, bound: bound ?? null, shape };
}

interface SampleStats {
  n: number;
  mean: number;
  secondMoment: number;
  maxAbs: number;
  data: ArrayLike<number>;
}

/**
 * The sample's moments in one pass, or the index of its first element that is not finite (NaN or
 * ±Infinity; the moments are then not computed), in one loop: a findIndex with a callback and then a
 * second loop cost a grading ~6 ms for its ~300,000 weights, this ~3 ms (the sums stay in index order,
 * so the moments are the same numbers).
 */
function statsOf(t: WireTensor): SampleStats | { nonFinite: number } {
  const data = t.$tensor.data;
  let sum = 0;
  let sq = 0;
  let maxAbs = 0;
  for (let i = 0; i < data.length; i++) {
    const v = data[i] as number;
    // v - v is 0 for every finite v and NaN for NaN and ±Infinity.
    if (v - v !== 0) return { nonFinite: i };
    sum += v;
    sq += v * v;
    const a = v < 0 ? -v : v;
    if (a > maxAbs) maxAbs = a;
  }
  return { n: data.length, mean: sum / data.length, secondMoment: sq / data.length, maxAbs, data };
}

/** How many of the weights lie beyond ±cut. */
function countBeyond(data: ArrayLike<number>, cut: number): number {
  let beyond = 0;
  for (let i = 0; i < data.length; i++) {
    const v = data[i] as number;
    if (v > cut || v < -cut) beyond++;
  }
  return beyond;
}

const TWO_SIGMA_TAIL = 0.04550026389635842;
const f = (x: number): string => (x === 0 ? "0" : Math.abs(x) >= 1e-3 && Math.abs(x) < 1e4 ? x.toPrecision(4) : x.toExponential(3));

/** null when the sample fits the hypothesis, else what does not fit. */
function misfit(s: SampleStats, h: Hypothesis): Localized | null {
  const n = s.n;
  const variance = h.std * h.std;
  const meanBound = (6 * h.std) / Math.sqrt(n);
  if (!(Math.abs(s.mean) <= meanBound)) {
    return {
      ja: `平均が ${f(s.mean)} です。平均 0 の分布なら ±${f(meanBound)} (標準誤差の 6 倍) に収まります`,
      en: `their mean is ${f(s.mean)}; a distribution centred at 0 stays within ±${f(meanBound)} (6 standard errors)`,
    };
  }
  const k = h.distribution === "normal" ? 2 : 0.8;
  const varBound = 6 * variance * Math.sqrt(k / n);
  if (!(Math.abs(s.secondMoment - variance) <= varBound)) {
    return {
      ja: `分散 (w² の平均) が ${f(s.secondMoment)} です。${f(variance)} ± ${f(varBound)} (std ${f(h.std)}、標準誤差の 6 倍) であるべきで、目標の ${f(s.secondMoment / variance)} 倍になっています`,
      en: `their variance (mean of w^2) is ${f(s.secondMoment)}, not ${f(variance)} ± ${f(varBound)} (std ${f(h.std)}, 6 standard errors): ${f(s.secondMoment / variance)} times the target`,
    };
  }
  if (h.distribution === "uniform" && h.bound !== null) {
    const b = h.bound;
    if (!(s.maxAbs <= b * (1 + 1e-6))) {
      return {
        ja: `範囲 ±${f(b)} の外の値があります (最大 |w| = ${f(s.maxAbs)})`,
        en: `a value lies outside ±${f(b)} (max |w| = ${f(s.maxAbs)})`,
      };
    }
    const reach = b * (1 - 20 / n);
    if (!(s.maxAbs >= reach)) {
      return {
        ja: `最大の |w| が ${f(s.maxAbs)} で、範囲の端 ${f(b)} に届いていません (${n} 個の標本なら ${f(reach)} 以上になります)。範囲が狭すぎます`,
        en: `the largest |w| is ${f(s.maxAbs)}, short of the bound ${f(b)} (${n} samples reach at least ${f(reach)}): the range is too narrow`,
      };
    }
  }
  if (h.distribution === "normal") {
    const fraction = countBeyond(s.data, 2 * h.std) / n;
    const fracBound = 6 * Math.sqrt((TWO_SIGMA_TAIL * (1 - TWO_SIGMA_TAIL)) / n);
    if (!(Math.abs(fraction - TWO_SIGMA_TAIL) <= fracBound)) {
      return {
        ja: `|w| > 2σ となる割合が ${f(fraction)} です。正規分布なら ${f(TWO_SIGMA_TAIL)} ± ${f(fracBound)} です (一様分布から引いていませんか)`,
        en: `a fraction ${f(fraction)} of the weights has |w| > 2 sigma; a normal distribution gives ${f(TWO_SIGMA_TAIL)} ± ${f(fracBound)} (was it drawn from a uniform distribution?)`,
      };
    }
  }
  return null;
}

function describe(h: Hypothesis): Localized {
  return h.distribution === "uniform"
    ? { ja: `U(-${f(h.bound ?? 0)}, ${f(h.bound ?? 0)})`, en: `U(-${f(h.bound ?? 0)}, ${f(h.bound ?? 0)})` }
    : { ja: `N(0, ${f(h.std)}²)`, en: `N(0, ${f(h.std)}^2)` };
}

function sameHypothesis(a: Hypothesis, b: Hypothesis): boolean {
  const close = (x: number | null, y: number | null) => (x === null || y === null ? x === y : Math.abs(x - y) <= 1e-12 * Math.max(Math.abs(x), Math.abs(y)));
  return a.distribution === b.distribution && close(a.std, b.std) && close(a.bound, b.bound);
}

function compare(expected: WireValue, actual: WireValue): CompareVerdict {
  const h = hypothesisOf(expected);
  if (!isWireTensor(actual)) {
    return { ok: false, message: { ja: `形状 ${shapeText(h.shape)} の Tensor を返してください`, en: `return a Tensor of shape ${shapeText(h.shape)}` } };
  }
  const shape = actual.$tensor.shape;
  if (shape.length !== h.shape.length || shape.some((d, i) => d !== h.shape[i])) {
    return {
      ok: false,
      message: { ja: `形状が違います: 期待 ${shapeText(h.shape)}、実際 ${shapeText(shape)}`, en: `shape mismatch: expected ${shapeText(h.shape)}, got ${shapeText(shape)}` },
    };
  }
  if (actual.$tensor.dtype !== "float32") {
    return { ok: false, message: { ja: `float32 の Tensor を返してください (${actual.$tensor.dtype} でした)`, en: `return a float32 Tensor (got ${actual.$tensor.dtype})` } };
  }
  const s = statsOf(actual);
  if ("nonFinite" in s) {
    const bad = s.nonFinite;
    return { ok: false, message: { ja: `要素 ${bad} が ${actual.$tensor.data[bad]} です`, en: `element ${bad} is ${actual.$tensor.data[bad]}` } };
  }
  const wrong = misfit(s, h);
  if (wrong === null) return { ok: true };
  // Name a pitfall only when exactly one mistaken distribution (different from the right one) fits.
  const alternatives = field(expected, "alternatives");
  const fits: string[] = [];
  if (alternatives !== null && typeof alternatives === "object" && !Array.isArray(alternatives) && !isWireTensor(alternatives)) {
    for (const [pitfall, v] of Object.entries(alternatives)) {
      const alt = hypothesisOf(v);
      if (!sameHypothesis(alt, h) && misfit(s, alt) === null) fits.push(pitfall);
    }
  }
  const target = describe(h);
  return {
    ok: false,
    message: { ja: `重みは ${target.ja} に従うはずですが、${wrong.ja}`, en: `the weights should follow ${target.en}; ${wrong.en}` },
    ...(fits.length === 1 ? { pitfall: fits[0] } : {}),
  };
}

type Method = "xavier_uniform" | "xavier_normal" | "kaiming_uniform" | "kaiming_normal";
type Nonlinearity = "linear" | "sigmoid" | "tanh" | "relu" | "leaky_relu";

interface Options {
  gain: number;
  mode: "fan_in" | "fan_out";
  nonlinearity: Nonlinearity;
  a: number;
}

const XAVIER = (gain = 1): Options => ({ gain, mode: "fan_in", nonlinearity: "relu", a: 0 });
const KAIMING = (nonlinearity: Nonlinearity, mode: "fan_in" | "fan_out" = "fan_in", a = 0): Options => ({ gain: 1, mode, nonlinearity, a });

function initArgs(shape: number[], method: Method, options: Options, seed: number): WireValue[] {
  return [shape, method, { ...options }, seed];
}

const METHODS: Method[] = ["xavier_uniform", "xavier_normal", "kaiming_uniform", "kaiming_normal"];
const NONLINEARITIES: Nonlinearity[] = ["linear", "sigmoid", "tanh", "relu", "leaky_relu"];

/** A Linear weight [out, in] with out * in >= 8192, mostly not square. */
function linearShape(rng: Rng): number[] {
  const fanIn = rng.int(48, 320);
  const out = Math.ceil(8192 / fanIn) + rng.int(0, 96);
  return [out, fanIn];
}

/** Options drawn for any method. */
function randomOptions(rng: Rng, method: Method): Options {
  if (method.startsWith("xavier")) return XAVIER(rng.pick([1, Math.SQRT2, 5 / 3, 0.5]));
  const nonlinearity = rng.pick(NONLINEARITIES);
  return KAIMING(nonlinearity, rng.random() < 0.3 ? "fan_out" : "fan_in", nonlinearity === "leaky_relu" ? rng.pick([0.01, 0.1, 0.2, 0.5]) : 0);
}

const seedOf = (rng: Rng): number => rng.int(0, 2 ** 31);

function hidden(id: string, ja: string, en: string, make: (rng: Rng) => WireValue[]): CaseDef {
  return { id, kind: "hidden", name: name(ja, en), make: ({ rng }) => make(rng) };
}

const cases: CaseDef[] = [
  {
    id: "wi-xavier-uniform",
    kind: "public",
    name: name("問題文の例: Xavier 一様、Linear(256 → 64) の重み [64, 256]", "the statement's example: Xavier uniform, a Linear(256 -> 64) weight [64, 256]"),
    make: () => initArgs([64, 256], "xavier_uniform", XAVIER(), 42),
  },
  { id: "wi-xavier-normal", kind: "public", name: name("Xavier 正規 [72, 128]", "Xavier normal [72, 128]"), make: () => initArgs([72, 128], "xavier_normal", XAVIER(), 7) },
  {
    id: "wi-kaiming-uniform-relu",
    kind: "public",
    name: name("Kaiming 一様、ReLU、fan_in [128, 96]", "Kaiming uniform, ReLU, fan_in [128, 96]"),
    make: () => initArgs([128, 96], "kaiming_uniform", KAIMING("relu"), 2024),
  },
  {
    id: "wi-kaiming-normal-fan-out",
    kind: "public",
    name: name("Kaiming 正規、ReLU、fan_out [64, 200]", "Kaiming normal, ReLU, fan_out [64, 200]"),
    make: () => initArgs([64, 200], "kaiming_normal", KAIMING("relu", "fan_out"), 11),
  },
  {
    id: "wi-conv2d-xavier",
    kind: "public",
    name: name("畳み込みの重み [32, 16, 4, 4] (受容野 16)、Xavier 一様", "a convolution weight [32, 16, 4, 4] (receptive field 16), Xavier uniform"),
    make: () => initArgs([32, 16, 4, 4], "xavier_uniform", XAVIER(), 5),
  },
  {
    id: "wi-xavier-tanh-gain",
    kind: "public",
    name: name("Xavier 正規、gain = 5/3 (tanh) [80, 120]", "Xavier normal, gain = 5/3 (tanh) [80, 120]"),
    make: () => initArgs([80, 120], "xavier_normal", XAVIER(5 / 3), 3),
  },
  {
    id: "wi-kaiming-tanh",
    kind: "public",
    name: name("Kaiming 正規、tanh の gain 5/3 [96, 128]", "Kaiming normal, tanh's gain 5/3 [96, 128]"),
    make: () => initArgs([96, 128], "kaiming_normal", KAIMING("tanh"), 43),
  },
  {
    id: "wi-kaiming-linear",
    kind: "public",
    name: name("Kaiming 一様、linear の gain 1 [96, 100]", "Kaiming uniform, linear's gain 1 [96, 100]"),
    make: () => initArgs([96, 100], "kaiming_uniform", KAIMING("linear"), 47),
  },
  {
    id: "wi-kaiming-sigmoid",
    kind: "public",
    name: name("Kaiming 正規、sigmoid の gain 1、fan_out [100, 96]", "Kaiming normal, sigmoid's gain 1, fan_out [100, 96]"),
    make: () => initArgs([100, 96], "kaiming_normal", KAIMING("sigmoid", "fan_out"), 53),
  },
  {
    id: "wi-kaiming-tall",
    kind: "pitfall",
    name: name("Kaiming 正規、fan_in = 256、fan_out = 32 [32, 256]", "Kaiming normal, fan_in = 256, fan_out = 32 [32, 256]"),
    make: () => initArgs([32, 256], "kaiming_normal", KAIMING("relu"), 17),
  },
  {
    id: "wi-kaiming-relu-square",
    kind: "pitfall",
    name: name("Kaiming 一様、ReLU の gain √2 が効く [96, 96]", "Kaiming uniform, where ReLU's gain sqrt(2) matters [96, 96]"),
    make: () => initArgs([96, 96], "kaiming_uniform", KAIMING("relu"), 23),
  },
  {
    id: "wi-xavier-uniform-bound",
    kind: "pitfall",
    name: name("Xavier 一様の範囲 a = √3 σ [80, 128]", "the Xavier uniform bound a = sqrt(3) sigma [80, 128]"),
    make: () => initArgs([80, 128], "xavier_uniform", XAVIER(), 29),
  },
  {
    id: "wi-xavier-wide",
    kind: "pitfall",
    name: name("Xavier 正規、fan_in ≠ fan_out [40, 256]", "Xavier normal, fan_in != fan_out [40, 256]"),
    make: () => initArgs([40, 256], "xavier_normal", XAVIER(), 31),
  },
  {
    id: "wi-leaky-relu",
    kind: "pitfall",
    name: name("Kaiming 正規、leaky_relu (a = 0.2) [64, 160]", "Kaiming normal, leaky_relu (a = 0.2) [64, 160]"),
    make: () => initArgs([64, 160], "kaiming_normal", KAIMING("leaky_relu", "fan_in", 0.2), 37),
  },
  {
    id: "wi-leaky-relu-steep",
    kind: "pitfall",
    name: name("Kaiming 一様、leaky_relu (a = 0.5): gain = √(2 / (1 + a²)) [96, 112]", "Kaiming uniform, leaky_relu (a = 0.5): gain = sqrt(2 / (1 + a^2)) [96, 112]"),
    make: () => initArgs([96, 112], "kaiming_uniform", KAIMING("leaky_relu", "fan_in", 0.5), 59),
  },
  {
    id: "wi-conv-kaiming",
    kind: "pitfall",
    name: name("畳み込み [64, 16, 3, 3] の Kaiming 一様 (fan_in = 144、fan_out = 576)", "Kaiming uniform on a convolution [64, 16, 3, 3] (fan_in = 144, fan_out = 576)"),
    make: () => initArgs([64, 16, 3, 3], "kaiming_uniform", KAIMING("relu"), 41),
  },
  hidden("wi-hidden-xavier-uniform", "Xavier 一様、ランダムな形状と gain", "Xavier uniform, random shape and gain", (rng) =>
    initArgs(linearShape(rng), "xavier_uniform", randomOptions(rng, "xavier_uniform"), seedOf(rng)),
  ),
  hidden("wi-hidden-xavier-normal", "Xavier 正規、ランダムな形状と gain", "Xavier normal, random shape and gain", (rng) =>
    initArgs(linearShape(rng), "xavier_normal", randomOptions(rng, "xavier_normal"), seedOf(rng)),
  ),
  hidden("wi-hidden-kaiming-uniform", "Kaiming 一様、ランダムな設定", "Kaiming uniform, random settings", (rng) =>
    initArgs(linearShape(rng), "kaiming_uniform", randomOptions(rng, "kaiming_uniform"), seedOf(rng)),
  ),
  hidden("wi-hidden-kaiming-normal", "Kaiming 正規、ランダムな設定", "Kaiming normal, random settings", (rng) =>
    initArgs(linearShape(rng), "kaiming_normal", randomOptions(rng, "kaiming_normal"), seedOf(rng)),
  ),
  hidden("wi-hidden-kaiming-fan-out", "Kaiming、fan_out", "Kaiming, fan_out", (rng) => {
    const method = rng.pick<Method>(["kaiming_uniform", "kaiming_normal"]);
    return initArgs(linearShape(rng), method, KAIMING(rng.pick(NONLINEARITIES), "fan_out", 0.1), seedOf(rng));
  }),
  hidden("wi-hidden-conv1d", "1 次元畳み込み [out, in, k]", "1-D convolution [out, in, k]", (rng) => {
    const k = rng.pick([3, 5, 7]);
    const cin = rng.int(8, 33);
    const out = Math.ceil(8192 / (cin * k)) + rng.int(0, 16);
    const method = rng.pick(METHODS);
    return initArgs([out, cin, k], method, randomOptions(rng, method), seedOf(rng));
  }),
  hidden("wi-hidden-conv2d", "2 次元畳み込み [out, in, k, k]", "2-D convolution [out, in, k, k]", (rng) => {
    const k = rng.pick([3, 5]);
    const cin = rng.int(4, 17);
    const out = Math.ceil(8192 / (cin * k * k)) + rng.int(0, 16);
    const method = rng.pick(METHODS);
    return initArgs([out, cin, k, k], method, randomOptions(rng, method), seedOf(rng));
  }),
  hidden("wi-hidden-tall", "縦長の重み (out ≫ in)", "a tall weight (out >> in)", (rng) => {
    const method = rng.pick(METHODS);
    return initArgs([rng.int(256, 385), rng.int(32, 48)], method, randomOptions(rng, method), seedOf(rng));
  }),
  hidden("wi-hidden-wide", "横長の重み (in ≫ out)", "a wide weight (in >> out)", (rng) => {
    const method = rng.pick(METHODS);
    return initArgs([rng.int(32, 48), rng.int(256, 385)], method, randomOptions(rng, method), seedOf(rng));
  }),
  hidden("wi-hidden-odd-dims", "奇数の次元", "odd dimensions", (rng) => {
    const method = rng.pick(METHODS);
    return initArgs([2 * rng.int(45, 60) + 1, 2 * rng.int(50, 70) + 1], method, randomOptions(rng, method), seedOf(rng));
  }),
];

function tensorOut(v: WireValue): WireTensor | null {
  return isWireTensor(v) ? v : null;
}

const invariants: InvariantDef[] = [
  {
    id: "wi-inv-same-seed",
    // It judges repeatability itself: the grader's own repeat check stays out.
    randomResults: true,
    name: name("同じ seed なら同じ重み", "the same seed gives the same weights"),
    async run({ rng, call }) {
      const method = rng.pick(METHODS);
      const args = initArgs([rng.int(8, 40), rng.int(8, 40)], method, randomOptions(rng, method), seedOf(rng));
      const a = tensorOut(await call(args));
      const b = tensorOut(await call(args));
      if (a === null || b === null) return { ok: false, message: { ja: "Tensor が返されませんでした", en: "no Tensor was returned" } };
      const same = a.$tensor.data.length === b.$tensor.data.length && a.$tensor.data.every((v, i) => v === b.$tensor.data[i]);
      return same
        ? { ok: true }
        : {
            ok: false,
            message: {
              ja: "同じ seed で 2 回呼ぶと違う重みになりました。乱数はすべて new torch.Generator().manualSeed(seed) から引いてください",
              en: "two calls with the same seed gave different weights; draw every random number from new torch.Generator().manualSeed(seed)",
            },
          };
    },
  },
  {
    id: "wi-inv-seed-matters",
    name: name("seed を変えると重みが変わる", "another seed gives other weights"),
    async run({ rng, call }) {
      const method = rng.pick(METHODS);
      const options = randomOptions(rng, method);
      const shape = [rng.int(8, 40), rng.int(8, 40)];
      const seed = seedOf(rng);
      const a = tensorOut(await call(initArgs(shape, method, options, seed)));
      const b = tensorOut(await call(initArgs(shape, method, options, seed + 1)));
      if (a === null || b === null) return { ok: false, message: { ja: "Tensor が返されませんでした", en: "no Tensor was returned" } };
      const same = a.$tensor.data.length === b.$tensor.data.length && a.$tensor.data.every((v, i) => v === b.$tensor.data[i]);
      return same
        ? {
            ok: false,
            // Two seeds, identical weights: the seed never reaches the generator, whatever the distribution.
            pitfall: "seed-hard-coded",
            message: { ja: "seed を変えても同じ重みになりました。seed を生成器に渡してください", en: "changing the seed gave the same weights; pass the seed to the generator" },
          }
        : { ok: true };
    },
  },
];

export default defineExercise({ cases, invariants, compare });
