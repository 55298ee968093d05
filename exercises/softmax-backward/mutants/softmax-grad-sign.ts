import { type Tensor } from "@tfm/kit";

// Subtracts the wrong way round: y * (sum(g * y) - g).
export function softmaxBackward(y: Tensor, grad: Tensor): Tensor {
  const dot = grad.mul(y).sum(-1, true);
  return y.mul(dot.sub(grad));
}
