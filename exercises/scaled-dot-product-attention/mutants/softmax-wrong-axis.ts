import { torch, F, type Tensor } from "@tfm/kit";

// Normalises over the queries (axis -2) instead of the keys.
export function scaledDotProductAttention(Q: Tensor, K: Tensor, V: Tensor, mask: Tensor | null): [Tensor, Tensor] {
  const dK = Q.size(-1);
  let scores = torch.matmul(Q, K.transpose(-2, -1)).div(Math.sqrt(dK));
  if (mask !== null) scores = scores.maskedFill(mask.eq(0), -1e9);
  const weights = F.softmax(scores, -2);
  return [torch.matmul(weights, V), weights];
}
