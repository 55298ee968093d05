import { torch, type Tensor } from "@tfm/kit";

export interface AttentionMasks {
  causal: Tensor;   // (T, T): 1 where query i may see key j (j <= i)
  padding: Tensor;  // (B, 1, T): 1 where key j is a real token (j < lengths[b])
  combined: Tensor; // (B, T, T): 1 where both allow it
}

export function attentionMasks(lengths: number[], seqLen: number): AttentionMasks {
  const B = lengths.length;
  // Masks use 1 = may attend, 0 = must not. Any of bool, int32 or float32 0/1 is fine.
  const causal = torch.ones(seqLen, seqLen);
  const padding = torch.ones(B, 1, seqLen);
  const combined = torch.ones(B, seqLen, seqLen);
  return { causal, padding, combined };
}
