import { torch, F, type Tensor } from "@tfm/kit";

/**
 * Q: (..., T_q, d_k), K: (..., T_k, d_k), V: (..., T_k, d_v)
 * mask: broadcastable to (..., T_q, T_k); 1 (true) = may attend, 0 (false) = must not
 * returns [output (..., T_q, d_v), weights (..., T_q, T_k)]
 *
 * Bug report: with a causal mask, position 0 ends up reading the last tokens of the sequence.
 */
export function maskedAttention(Q: Tensor, K: Tensor, V: Tensor, mask: Tensor): [Tensor, Tensor] {
  const dK = Q.size(-1);
  let scores = torch.matmul(Q, K.transpose(-2, -1)).div(Math.sqrt(dK));
  scores = scores.maskedFill(mask.eq(1), -1e9);
  const weights = F.softmax(scores, -1);
  return [torch.matmul(weights, V), weights];
}
