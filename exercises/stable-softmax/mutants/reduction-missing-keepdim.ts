import { type Tensor } from "@tfm/kit";

// expect-verdict: runtime_error
// Drops the reduced axis: non-square inputs fail to broadcast, square ones pair each element
// with another row's maximum and sum.
export function stableSoftmax(x: Tensor, dim: number): Tensor {
  const e = x.sub(x.amax(dim)).exp();
  return e.div(e.sum(dim));
}
