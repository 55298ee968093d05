import { torch, type Tensor } from "@tfm/kit";

export interface AttentionMasks {
  causal: Tensor;   // (T, T)
  padding: Tensor;  // (B, 1, T)
  combined: Tensor; // (B, T, T)
}

export function attentionMasks(lengths: number[], seqLen: number): AttentionMasks {
  // Query i may see key j when j <= i: the lower triangle, diagonal included.
  const causal = torch.tril(torch.ones(seqLen, seqLen)).bool();
  // Key j of sequence b is real when j < lengths[b]; the 1 in the middle broadcasts over queries.
  const positions = torch.arange(seqLen).unsqueeze(0); // (1, T)
  const padding = positions.lt(torch.tensor(lengths).unsqueeze(1)).unsqueeze(1); // (B, 1, T)
  // A key is visible only if it is neither in the future nor padding: AND, broadcast to (B, T, T).
  const combined = causal.logicalAnd(padding);
  return { causal, padding, combined };
}
