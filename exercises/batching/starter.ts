import { torch, type Tensor } from "@tfm/kit";

/**
 * sequences: B token-id sequences of different lengths (some may be empty); padId: the padding id.
 * returns ids: int32 [B, T] with T = the longest length, each row right-padded with padId;
 *         mask: [B, T], 1 on real tokens and 0 on padding.
 */
export function padBatch(sequences: number[][], padId: number): { ids: Tensor; mask: Tensor } {
  const B = sequences.length;
  const T = Math.max(0, ...sequences.map((s) => s.length));
  // 1. put the tokens of sequences[b] at the start of row b (the rest stays padId)
  // 2. mask[b, j] = 1 if j < sequences[b].length else 0
  const ids = torch.full([B, T], padId, { dtype: torch.int32 });
  const mask = torch.zeros([B, T], { dtype: torch.int32 });
  return { ids, mask };
}
