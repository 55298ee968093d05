import { torch, F, type Tensor } from "@tfm/kit";

export interface SelfAttentionWeights {
  Wq: Tensor; bq: Tensor;
  Wk: Tensor; bk: Tensor;
  Wv: Tensor; bv: Tensor;
}

// Projects without the biases.
export function selfAttention(x: Tensor, w: SelfAttentionWeights): [Tensor, Tensor] {
  const Q = F.linear(x, w.Wq);
  const K = F.linear(x, w.Wk);
  const V = F.linear(x, w.Wv);
  const scores = torch.matmul(Q, K.transpose(-2, -1)).div(Math.sqrt(Q.size(-1)));
  const weights = F.softmax(scores, -1);
  return [torch.matmul(weights, V), weights];
}
