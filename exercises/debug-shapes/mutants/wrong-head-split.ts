import { torch, F, type Tensor } from "@tfm/kit";

export interface MhaWeights {
  Wq: Tensor; bq: Tensor;
  Wk: Tensor; bk: Tensor;
  Wv: Tensor; bv: Tensor;
  Wo: Tensor; bo: Tensor;
}

function attend(Q: Tensor, K: Tensor, V: Tensor, mask: Tensor | null): [Tensor, Tensor] {
  let scores = torch.matmul(Q, K.transpose(-2, -1)).div(Math.sqrt(Q.size(-1)));
  if (mask !== null) scores = scores.maskedFill(mask.eq(0), -1e9);
  const weights = F.softmax(scores, -1);
  return [torch.matmul(weights, V), weights];
}

// A partial fix: "the transposes make it non-contiguous", so every transpose was removed and the
// split and the merge became plain views. Each "head" now holds a block of consecutive positions.
export function multiHeadAttention(x: Tensor, w: MhaWeights, numHeads: number, mask: Tensor | null): [Tensor, Tensor] {
  const [batch, seqLen, dModel] = x.shape as [number, number, number];
  const dK = dModel / numHeads;
  const toHeads = (t: Tensor): Tensor => t.view(batch, numHeads, seqLen, dK);
  const Q = toHeads(F.linear(x, w.Wq, w.bq));
  const K = toHeads(F.linear(x, w.Wk, w.bk));
  const V = toHeads(F.linear(x, w.Wv, w.bv));
  const [heads, weights] = attend(Q, K, V, mask);
  const merged = heads.view(batch, seqLen, dModel);
  return [F.linear(merged, w.Wo, w.bo), weights];
}
