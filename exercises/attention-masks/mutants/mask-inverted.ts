import { torch, type Tensor } from "@tfm/kit";

export interface AttentionMasks {
  causal: Tensor;
  padding: Tensor;
  combined: Tensor;
}

// The chapter's first pitfall in mask form: every mask marks the positions to HIDE (the convention
// of PyTorch's nn.MultiheadAttention attn_mask), the opposite of this exercise's 1 = may attend.
export function attentionMasks(lengths: number[], seqLen: number): AttentionMasks {
  const causal = torch.triu(torch.ones(seqLen, seqLen), 1).bool();
  const padding = torch.arange(seqLen).unsqueeze(0).ge(torch.tensor(lengths).unsqueeze(1)).unsqueeze(1);
  const combined = causal.logicalOr(padding);
  return { causal, padding, combined };
}
