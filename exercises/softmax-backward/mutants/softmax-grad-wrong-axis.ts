import { type Tensor } from "@tfm/kit";

// Sums g * y over the axis before the last one (queries / batch) instead of the softmax axis.
export function softmaxBackward(y: Tensor, grad: Tensor): Tensor {
  const dot = grad.mul(y).sum(-2, true);
  return y.mul(grad.sub(dot));
}
