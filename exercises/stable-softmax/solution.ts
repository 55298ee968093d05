import { type Tensor } from "@tfm/kit";

export function stableSoftmax(x: Tensor, dim: number): Tensor {
  // Shifting each slice along dim by its own maximum leaves the softmax unchanged and puts the
  // largest exponent at 0: no exp overflows, and every denominator is at least 1.
  const shifted = x.sub(x.amax(dim, true));
  const e = shifted.exp();
  return e.div(e.sum(dim, true));
}
