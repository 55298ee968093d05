import { torch, type Tensor } from "@tfm/kit";

// Reserves one column too many ("room for an end token"): T = longest + 1.
export function padBatch(sequences: number[][], padId: number): { ids: Tensor; mask: Tensor } {
  const T = Math.max(0, ...sequences.map((s) => s.length)) + 1;
  const rows = sequences.map((s) => s.concat(new Array<number>(T - s.length).fill(padId)));
  const ids = torch.tensor(rows, { dtype: torch.int32 });
  const lengths = torch.tensor(sequences.map((s) => s.length), { dtype: torch.int32 }).unsqueeze(1);
  const mask = torch.arange(T).unsqueeze(0).lt(lengths).int();
  return { ids, mask };
}
