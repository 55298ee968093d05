import { type Tensor } from "@tfm/kit";

// Takes the statistics over the axis before the features (the sequence, or the batch for 2-D input).
export function layerNorm(x: Tensor, gamma: Tensor, beta: Tensor, eps: number): Tensor {
  const mean = x.mean(-2, true);
  const variance = x.var(-2, { unbiased: false, keepdim: true });
  return x.sub(mean).div(variance.add(eps).sqrt()).mul(gamma).add(beta);
}
