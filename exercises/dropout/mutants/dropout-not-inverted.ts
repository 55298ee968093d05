import { torch, type Tensor } from "@tfm/kit";

// Drops but forgets to scale the survivors: the expectation shrinks to (1 - p) x.
export function dropout(x: Tensor, p: number, training: boolean, seed: number): Tensor {
  if (!training) return x;
  const generator = new torch.Generator().manualSeed(seed);
  const keep = torch.rand(x.shape, { generator }).ge(p);
  return x.mul(keep.float());
}
