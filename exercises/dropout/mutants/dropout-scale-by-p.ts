import { torch, type Tensor } from "@tfm/kit";

// Scales the survivors by 1/p instead of 1/(1 - p).
export function dropout(x: Tensor, p: number, training: boolean, seed: number): Tensor {
  if (!training) return x;
  const generator = new torch.Generator().manualSeed(seed);
  const keep = torch.rand(x.shape, { generator }).ge(p);
  return x.mul(keep.float()).div(p);
}
