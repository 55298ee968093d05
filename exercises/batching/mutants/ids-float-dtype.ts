import { torch, type Tensor } from "@tfm/kit";

// torch.tensor(rows) without a dtype gives float32 ids.
export function padBatch(sequences: number[][], padId: number): { ids: Tensor; mask: Tensor } {
  const T = Math.max(0, ...sequences.map((s) => s.length));
  const rows = sequences.map((s) => s.concat(new Array<number>(T - s.length).fill(padId)));
  const ids = torch.tensor(rows);
  const lengths = torch.tensor(sequences.map((s) => s.length), { dtype: torch.int32 }).unsqueeze(1);
  const mask = torch.arange(T).unsqueeze(0).lt(lengths).int();
  return { ids, mask };
}
