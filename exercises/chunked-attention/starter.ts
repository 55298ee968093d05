import { torch, F, type Tensor } from "@tfm/kit";

/**
 * Q: (B, T_q, d_k), K: (B, T_k, d_k), V: (B, T_k, d_v) -> output (B, T_q, d_v)
 *
 * Correct for short sequences, but on long ones it stops with "memory limit exceeded".
 * Find out why, and make it fit without changing the result. chunkSize is the largest number
 * of queries you may process at once.
 */
export function chunkedAttention(Q: Tensor, K: Tensor, V: Tensor, chunkSize: number): Tensor {
  void chunkSize;
  const scores = torch.matmul(Q, K.transpose(-2, -1)).div(Math.sqrt(Q.size(-1)));
  const weights = F.softmax(scores, -1);
  return torch.matmul(weights, V);
}
