import { torch, type Tensor } from "@tfm/kit";

export function dropout(x: Tensor, p: number, training: boolean, seed: number): Tensor {
  if (!training) return x;
  const generator = new torch.Generator().manualSeed(seed);
  const u = torch.rand(x.shape, { generator });
  // Inverted dropout: keep with probability 1 - p and scale up now, so evaluation needs nothing.
  const keep = u.ge(p);
  return torch.where(keep, x.div(1 - p), 0);
}
