import { torch, type Tensor } from "@tfm/kit";

/**
 * x: float32, any shape; p: drop probability in [0, 1); training: false = evaluation mode;
 * seed: seeds the generator that decides which elements are dropped.
 */
export function dropout(x: Tensor, p: number, training: boolean, seed: number): Tensor {
  // 1. evaluation mode: ...
  // 2. const generator = new torch.Generator().manualSeed(seed);
  //    const u = torch.rand(x.shape, { generator });
  // 3. keep where u >= p, scale the kept values by 1 / (1 - p)
  void torch; void p; void training; void seed;
  return x;
}
