import { torch, F, type Tensor } from "@tfm/kit";

export function chunkedAttention(Q: Tensor, K: Tensor, V: Tensor, chunkSize: number): Tensor {
  const tq = Q.size(-2);
  const scale = Math.sqrt(Q.size(-1));
  const kT = K.transpose(-2, -1).contiguous(); // (B, d_k, T_k), made once for every chunk
  const outputs: Tensor[] = [];
  for (let start = 0; start < tq; start += chunkSize) {
    const q = Q.narrow(-2, start, Math.min(chunkSize, tq - start)); // (B, c, d_k)
    // Only a (B, c, T_k) block of scores exists at a time; every query still sees every key.
    const weights = F.softmax(torch.matmul(q, kT).div(scale), -1);
    outputs.push(torch.matmul(weights, V)); // (B, c, d_v)
  }
  return torch.cat(outputs, -2);
}
