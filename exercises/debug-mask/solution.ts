import { torch, F, type Tensor } from "@tfm/kit";

export function maskedAttention(Q: Tensor, K: Tensor, V: Tensor, mask: Tensor): [Tensor, Tensor] {
  const dK = Q.size(-1);
  let scores = torch.matmul(Q, K.transpose(-2, -1)).div(Math.sqrt(dK));
  // Hide what the mask marks 0. A large finite value keeps a fully masked row uniform (no NaN).
  scores = scores.maskedFill(mask.eq(0), -1e9);
  const weights = F.softmax(scores, -1);
  return [torch.matmul(weights, V), weights];
}
