import { torch, F, type Tensor } from "@tfm/kit";

export interface SelfAttentionWeights {
  Wq: Tensor; bq: Tensor;
  Wk: Tensor; bk: Tensor;
  Wv: Tensor; bv: Tensor;
}

// Forgets to divide the scores by sqrt(d_k).
export function selfAttention(x: Tensor, w: SelfAttentionWeights): [Tensor, Tensor] {
  const Q = F.linear(x, w.Wq, w.bq);
  const K = F.linear(x, w.Wk, w.bk);
  const V = F.linear(x, w.Wv, w.bv);
  const weights = F.softmax(torch.matmul(Q, K.transpose(-2, -1)), -1);
  return [torch.matmul(weights, V), weights];
}
