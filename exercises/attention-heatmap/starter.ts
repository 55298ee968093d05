import { type Tensor } from "@tfm/kit";

/**
 * weights: (T_q, T_k) attention weights of one head; queryTokens: T_q labels; keyTokens: T_k labels.
 * Returns an SVG document: one <rect class="cell"> per weight (row i = query i, column j = key j,
 * darker = larger weight), the query tokens beside the rows and the key tokens along the columns.
 */
export function heatmapSvg(weights: Tensor, queryTokens: string[], keyTokens: string[]): string {
  const tq = weights.size(0);
  const tk = weights.size(1);
  void queryTokens;
  void keyTokens;
  // TODO: one <rect class="cell"> per weights.get(i, j), then the <text> labels.
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${tk * 40}" height="${tq * 40}"></svg>`;
}
