// expect-verdict: runtime_error
// Adds the bias as a column, b[:, None]: it lands on the rows instead of the output features (and only broadcasts when a row count matches).
import { torch, type Tensor } from "@tfm/kit";

/** y = x Wᵀ + b over the last axis of x; W is (out, in) as in nn.Linear. */
export function linear(x: Tensor, weight: Tensor, bias: Tensor | null): Tensor {
  const y = torch.matmul(x, weight.transpose(0, 1));
  return bias === null ? y : y.add(bias.unsqueeze(-1));
}

/** table[ids]: one row per id, output shape ids.shape + [dim]; the padding id gives zeros. */
export function embedding(ids: Tensor, table: Tensor, paddingIdx: number | null): Tensor {
  const dim = table.size(1);
  const rows = table.indexSelect(0, ids.reshape(-1)).reshape([...ids.shape, dim]);
  if (paddingIdx === null) return rows;
  return rows.maskedFill(ids.eq(paddingIdx).unsqueeze(-1), 0);
}

export function linearAndEmbedding(
  x: Tensor,
  weight: Tensor,
  bias: Tensor | null,
  ids: Tensor,
  table: Tensor,
  paddingIdx: number | null,
): [Tensor, Tensor] {
  return [linear(x, weight, bias), embedding(ids, table, paddingIdx)];
}
