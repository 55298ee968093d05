/**
 * The grader's linearAndEmbedding (the starter's "keep it as it is" function): the grader bundles
 * THIS file as the module it calls and imports the student's linear and embedding, so the
 * student's own copy of linearAndEmbedding is never called.
 */
import type { Tensor } from "@tfm/kit";
import * as student from "./starter.ts";

export function linearAndEmbedding(
  x: Tensor,
  weight: Tensor,
  bias: Tensor | null,
  ids: Tensor,
  table: Tensor,
  paddingIdx: number | null,
): [Tensor, Tensor] {
  return [student.linear(x, weight, bias), student.embedding(ids, table, paddingIdx)];
}
