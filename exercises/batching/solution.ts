import { torch, type Tensor } from "@tfm/kit";

export function padBatch(sequences: number[][], padId: number): { ids: Tensor; mask: Tensor } {
  const T = Math.max(0, ...sequences.map((s) => s.length));
  const rows = sequences.map((s) => s.concat(new Array<number>(T - s.length).fill(padId)));
  const ids = torch.tensor(rows, { dtype: torch.int32 });
  // Position j of row b is real when j < length_b: (1, T) against (B, 1) broadcasts to (B, T).
  // Built from the lengths, not from ids != padId, because a real token may equal padId.
  const lengths = torch.tensor(sequences.map((s) => s.length), { dtype: torch.int32 }).unsqueeze(1);
  const mask = torch.arange(T).unsqueeze(0).lt(lengths).int();
  return { ids, mask };
}
