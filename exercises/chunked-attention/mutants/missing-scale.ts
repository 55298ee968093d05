import { torch, F, type Tensor } from "@tfm/kit";

// Chunks correctly but forgets 1/sqrt(d_k).
export function chunkedAttention(Q: Tensor, K: Tensor, V: Tensor, chunkSize: number): Tensor {
  const t = Q.size(-2);
  const kT = K.transpose(-2, -1);
  const outputs: Tensor[] = [];
  for (let start = 0; start < t; start += chunkSize) {
    const q = Q.narrow(-2, start, Math.min(chunkSize, t - start));
    outputs.push(torch.matmul(F.softmax(torch.matmul(q, kT), -1), V));
  }
  return torch.cat(outputs, -2);
}
