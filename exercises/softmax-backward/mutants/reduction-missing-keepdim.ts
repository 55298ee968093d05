import { type Tensor } from "@tfm/kit";

// expect-verdict: runtime_error
// sum without keepdim: (B, n) minus (B,) fails to broadcast unless B == n, where it silently
// subtracts another row's sum.
export function softmaxBackward(y: Tensor, grad: Tensor): Tensor {
  const dot = grad.mul(y).sum(-1);
  return y.mul(grad.sub(dot));
}
