import { torch, F, type Tensor } from "@tfm/kit";

// Forgets to divide by sqrt(d_k).
export function scaledDotProductAttention(Q: Tensor, K: Tensor, V: Tensor, mask: Tensor | null): [Tensor, Tensor] {
  let scores = torch.matmul(Q, K.transpose(-2, -1));
  if (mask !== null) scores = scores.maskedFill(mask.eq(0), -1e9);
  const weights = F.softmax(scores, -1);
  return [torch.matmul(weights, V), weights];
}
