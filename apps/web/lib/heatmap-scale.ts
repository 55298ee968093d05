/**
 * Colours of the result heatmaps. Weights: white (0) to dark blue (1). Differences are scaled to the
 * exercise's tolerance, the same test the grader applies (|a - e| <= atol + rtol * |e|): everything
 * inside it is white, so float noise on correct code shows nothing; beyond it red (too high) or blue
 * (too low), deepening over two decades, full at 100 times the tolerance.
 */
export interface Tolerance {
  atol: number;
  rtol: number;
}

export const FALLBACK_TOLERANCE: Tolerance = { atol: 1e-6, rtol: 1e-5 };
export const MISSING = "#bbbbbb";

export function weightColour(v: number | null): string {
  if (v === null || !Number.isFinite(v)) return MISSING;
  const x = Math.max(0, Math.min(1, v));
  // white -> dark blue; dark enough at 1 for contrast against the white page
  const r = Math.round(255 - x * (255 - 11));
  const g = Math.round(255 - x * (255 - 48));
  const b = Math.round(255 - x * (255 - 110));
  return `rgb(${r},${g},${b})`;
}

/** How far outside the tolerance a difference is: 0 inside; 1 at 100 times the tolerance or more. */
export function excess(diff: number, expected: number, tol: Tolerance): number {
  const allowed = tol.atol + tol.rtol * Math.abs(expected);
  const ratio = allowed <= 0 ? (diff === 0 ? 0 : Infinity) : Math.abs(diff) / allowed;
  if (ratio <= 1) return 0;
  // Just past the tolerance is already visible (0.25), then logarithmic up to 100x.
  return Math.min(1, 0.25 + 0.75 * (Math.log10(ratio) / 2));
}

export function diffColour(diff: number | null, expected: number | null, tol: Tolerance): string {
  if (diff === null || expected === null || !Number.isFinite(diff)) return MISSING;
  const k = excess(diff, expected, tol);
  if (k === 0) return "rgb(255,255,255)";
  const c = Math.round(255 - k * 215);
  return diff > 0 ? `rgb(255,${c},${c})` : `rgb(${c},${c},255)`;
}
