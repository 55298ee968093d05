import { type WireTensor, type WireValue, isWireTensor } from "@tfm/contract";
import { broadcastAt } from "./tensors.ts";

/**
 * Attention computed on the host in float64, for invariants that must judge a student's result
 * (or a student's mask) without a reference call: chunked attention against full attention,
 * masks used in attention and perturbed. 3-D tensors only: Q [B, T_q, d_k], K [B, T_k, d_k],
 * V [B, T_k, d_v]; a mask broadcastable to [B, T_q, T_k] where 0 hides a key.
 */
export interface HostAttentionOptions {
  /** Divide the scores by sqrt(d_k). */
  scale: boolean;
  mask?: WireTensor | null;
  /** Value written into hidden positions (the chapter's -1e9). */
  fill?: number;
}

export interface HostAttention {
  shape: [number, number, number];
  output: Float64Array;
  weights: Float64Array;
}

function dims3(t: WireTensor, what: string): [number, number, number] {
  const s = t.$tensor.shape;
  if (s.length !== 3) throw new Error(`hostAttention: ${what} must be 3-D, got [${s.join(", ")}]`);
  return [s[0] ?? 0, s[1] ?? 0, s[2] ?? 0];
}

export function hostAttention(q: WireTensor, k: WireTensor, v: WireTensor, opts: HostAttentionOptions): HostAttention {
  const [b, tq, dk] = dims3(q, "Q");
  const [, tk] = dims3(k, "K");
  const [, , dv] = dims3(v, "V");
  const Q = q.$tensor.data;
  const K = k.$tensor.data;
  const V = v.$tensor.data;
  const mask = opts.mask ?? null;
  const fill = opts.fill ?? -1e9;
  const scale = opts.scale ? 1 / Math.sqrt(dk) : 1;
  const output = new Float64Array(b * tq * dv);
  const weights = new Float64Array(b * tq * tk);
  const row = new Float64Array(tk);
  for (let n = 0; n < b; n++) {
    for (let i = 0; i < tq; i++) {
      let max = -Infinity;
      for (let j = 0; j < tk; j++) {
        let s = 0;
        for (let p = 0; p < dk; p++) s += (Q[(n * tq + i) * dk + p] as number) * (K[(n * tk + j) * dk + p] as number);
        s *= scale;
        if (mask !== null && broadcastAt(mask, [n, i, j]) === 0) s = fill;
        row[j] = s;
        if (s > max) max = s;
      }
      let sum = 0;
      for (let j = 0; j < tk; j++) {
        const e = Math.exp((row[j] as number) - max);
        row[j] = e;
        sum += e;
      }
      for (let j = 0; j < tk; j++) {
        const w = (row[j] as number) / sum;
        weights[(n * tq + i) * tk + j] = w;
        for (let p = 0; p < dv; p++) output[(n * tq + i) * dv + p] = (output[(n * tq + i) * dv + p] as number) + w * (V[(n * tk + j) * dv + p] as number);
      }
    }
  }
  return { shape: [b, tq, dv], output, weights };
}

/** First element where `actual` (a wire tensor) differs from `expected` beyond |a-e| <= atol + rtol|e|, or null. */
export function firstDifference(
  expected: ArrayLike<number>,
  actual: WireTensor,
  atol: number,
  rtol: number,
): { index: number; expected: number; actual: number } | null {
  const a = actual.$tensor.data;
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i] as number;
    const g = a[i] as number;
    if (!(Math.abs(g - e) <= atol + rtol * Math.abs(e))) return { index: i, expected: e, actual: g };
  }
  return null;
}

export function sameShape(t: WireValue | undefined, shape: readonly number[]): t is WireTensor {
  if (!isWireTensor(t)) return false;
  const s = t.$tensor.shape;
  return s.length === shape.length && s.every((d, i) => d === shape[i]);
}
