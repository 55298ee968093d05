import { torch, F, type Tensor } from "@tfm/kit";

// The original bug, the chapter's first pitfall: hides the positions marked 1.
export function maskedAttention(Q: Tensor, K: Tensor, V: Tensor, mask: Tensor): [Tensor, Tensor] {
  const dK = Q.size(-1);
  let scores = torch.matmul(Q, K.transpose(-2, -1)).div(Math.sqrt(dK));
  scores = scores.maskedFill(mask.eq(1), -1e9);
  const weights = F.softmax(scores, -1);
  return [torch.matmul(weights, V), weights];
}
