import type { WireValue } from "@tfm/contract";
import { type AttentionOptions, CORRECT_ATTENTION, attentionTf } from "./attention.ts";
import { tf } from "./backend.ts";
import { toTf } from "./wire-tf.ts";

/**
 * Multi-head self-attention with TensorFlow.js only, shared by the references of the exercises
 * that build on it (debug-shapes, encoder-block). The options reproduce the known shape mistakes.
 */

/** How (B, T, d_model) becomes (B, h, T, d_k). */
export type HeadSplit =
  | "view-transpose" // correct: view(B, T, h, d_k).transpose(1, 2)
  | "view-only"; // view(B, h, T, d_k) straight from (B, T, d_model)

/** How (B, h, T, d_k) becomes (B, T, d_model) again. */
export type HeadMerge =
  | "transpose-view" // correct: transpose(1, 2) then view(B, T, d_model)
  | "view-only"; // view(B, T, d_model) straight from (B, h, T, d_k)

export interface MultiHeadOptions {
  split: HeadSplit;
  merge: HeadMerge;
  attention: AttentionOptions;
}

export const CORRECT_MULTI_HEAD: MultiHeadOptions = { split: "view-transpose", merge: "transpose-view", attention: CORRECT_ATTENTION };

/** The tensor under `key` of a weights object argument. */
export function weightTf(w: WireValue | undefined, key: string): tf.Tensor {
  if (w === null || w === undefined || typeof w !== "object" || Array.isArray(w)) throw new Error("reference: weights must be an object");
  return toTf((w as Record<string, WireValue>)[key]);
}

/** y = x W^T + b with W of shape (out, in), as nn.Linear, for x of any rank. */
export function linearTf(x: tf.Tensor, w: tf.Tensor, b: tf.Tensor): tf.Tensor {
  const inner = x.shape[x.rank - 1] ?? 0;
  const out = w.shape[0] ?? 0;
  const flat = tf.matMul(tf.reshape(x, [-1, inner]), w, false, true);
  return tf.add(tf.reshape(flat, [...x.shape.slice(0, -1), out]), b);
}

/**
 * Self-attention of x (B, T, d_model) with weights {Wq, bq, Wk, bk, Wv, bv, Wo, bo} and h heads.
 * Returns [output (B, T, d_model), weights (B, h, T, T)].
 */
export function multiHeadTf(
  x: tf.Tensor,
  w: WireValue | undefined,
  h: number,
  mask: tf.Tensor | null,
  opts: MultiHeadOptions = CORRECT_MULTI_HEAD,
): [tf.Tensor, tf.Tensor] {
  const [b, t, d] = x.shape as [number, number, number];
  const dk = d / h;
  const split = (y: tf.Tensor): tf.Tensor =>
    opts.split === "view-only" ? tf.reshape(y, [b, h, t, dk]) : tf.transpose(tf.reshape(y, [b, t, h, dk]), [0, 2, 1, 3]);
  const q = split(linearTf(x, weightTf(w, "Wq"), weightTf(w, "bq")));
  const k = split(linearTf(x, weightTf(w, "Wk"), weightTf(w, "bk")));
  const v = split(linearTf(x, weightTf(w, "Wv"), weightTf(w, "bv")));
  const [heads, weights] = attentionTf(q, k, v, mask, opts.attention);
  const merged = opts.merge === "view-only" ? tf.reshape(heads, [b, t, d]) : tf.reshape(tf.transpose(heads, [0, 2, 1, 3]), [b, t, d]);
  return [linearTf(merged, weightTf(w, "Wo"), weightTf(w, "bo")), weights];
}
