import { torch, F, type Tensor } from "@tfm/kit";

export interface EncoderWeights {
  Wq: Tensor; bq: Tensor; Wk: Tensor; bk: Tensor; Wv: Tensor; bv: Tensor; Wo: Tensor; bo: Tensor;
  gamma1: Tensor; beta1: Tensor;
  W1: Tensor; b1: Tensor; W2: Tensor; b2: Tensor;
  gamma2: Tensor; beta2: Tensor;
}

export interface EncoderIntermediates {
  attentionWeights: Tensor; // (B, h, T, T)
  attention: Tensor;        // (B, T, d_model): multi-head attention of x, after Wo
  residual1: Tensor;        // x + attention
  norm1: Tensor;            // LayerNorm(residual1) with gamma1, beta1
  feedForward: Tensor;      // relu(norm1 W1ᵀ + b1) W2ᵀ + b2
  residual2: Tensor;        // norm1 + feedForward
  output: Tensor;           // LayerNorm(residual2) with gamma2, beta2
}

export function encoderBlock(x: Tensor, w: EncoderWeights, numHeads: number, mask: Tensor | null): EncoderIntermediates {
  const [batch, seqLen, dModel] = x.shape as [number, number, number];
  // Build each stage in order; every one of them is compared with the reference.
  void F; void w; void numHeads; void mask;
  const zero = torch.zeros(batch, seqLen, dModel);
  return {
    attentionWeights: torch.zeros(batch, numHeads, seqLen, seqLen),
    attention: zero,
    residual1: zero,
    norm1: zero,
    feedForward: zero,
    residual2: zero,
    output: zero,
  };
}
