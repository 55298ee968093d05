import { torch, F, type Tensor } from "@tfm/kit";

export interface SelfAttentionWeights {
  Wq: Tensor; bq: Tensor;
  Wk: Tensor; bk: Tensor;
  Wv: Tensor; bv: Tensor;
}

export function selfAttention(x: Tensor, w: SelfAttentionWeights): [Tensor, Tensor] {
  // nn.Linear: y = x W^T + b, with W stored as (out, in).
  const Q = F.linear(x, w.Wq, w.bq);
  const K = F.linear(x, w.Wk, w.bk);
  const V = F.linear(x, w.Wv, w.bv);
  const scores = torch.matmul(Q, K.transpose(-2, -1)).div(Math.sqrt(Q.size(-1)));
  const weights = F.softmax(scores, -1);
  return [torch.matmul(weights, V), weights];
}
