import { torch, F, type Tensor } from "@tfm/kit";

export interface MhaWeights {
  Wq: Tensor; bq: Tensor;
  Wk: Tensor; bk: Tensor;
  Wv: Tensor; bv: Tensor;
  Wo: Tensor; bo: Tensor;
}

export function multiHeadAttention(x: Tensor, w: MhaWeights, numHeads: number, mask: Tensor | null): [Tensor, Tensor] {
  const [batch, seqLen, dModel] = x.shape as [number, number, number];
  const dK = dModel / numHeads;
  // 1. project x to Q, K, V with F.linear
  // 2. split heads: view(batch, seqLen, numHeads, dK).transpose(1, 2)
  // 3. scaled dot-product attention per head (mask == 0 -> -1e9)
  // 4. merge heads: transpose(1, 2).contiguous().view(batch, seqLen, dModel)
  // 5. output projection with Wo, bo
  void torch; void F; void w; void mask; void dK; void batch; void seqLen;
  return [x, torch.zeros(batch, numHeads, seqLen, seqLen)];
}
