import { type Tensor } from "@tfm/kit";

export function softmaxBackward(y: Tensor, grad: Tensor): Tensor {
  // Jacobian dy_i/dx_j = y_i (delta_ij - y_j), so (J^T g)_j = y_j (g_j - sum_i g_i y_i).
  const dot = grad.mul(y).sum(-1, true);
  return y.mul(grad.sub(dot));
}
