import { torch, type Tensor } from "@tfm/kit";

export interface AttentionMasks {
  causal: Tensor;
  padding: Tensor;
  combined: Tensor;
}

// Marks the padding with 1 and the real tokens with 0.
export function attentionMasks(lengths: number[], seqLen: number): AttentionMasks {
  const causal = torch.tril(torch.ones(seqLen, seqLen));
  const isPad = torch.arange(seqLen).unsqueeze(0).ge(torch.tensor(lengths).unsqueeze(1));
  const padding = isPad.unsqueeze(1).float();
  return { causal, padding, combined: causal.mul(padding) };
}
