import { torch, type Tensor } from "@tfm/kit";

// Keeps where u < p: a fraction p survives instead of 1 - p.
export function dropout(x: Tensor, p: number, training: boolean, seed: number): Tensor {
  if (!training) return x;
  const generator = new torch.Generator().manualSeed(seed);
  const keep = torch.rand(x.shape, { generator }).lt(p);
  return x.mul(keep.float()).div(1 - p);
}
