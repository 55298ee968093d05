import { torch, F, type Tensor } from "@tfm/kit";

// A partial fix: the direction is right, but -Infinity turns a row with no visible key into NaN.
export function maskedAttention(Q: Tensor, K: Tensor, V: Tensor, mask: Tensor): [Tensor, Tensor] {
  const dK = Q.size(-1);
  let scores = torch.matmul(Q, K.transpose(-2, -1)).div(Math.sqrt(dK));
  scores = scores.maskedFill(mask.eq(0), -Infinity);
  const weights = F.softmax(scores, -1);
  return [torch.matmul(weights, V), weights];
}
