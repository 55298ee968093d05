import { torch, F, type Tensor } from "@tfm/kit";

export interface EncoderWeights {
  Wq: Tensor; bq: Tensor; Wk: Tensor; bk: Tensor; Wv: Tensor; bv: Tensor; Wo: Tensor; bo: Tensor;
  gamma1: Tensor; beta1: Tensor;
  W1: Tensor; b1: Tensor; W2: Tensor; b2: Tensor;
  gamma2: Tensor; beta2: Tensor;
}

export interface EncoderIntermediates {
  attentionWeights: Tensor;
  attention: Tensor;
  residual1: Tensor;
  norm1: Tensor;
  feedForward: Tensor;
  residual2: Tensor;
  output: Tensor;
}

function multiHeadAttention(x: Tensor, w: EncoderWeights, numHeads: number, mask: Tensor | null): [Tensor, Tensor] {
  const [batch, seqLen, dModel] = x.shape as [number, number, number];
  const dK = dModel / numHeads;
  const toHeads = (t: Tensor): Tensor => t.view(batch, seqLen, numHeads, dK).transpose(1, 2);
  const Q = toHeads(F.linear(x, w.Wq, w.bq));
  const K = toHeads(F.linear(x, w.Wk, w.bk));
  const V = toHeads(F.linear(x, w.Wv, w.bv));
  let scores = torch.matmul(Q, K.transpose(-2, -1)).div(Math.sqrt(dK));
  if (mask !== null) scores = scores.maskedFill(mask.eq(0), -1e9);
  const weights = F.softmax(scores, -1);
  const merged = torch.matmul(weights, V).transpose(1, 2).contiguous().view(batch, seqLen, dModel);
  return [F.linear(merged, w.Wo, w.bo), weights];
}

/** LayerNorm over the features of each token: biased variance, eps inside the square root. */
function layerNorm(x: Tensor, gamma: Tensor, beta: Tensor): Tensor {
  const mean = x.mean(1, true);
  const centered = x.sub(mean);
  const variance = centered.mul(centered).mean(1, true);
  return centered.div(variance.add(1e-5).sqrt()).mul(gamma).add(beta);
}

// Normalises over the sequence axis (dim 1) instead of the features of each token.
export function encoderBlock(x: Tensor, w: EncoderWeights, numHeads: number, mask: Tensor | null): EncoderIntermediates {
  const [attention, attentionWeights] = multiHeadAttention(x, w, numHeads, mask);
  const residual1 = x.add(attention);
  const norm1 = layerNorm(residual1, w.gamma1, w.beta1);
  const feedForward = F.linear(F.relu(F.linear(norm1, w.W1, w.b1)), w.W2, w.b2);
  const residual2 = norm1.add(feedForward);
  const output = layerNorm(residual2, w.gamma2, w.beta2);
  return { attentionWeights, attention, residual1, norm1, feedForward, residual2, output };
}
