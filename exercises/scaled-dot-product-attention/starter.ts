import { torch, F, type Tensor } from "@tfm/kit";

/**
 * Q: (..., T_q, d_k), K: (..., T_k, d_k), V: (..., T_k, d_v)
 * mask: broadcastable to (..., T_q, T_k), 1 = may attend, 0 = must not; or null
 * returns [output (..., T_q, d_v), weights (..., T_q, T_k)]
 */
export function scaledDotProductAttention(Q: Tensor, K: Tensor, V: Tensor, mask: Tensor | null): [Tensor, Tensor] {
  // 1. scores = Q K^T / sqrt(d_k)
  // 2. if a mask is given, fill the positions where mask == 0 with -1e9
  // 3. weights = softmax over the last axis
  // 4. output = weights V
  void torch;
  void F;
  void K;
  void mask;
  return [V, Q];
}
