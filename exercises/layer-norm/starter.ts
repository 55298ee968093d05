import { torch, type Tensor } from "@tfm/kit";

/**
 * x: (..., D); gamma, beta: (D); eps: a small positive number.
 * returns (x - mean) / sqrt(var + eps) * gamma + beta, statistics over the last axis.
 */
export function layerNorm(x: Tensor, gamma: Tensor, beta: Tensor, eps: number): Tensor {
  // 1. mean over the last axis (keep it for broadcasting)
  // 2. variance over the last axis, dividing by D
  // 3. normalise, then scale by gamma and shift by beta
  void torch; void gamma; void beta; void eps;
  return x;
}
