import { torch, type Tensor } from "@tfm/kit";

export interface AttentionMasks {
  causal: Tensor;
  padding: Tensor;
  combined: Tensor;
}

// triu instead of tril: each query sees itself and the future, never the past.
export function attentionMasks(lengths: number[], seqLen: number): AttentionMasks {
  const causal = torch.triu(torch.ones(seqLen, seqLen)).bool();
  const padding = torch.arange(seqLen).unsqueeze(0).lt(torch.tensor(lengths).unsqueeze(1)).unsqueeze(1);
  return { causal, padding, combined: causal.logicalAnd(padding) };
}
