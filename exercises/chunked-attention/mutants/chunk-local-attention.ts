import { torch, F, type Tensor } from "@tfm/kit";

// The chapter's "split the sequence" cure taken literally: Q, K and V are all cut into the same
// chunks, so each query only sees the keys of its own chunk.
export function chunkedAttention(Q: Tensor, K: Tensor, V: Tensor, chunkSize: number): Tensor {
  const t = Q.size(-2);
  const outputs: Tensor[] = [];
  for (let start = 0; start < t; start += chunkSize) {
    const len = Math.min(chunkSize, t - start);
    const q = Q.narrow(-2, start, len);
    const k = K.narrow(-2, start, len);
    const v = V.narrow(-2, start, len);
    const weights = F.softmax(torch.matmul(q, k.transpose(-2, -1)).div(Math.sqrt(Q.size(-1))), -1);
    outputs.push(torch.matmul(weights, v));
  }
  return torch.cat(outputs, -2);
}
