/**
 * nn.init: internal implementations (used by the nn modules) and the public, withholdable
 * `init` object whose entries call them. Formulas follow torch.nn.init.
 */
import { KitError, fmtShape } from "./errors.ts";
import type { Tensor } from "./tensor.ts";
import { dtypeOf, shapeOf } from "./tensor.ts";
import { fillInPlace, requireTensor } from "./ops-elementwise.ts";
import type { Generator } from "./random.ts";
import { normalFill, uniformFill } from "./random.ts";

export type Nonlinearity =
  | "linear" | "conv1d" | "conv2d" | "conv3d" | "conv_transpose1d" | "conv_transpose2d" | "conv_transpose3d"
  | "sigmoid" | "tanh" | "relu" | "leaky_relu" | "selu";
export type FanMode = "fan_in" | "fan_out";

/** torch.nn.init.calculate_gain. */
export function calculateGain(nonlinearity: Nonlinearity = "leaky_relu", param?: number | null): number {
  switch (nonlinearity) {
    case "linear":
    case "conv1d":
    case "conv2d":
    case "conv3d":
    case "conv_transpose1d":
    case "conv_transpose2d":
    case "conv_transpose3d":
    case "sigmoid":
      return 1;
    case "tanh":
      return 5 / 3;
    case "relu":
      return Math.SQRT2;
    case "leaky_relu": {
      const slope = param === undefined || param === null ? 0.01 : param;
      if (typeof slope !== "number" || !Number.isFinite(slope)) {
        throw new KitError(`negative_slope ${String(slope)} not a valid number`, `negative_slope ${String(slope)} は有効な数値ではありません`);
      }
      return Math.sqrt(2 / (1 + slope * slope));
    }
    case "selu":
      return 3 / 4;
  }
  throw new KitError(`Unsupported nonlinearity ${String(nonlinearity)}`, `未対応の非線形関数 ${String(nonlinearity)}`);
}

/** [fan_in, fan_out] = [size(1) * receptive, size(0) * receptive], receptive = prod(shape[2:]). */
export function computeFans(t: Tensor): [number, number] {
  const shape = shapeOf(t);
  if (shape.length < 2) {
    throw new KitError(
      `Fan in and fan out can not be computed for tensor with fewer than 2 dimensions (shape ${fmtShape(shape)})`,
      `2 次元未満のテンソル（形状 ${fmtShape(shape)}）では fan_in と fan_out を計算できません`,
    );
  }
  let receptive = 1;
  for (let i = 2; i < shape.length; i++) receptive *= shape[i]!;
  return [shape[1]! * receptive, shape[0]! * receptive];
}

function checkFloat(t: Tensor, fn: string): Tensor {
  const x = requireTensor(t, fn, "tensor");
  if (dtypeOf(x) !== "float32") {
    throw new KitError(`${fn}: expected a float32 tensor, got ${dtypeOf(x)}`, `${fn}: float32 のテンソルが必要です（${dtypeOf(x)}）`);
  }
  return x;
}

export function uniformInit(t: Tensor, a = 0, b = 1, generator?: Generator | null): Tensor {
  uniformFill(t, a, b, generator);
  return t;
}

export function normalInit(t: Tensor, mean = 0, std = 1, generator?: Generator | null): Tensor {
  normalFill(t, mean, std, generator);
  return t;
}

export function constantInit(t: Tensor, value: number): Tensor {
  fillInPlace(t, value);
  return t;
}

export function xavierUniformInit(t: Tensor, gain = 1, generator?: Generator | null): Tensor {
  const x = checkFloat(t, "xavier_uniform_");
  const [fanIn, fanOut] = computeFans(x);
  const std = gain * Math.sqrt(2 / (fanIn + fanOut));
  const a = Math.sqrt(3) * std;
  uniformFill(x, -a, a, generator);
  return x;
}

export function xavierNormalInit(t: Tensor, gain = 1, generator?: Generator | null): Tensor {
  const x = checkFloat(t, "xavier_normal_");
  const [fanIn, fanOut] = computeFans(x);
  normalFill(x, 0, gain * Math.sqrt(2 / (fanIn + fanOut)), generator);
  return x;
}

function kaimingStd(x: Tensor, a: number, mode: FanMode, nonlinearity: Nonlinearity): number {
  if (mode !== "fan_in" && mode !== "fan_out") {
    throw new KitError(`Mode ${String(mode)} not supported, please use one of fan_in, fan_out`, `mode ${String(mode)} には対応していません。fan_in か fan_out を使ってください`);
  }
  const [fanIn, fanOut] = computeFans(x);
  const fan = mode === "fan_in" ? fanIn : fanOut;
  return calculateGain(nonlinearity, a) / Math.sqrt(fan);
}

export function kaimingUniformInit(
  t: Tensor, a = 0, mode: FanMode = "fan_in", nonlinearity: Nonlinearity = "leaky_relu", generator?: Generator | null,
): Tensor {
  const x = checkFloat(t, "kaiming_uniform_");
  if (shapeOf(x).includes(0)) return x;
  const bound = Math.sqrt(3) * kaimingStd(x, a, mode, nonlinearity);
  uniformFill(x, -bound, bound, generator);
  return x;
}

export function kaimingNormalInit(
  t: Tensor, a = 0, mode: FanMode = "fan_in", nonlinearity: Nonlinearity = "leaky_relu", generator?: Generator | null,
): Tensor {
  const x = checkFloat(t, "kaiming_normal_");
  if (shapeOf(x).includes(0)) return x;
  normalFill(x, 0, kaimingStd(x, a, mode, nonlinearity), generator);
  return x;
}

export interface XavierOptions {
  gain?: number;
  generator?: Generator;
}
export interface KaimingOptions {
  a?: number;
  mode?: FanMode;
  nonlinearity?: Nonlinearity;
  generator?: Generator;
}

/** The public nn.init namespace. Each entry may be withheld by the grader. */
export const init = {
  /** U(a, b) in place. */
  uniform_(tensor: Tensor, a = 0, b = 1, generator?: Generator): Tensor {
    return uniformInit(tensor, a, b, generator);
  },
  /** N(mean, std²) in place. */
  normal_(tensor: Tensor, mean = 0, std = 1, generator?: Generator): Tensor {
    return normalInit(tensor, mean, std, generator);
  },
  constant_(tensor: Tensor, value: number): Tensor {
    return constantInit(tensor, value);
  },
  zeros_(tensor: Tensor): Tensor {
    return constantInit(tensor, 0);
  },
  ones_(tensor: Tensor): Tensor {
    return constantInit(tensor, 1);
  },
  /** U(-a, a), a = gain * sqrt(6 / (fan_in + fan_out)). gain may be a number or {gain, generator}. */
  xavierUniform_(tensor: Tensor, gain?: number | XavierOptions, generator?: Generator): Tensor {
    const o: XavierOptions = typeof gain === "object" && gain !== null ? gain : { gain: gain ?? 1, generator };
    return xavierUniformInit(tensor, o.gain ?? 1, o.generator ?? generator);
  },
  /** N(0, std²), std = gain * sqrt(2 / (fan_in + fan_out)). */
  xavierNormal_(tensor: Tensor, gain?: number | XavierOptions, generator?: Generator): Tensor {
    const o: XavierOptions = typeof gain === "object" && gain !== null ? gain : { gain: gain ?? 1, generator };
    return xavierNormalInit(tensor, o.gain ?? 1, o.generator ?? generator);
  },
  /** U(-b, b), b = gain * sqrt(3 / fan_mode). Options {a=0, mode='fan_in', nonlinearity='leaky_relu', generator}. */
  kaimingUniform_(tensor: Tensor, a?: number | KaimingOptions, mode?: FanMode, nonlinearity?: Nonlinearity, generator?: Generator): Tensor {
    const o: KaimingOptions = typeof a === "object" && a !== null ? a : { a: a ?? 0, mode, nonlinearity, generator };
    return kaimingUniformInit(tensor, o.a ?? 0, o.mode ?? "fan_in", o.nonlinearity ?? "leaky_relu", o.generator);
  },
  /** N(0, std²), std = gain / sqrt(fan_mode). */
  kaimingNormal_(tensor: Tensor, a?: number | KaimingOptions, mode?: FanMode, nonlinearity?: Nonlinearity, generator?: Generator): Tensor {
    const o: KaimingOptions = typeof a === "object" && a !== null ? a : { a: a ?? 0, mode, nonlinearity, generator };
    return kaimingNormalInit(tensor, o.a ?? 0, o.mode ?? "fan_in", o.nonlinearity ?? "leaky_relu", o.generator);
  },
  calculateGain(nonlinearity: Nonlinearity, param?: number): number {
    return calculateGain(nonlinearity, param);
  },
};
