import { type Tensor } from "@tfm/kit";

const CELL = 40;
const LEFT = 60; // room for the query labels
const TOP = 40; // room for the key labels

function escapeXml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** White for weight 0, blue for weight 1: the lightness falls steadily as the weight grows. */
function colour(w: number): string {
  const v = Math.round(255 * (1 - Math.min(1, Math.max(0, w))));
  return `rgb(${v}, ${v}, 255)`;
}

// One wide bar per query, coloured by the row's largest weight.
export function heatmapSvg(weights: Tensor, queryTokens: string[], keyTokens: string[]): string {
  const tq = weights.size(0);
  const tk = weights.size(1);
  const width = LEFT + tk * CELL + 10;
  const height = TOP + tq * CELL + 10;
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="14">`);
  for (let i = 0; i < tq; i++) {
    let w = 0;
    for (let j = 0; j < tk; j++) w = Math.max(w, weights.get(i, j));
    parts.push(`<rect class="cell" x="${LEFT}" y="${TOP + i * CELL}" width="${tk * CELL}" height="${CELL}" fill="${colour(w)}"></rect>`);
  }
  queryTokens.forEach((tok, i) => {
    parts.push(`<text x="${LEFT - 8}" y="${TOP + i * CELL + CELL / 2}" text-anchor="end" dominant-baseline="middle">${escapeXml(tok)}</text>`);
  });
  keyTokens.forEach((tok, j) => {
    parts.push(`<text x="${LEFT + j * CELL + CELL / 2}" y="${TOP - 8}" text-anchor="middle">${escapeXml(tok)}</text>`);
  });
  parts.push("</svg>");
  return parts.join("\n");
}
