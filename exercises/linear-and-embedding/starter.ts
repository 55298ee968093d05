import { torch, type Tensor } from "@tfm/kit";

/** x: (..., in), weight: (out, in), bias: (out) or null  ->  x Wᵀ + b: (..., out) */
export function linear(x: Tensor, weight: Tensor, bias: Tensor | null): Tensor {
  // F.linear and nn.Linear are withheld here: write it with torch.matmul, transpose and add.
  void torch;
  void weight;
  void bias;
  return x;
}

/** ids: int32 (any shape), table: (numEmbeddings, dim)  ->  (...ids.shape, dim); the paddingIdx rows are zero */
export function embedding(ids: Tensor, table: Tensor, paddingIdx: number | null): Tensor {
  // F.embedding and nn.Embedding are withheld: look the rows up yourself (indexSelect, reshape).
  void ids;
  void paddingIdx;
  return table;
}

/** The grader calls this one; keep it as it is. */
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
