import { type Tensor } from "@tfm/kit";

// The kit's var(), like PyTorch's, divides by D - 1 unless told otherwise.
export function layerNorm(x: Tensor, gamma: Tensor, beta: Tensor, eps: number): Tensor {
  const mean = x.mean(-1, true);
  const variance = x.var(-1, { keepdim: true });
  return x.sub(mean).div(variance.add(eps).sqrt()).mul(gamma).add(beta);
}
