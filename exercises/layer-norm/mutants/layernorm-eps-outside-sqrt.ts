import { type Tensor } from "@tfm/kit";

// Divides by std + eps instead of sqrt(var + eps).
export function layerNorm(x: Tensor, gamma: Tensor, beta: Tensor, eps: number): Tensor {
  const mean = x.mean(-1, true);
  const std = x.var(-1, { unbiased: false, keepdim: true }).sqrt();
  return x.sub(mean).div(std.add(eps)).mul(gamma).add(beta);
}
