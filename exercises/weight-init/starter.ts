import { torch, type Tensor } from "@tfm/kit";

type Method = "xavier_uniform" | "xavier_normal" | "kaiming_uniform" | "kaiming_normal";

interface InitOptions {
  gain: number;                                                          // Xavier only
  mode: "fan_in" | "fan_out";                                            // Kaiming only
  nonlinearity: "linear" | "sigmoid" | "tanh" | "relu" | "leaky_relu";   // Kaiming only
  a: number;                                                             // Kaiming, leaky_relu slope
}

export function initWeight(shape: number[], method: Method, options: InitOptions, seed: number): Tensor {
  // 1. fan_in and fan_out from the shape (out, in, ...kernel)
  // 2. the standard deviation of the chosen method
  // 3. draw from new torch.Generator().manualSeed(seed): uniform U(-b, b) or normal N(0, std^2)
  void method; void options; void seed;
  return torch.zeros(shape);
}
