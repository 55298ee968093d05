import { type Tensor } from "@tfm/kit";

// Keeps only the diagonal y_i (1 - y_i) of the Jacobian, as if each output depended on its own score alone.
export function softmaxBackward(y: Tensor, grad: Tensor): Tensor {
  return y.mul(y.neg().add(1)).mul(grad);
}
