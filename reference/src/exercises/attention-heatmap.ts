import { type WireValue, isWireTensor } from "@tfm/contract";
import { defineReference } from "@tfm/spec";

/**
 * Plain TypeScript (no tensors needed): the heatmap SVG as this course draws it, and the known
 * wrong drawings. The grader judges a student's SVG by reading it (compare in spec.ts), not by
 * string equality, so these serve as the reference picture and as fixtures for that reader.
 */
type Mistake =
  | "none"
  | "heatmap-axes-swapped"
  | "heatmap-labels-missing"
  | "heatmap-colour-inverted"
  | "heatmap-colour-not-monotonic"
  | "heatmap-one-cell-per-row";

const CELL = 36;
const LEFT = 64;
const TOP = 48;

function escapeXml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

function colour(w: number, mistake: Mistake): string {
  const x = Math.min(1, Math.max(0, w));
  if (mistake === "heatmap-colour-not-monotonic") return `hsl(${Math.round(240 * (1 - x))}, 100%, 50%)`;
  const t = mistake === "heatmap-colour-inverted" ? 1 - x : x;
  // White (255, 255, 255) to dark blue (8, 48, 107), linear in sRGB: lightness falls with the weight.
  const ch = (hi: number, lo: number) => Math.round(hi + (lo - hi) * t);
  return `#${[ch(255, 8), ch(255, 48), ch(255, 107)].map((v) => v.toString(16).padStart(2, "0")).join("")}`;
}

function argsOf(args: readonly WireValue[]): { w: number[][]; q: string[]; k: string[] } {
  const t = args[0];
  const q = args[1];
  const k = args[2];
  if (!isWireTensor(t) || !Array.isArray(q) || !Array.isArray(k)) throw new Error("reference: arguments must be (weights, queryTokens, keyTokens)");
  const [tq, tk] = t.$tensor.shape as [number, number];
  const w = Array.from({ length: tq }, (_, i) => Array.from({ length: tk }, (_, j) => t.$tensor.data[i * tk + j] as number));
  return { w, q: q.map(String), k: k.map(String) };
}

export function heatmap(args: readonly WireValue[], mistake: Mistake): string {
  const { w, q, k } = argsOf(args);
  const swapped = mistake === "heatmap-axes-swapped";
  // What goes down the side and along the top.
  const rows = swapped ? k : q;
  const cols = swapped ? q : k;
  const at = (r: number, c: number): number => (swapped ? (w[c] as number[])[r] : (w[r] as number[])[c]) as number;
  const width = LEFT + cols.length * CELL + 8;
  const height = TOP + rows.length * CELL + 8;
  const out: string[] = [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="13">`,
    `  <rect x="0" y="0" width="${width}" height="${height}" fill="white"/>`,
    `  <g transform="translate(${LEFT}, ${TOP})">`,
  ];
  rows.forEach((_, r) => {
    if (mistake === "heatmap-one-cell-per-row") {
      const mean = cols.reduce((s, _c, c) => s + at(r, c), 0) / cols.length;
      out.push(`    <rect class="cell" x="0" y="${r * CELL}" width="${cols.length * CELL}" height="${CELL}" fill="${colour(mean, mistake)}"/>`);
      return;
    }
    cols.forEach((_c, c) => {
      const v = at(r, c);
      out.push(`    <rect class="cell" x="${c * CELL}" y="${r * CELL}" width="${CELL}" height="${CELL}" fill="${colour(v, mistake)}"><title>${v.toFixed(3)}</title></rect>`);
    });
  });
  rows.forEach((tok, r) => out.push(`    <text x="-6" y="${r * CELL + CELL / 2}" text-anchor="end" dominant-baseline="central">${escapeXml(tok)}</text>`));
  if (mistake !== "heatmap-labels-missing") {
    cols.forEach((tok, c) => out.push(`    <text x="${c * CELL + CELL / 2}" y="-8" text-anchor="middle">${escapeXml(tok)}</text>`));
  }
  out.push("  </g>", `  <text x="${LEFT}" y="16">Key</text>`, `  <text x="4" y="${TOP - 8}">Query</text>`, "</svg>");
  return out.join("\n");
}

export default defineReference({
  expected: (args) => heatmap(args, "none"),
  variants: {
    "heatmap-axes-swapped": (args) => heatmap(args, "heatmap-axes-swapped"),
    "heatmap-labels-missing": (args) => heatmap(args, "heatmap-labels-missing"),
    "heatmap-colour-inverted": (args) => heatmap(args, "heatmap-colour-inverted"),
    "heatmap-colour-not-monotonic": (args) => heatmap(args, "heatmap-colour-not-monotonic"),
    "heatmap-one-cell-per-row": (args) => heatmap(args, "heatmap-one-cell-per-row"),
  },
});
