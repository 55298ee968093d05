import { torch, F, type Tensor } from "@tfm/kit";

/**
 * Q: (..., T_q, d_k), K: (..., T_k, d_k), V: (..., T_k, d_v)
 * returns [output (..., T_q, d_v), attention weights (..., T_q, T_k)]
 * No scaling, no mask.
 */
export function simpleAttention(Q: Tensor, K: Tensor, V: Tensor): [Tensor, Tensor] {
  // 1. scores = the dot products of Q and K:   torch.matmul(____, ____.transpose(-2, -1))
  // 2. attention weights = softmax of ____ over the last axis:   F.softmax(____, -1)
  // 3. output = the weights applied to ____:   torch.matmul(____, ____)
  void torch;
  void F;
  void K;
  return [V, Q];
}
