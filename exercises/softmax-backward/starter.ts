import { torch, type Tensor } from "@tfm/kit";

/**
 * y:    softmax(x) along the last axis, shape (..., n)
 * grad: dL/dy, the gradient of the loss with respect to y, same shape
 * returns dL/dx, same shape
 */
export function softmaxBackward(y: Tensor, grad: Tensor): Tensor {
  // Work out the Jacobian dy_i/dx_j of the softmax first, then apply its transpose to grad.
  void y;
  return torch.zerosLike(grad);
}
