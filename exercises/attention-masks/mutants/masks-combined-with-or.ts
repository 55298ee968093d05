import { torch, type Tensor } from "@tfm/kit";

export interface AttentionMasks {
  causal: Tensor;
  padding: Tensor;
  combined: Tensor;
}

// Right masks, wrong combination: OR lets through future real tokens and past padding.
export function attentionMasks(lengths: number[], seqLen: number): AttentionMasks {
  const causal = torch.tril(torch.ones(seqLen, seqLen)).int();
  const padding = torch.arange(seqLen).unsqueeze(0).lt(torch.tensor(lengths).unsqueeze(1)).unsqueeze(1).int();
  return { causal, padding, combined: causal.logicalOr(padding) };
}
