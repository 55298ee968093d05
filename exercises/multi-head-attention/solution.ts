import { torch, F, type Tensor } from "@tfm/kit";

export interface MhaWeights {
  Wq: Tensor; bq: Tensor;
  Wk: Tensor; bk: Tensor;
  Wv: Tensor; bv: Tensor;
  Wo: Tensor; bo: Tensor;
}

function attention(Q: Tensor, K: Tensor, V: Tensor, mask: Tensor | null): [Tensor, Tensor] {
  let scores = torch.matmul(Q, K.transpose(-2, -1)).div(Math.sqrt(Q.size(-1)));
  if (mask !== null) scores = scores.maskedFill(mask.eq(0), -1e9);
  const weights = F.softmax(scores, -1);
  return [torch.matmul(weights, V), weights];
}

export function multiHeadAttention(x: Tensor, w: MhaWeights, numHeads: number, mask: Tensor | null): [Tensor, Tensor] {
  const batch = x.size(0);
  const dModel = x.size(-1);
  const dK = dModel / numHeads;
  const split = (t: Tensor) => t.view(batch, -1, numHeads, dK).transpose(1, 2);
  const Q = split(F.linear(x, w.Wq, w.bq));
  const K = split(F.linear(x, w.Wk, w.bk));
  const V = split(F.linear(x, w.Wv, w.bv));
  const [heads, weights] = attention(Q, K, V, mask);
  const merged = heads.transpose(1, 2).contiguous().view(batch, -1, dModel);
  return [F.linear(merged, w.Wo, w.bo), weights];
}
