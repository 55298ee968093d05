// expect-verdict: memory_limit
import { torch, F, type Tensor } from "@tfm/kit";

// The chapter's memory-hungry version: right numbers, but the whole (B, T, T) score matrix at once.
export function chunkedAttention(Q: Tensor, K: Tensor, V: Tensor, chunkSize: number): Tensor {
  void chunkSize;
  const weights = F.softmax(torch.matmul(Q, K.transpose(-2, -1)).div(Math.sqrt(Q.size(-1))), -1);
  return torch.matmul(weights, V);
}
