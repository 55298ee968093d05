import { torch, F, type Tensor } from "@tfm/kit";

// Fills the last blank with K instead of V.
export function simpleAttention(Q: Tensor, K: Tensor, V: Tensor): [Tensor, Tensor] {
  const scores = torch.matmul(Q, K.transpose(-2, -1));
  const weights = F.softmax(scores, -1);
  void V;
  return [torch.matmul(weights, K), weights];
}
