import { type Tensor } from "@tfm/kit";

export function layerNorm(x: Tensor, gamma: Tensor, beta: Tensor, eps: number): Tensor {
  const mean = x.mean(-1, true);
  const centred = x.sub(mean);
  // Biased variance (divide by D), as torch.nn.LayerNorm; eps goes inside the square root.
  const variance = centred.pow(2).mean(-1, true);
  return centred.div(variance.add(eps).sqrt()).mul(gamma).add(beta);
}
