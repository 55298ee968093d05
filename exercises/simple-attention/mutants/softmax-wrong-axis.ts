import { torch, F, type Tensor } from "@tfm/kit";

// Normalises over the queries (axis -2) instead of over the keys.
export function simpleAttention(Q: Tensor, K: Tensor, V: Tensor): [Tensor, Tensor] {
  const scores = torch.matmul(Q, K.transpose(-2, -1));
  const weights = F.softmax(scores, -2);
  return [torch.matmul(weights, V), weights];
}
