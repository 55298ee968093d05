import { torch, F, type Tensor } from "@tfm/kit";

export function simpleAttention(Q: Tensor, K: Tensor, V: Tensor): [Tensor, Tensor] {
  const scores = torch.matmul(Q, K.transpose(-2, -1));
  const weights = F.softmax(scores, -1);
  const output = torch.matmul(weights, V);
  return [output, weights];
}
