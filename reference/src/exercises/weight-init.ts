import type { WireValue } from "@tfm/contract";
import { defineReference } from "@tfm/spec";

/**
 * An initialiser is checked statistically, so the reference does not draw weights: it states the
 * distribution the weights must come from (PyTorch's torch.nn.init formulas, fans and gains,
 * written independently of the kit), and for every pitfall the distribution that mistake draws
 * from. The spec's `compare` tests a submission's sample against the first and, when it fails,
 * names the pitfall whose distribution the sample fits.
 */

type Mistake = "none" | "init-fans-swapped" | "init-missing-gain" | "init-uniform-bound-as-std" | "init-xavier-fan-in-only";

const METHODS = ["xavier_uniform", "xavier_normal", "kaiming_uniform", "kaiming_normal"] as const;
type Method = (typeof METHODS)[number];

interface Options {
  gain: number;
  mode: "fan_in" | "fan_out";
  nonlinearity: string;
  a: number;
}

function parse(args: readonly WireValue[]): { shape: number[]; method: Method; options: Options } {
  const [shape, method, options] = args;
  if (!Array.isArray(shape) || !shape.every((d): d is number => typeof d === "number")) throw new Error("reference: shape must be a list of numbers");
  const m = METHODS.find((x) => x === method);
  if (m === undefined) throw new Error(`reference: unknown method ${String(method)}`);
  if (options === null || typeof options !== "object" || Array.isArray(options)) throw new Error("reference: options must be an object");
  const o = options as Record<string, WireValue>;
  const { gain, mode, nonlinearity, a } = o;
  if (typeof gain !== "number" || (mode !== "fan_in" && mode !== "fan_out") || typeof nonlinearity !== "string" || typeof a !== "number") {
    throw new Error("reference: options need gain, mode, nonlinearity and a");
  }
  return { shape, method: m, options: { gain, mode, nonlinearity, a } };
}

/** torch.nn.init.calculate_gain for the nonlinearities the statement lists. */
export function nonlinearityGain(nonlinearity: string, a: number): number {
  switch (nonlinearity) {
    case "linear":
    case "sigmoid":
      return 1;
    case "tanh":
      return 5 / 3;
    case "relu":
      return Math.SQRT2;
    case "leaky_relu":
      return Math.sqrt(2 / (1 + a * a));
    default:
      throw new Error(`reference: unknown nonlinearity ${nonlinearity}`);
  }
}

/** _calculate_fan_in_and_fan_out: fan_in = size(1) * receptive field, fan_out = size(0) * receptive field. */
function fans(shape: readonly number[]): [number, number] {
  const receptive = shape.slice(2).reduce((p, d) => p * d, 1);
  return [(shape[1] ?? 1) * receptive, (shape[0] ?? 1) * receptive];
}

/** The distribution weights are drawn from; `std` is the distribution's, `bound` the uniform half-width. */
type Hypothesis = { distribution: "uniform" | "normal"; std: number; bound: number | null; shape: number[] };

function hypothesis(args: readonly WireValue[], mistake: Mistake): Hypothesis {
  const { shape, method, options } = parse(args);
  let [fanIn, fanOut] = fans(shape);
  if (mistake === "init-fans-swapped") [fanIn, fanOut] = [fanOut, fanIn];
  let std: number;
  if (method.startsWith("xavier")) {
    const gain = mistake === "init-missing-gain" ? 1 : options.gain;
    std = mistake === "init-xavier-fan-in-only" ? gain * Math.sqrt(1 / fanIn) : gain * Math.sqrt(2 / (fanIn + fanOut));
  } else {
    const gain = mistake === "init-missing-gain" ? 1 : nonlinearityGain(options.nonlinearity, options.a);
    std = gain / Math.sqrt(options.mode === "fan_in" ? fanIn : fanOut);
  }
  const uniform = method.endsWith("uniform");
  // U(-b, b) has variance b^2 / 3, so b = sqrt(3) std; the mistake takes b = std.
  const bound = uniform ? (mistake === "init-uniform-bound-as-std" ? std : Math.sqrt(3) * std) : null;
  return {
    distribution: uniform ? "uniform" : "normal",
    std: uniform && bound !== null ? bound / Math.sqrt(3) : std,
    bound,
    shape: [...shape],
  };
}

const PITFALLS = ["init-fans-swapped", "init-missing-gain", "init-uniform-bound-as-std", "init-xavier-fan-in-only"] as const;

export default defineReference({
  expected: (args) => ({
    ...hypothesis(args, "none"),
    alternatives: Object.fromEntries(PITFALLS.map((p) => [p, hypothesis(args, p)])),
  }),
  variants: Object.fromEntries(PITFALLS.map((p) => [p, (args: readonly WireValue[]) => hypothesis(args, p)])),
});
