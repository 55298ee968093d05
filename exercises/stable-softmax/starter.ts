import { torch, type Tensor } from "@tfm/kit";

/**
 * x: a float32 tensor of any shape; dim: the axis to normalise (negative counts from the end).
 * Returns softmax(x) along dim, same shape as x.
 *
 * This is the textbook formula, translated line by line. It is correct for small scores, yet
 * attention scores of a few hundred already make it return NaN. Find out why and fix it.
 */
export function stableSoftmax(x: Tensor, dim: number): Tensor {
  const e = torch.exp(x);
  return e.div(torch.sum(e, dim, true));
}
