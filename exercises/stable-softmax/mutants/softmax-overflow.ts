import { torch, type Tensor } from "@tfm/kit";

// The chapter's unstable softmax: exp(1e4) = Inf gives Inf/Inf = NaN, exp(-1e4) = 0 gives 0/0.
export function stableSoftmax(x: Tensor, dim: number): Tensor {
  return torch.exp(x).div(torch.sum(torch.exp(x), dim, true));
}
