import { torch, type Tensor } from "@tfm/kit";

type Method = "xavier_uniform" | "xavier_normal" | "kaiming_uniform" | "kaiming_normal";

interface InitOptions {
  gain: number;
  mode: "fan_in" | "fan_out";
  nonlinearity: "linear" | "sigmoid" | "tanh" | "relu" | "leaky_relu";
  a: number;
}

function calculateGain(nonlinearity: InitOptions["nonlinearity"], a: number): number {
  switch (nonlinearity) {
    case "linear":
    case "sigmoid":
      return 1;
    case "tanh":
      return 5 / 3;
    case "relu":
      return Math.sqrt(2);
    case "leaky_relu":
      return Math.sqrt(2 / (1 + a * a));
  }
}

// Xavier with fan_in alone (LeCun): std = gain / sqrt(fan_in).
export function initWeight(shape: number[], method: Method, options: InitOptions, seed: number): Tensor {
  // Weights are laid out like nn.Linear's (out, in, ...kernel): the receptive field multiplies both fans.
  const [outFeatures = 1, inFeatures = 1, ...kernel] = shape;
  const receptive = kernel.reduce((p, d) => p * d, 1);
  const fanIn = inFeatures * receptive;
  const fanOut = outFeatures * receptive;
  const std =
    method === "xavier_uniform" || method === "xavier_normal"
      ? options.gain * Math.sqrt(1 / fanIn)
      : calculateGain(options.nonlinearity, options.a) / Math.sqrt(options.mode === "fan_in" ? fanIn : fanOut);
  const generator = new torch.Generator().manualSeed(seed);
  if (method === "xavier_uniform" || method === "kaiming_uniform") {
    // U(-b, b) has variance b^2 / 3.
    const bound = Math.sqrt(3) * std;
    return torch.empty(shape).uniform_(-bound, bound, generator);
  }
  return torch.randn(shape, { generator }).mul(std);
}
