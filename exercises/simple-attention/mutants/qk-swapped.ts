// expect-verdict: runtime_error
import { torch, F, type Tensor } from "@tfm/kit";

// Fills the first blank the other way round: K Q^T. Square cases give wrong numbers; when
// T_q != T_k the final matmul cannot even line up its shapes.
export function simpleAttention(Q: Tensor, K: Tensor, V: Tensor): [Tensor, Tensor] {
  const scores = torch.matmul(K, Q.transpose(-2, -1));
  const weights = F.softmax(scores, -1);
  return [torch.matmul(weights, V), weights];
}
