import { torch, F, type Tensor } from "@tfm/kit";

// A partial fix: the masked weights are zeroed after the softmax, so the rows no longer sum to 1.
export function maskedAttention(Q: Tensor, K: Tensor, V: Tensor, mask: Tensor): [Tensor, Tensor] {
  const dK = Q.size(-1);
  const scores = torch.matmul(Q, K.transpose(-2, -1)).div(Math.sqrt(dK));
  const weights = F.softmax(scores, -1).maskedFill(mask.eq(0), 0);
  return [torch.matmul(weights, V), weights];
}
