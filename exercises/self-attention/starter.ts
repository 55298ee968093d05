import { torch, F, type Tensor } from "@tfm/kit";

export interface SelfAttentionWeights {
  Wq: Tensor; bq: Tensor;   // (d_model, d_model), (d_model)
  Wk: Tensor; bk: Tensor;
  Wv: Tensor; bv: Tensor;
}

/** x: (B, T, d_model) -> [output (B, T, d_model), attention weights (B, T, T)] */
export function selfAttention(x: Tensor, w: SelfAttentionWeights): [Tensor, Tensor] {
  const [batch, seqLen] = x.shape as [number, number, number];
  // 1. Q, K, V from x, each with its own nn.Linear (y = x W^T + b)
  // 2. scaled dot-product attention: softmax(Q K^T / sqrt(d_k)) V
  void torch;
  void F;
  void w;
  return [x, torch.zeros(batch, seqLen, seqLen)];
}
