import { torch, type Tensor } from "@tfm/kit";

// Pads at the start of each row (left padding), with a mask that follows the tokens.
export function padBatch(sequences: number[][], padId: number): { ids: Tensor; mask: Tensor } {
  const T = Math.max(0, ...sequences.map((s) => s.length));
  const rows = sequences.map((s) => new Array<number>(T - s.length).fill(padId).concat(s));
  const ids = torch.tensor(rows, { dtype: torch.int32 });
  const starts = torch.tensor(sequences.map((s) => T - s.length), { dtype: torch.int32 }).unsqueeze(1);
  const mask = torch.arange(T).unsqueeze(0).ge(starts).int();
  return { ids, mask };
}
