import { tf } from "./backend.ts";

export interface AttentionOptions {
  /** Divide scores by sqrt(d_k) (false: the missing-scaling mistake, or simple attention). */
  scale: boolean;
  /** Which mask entries are hidden: 0s (correct) or 1s (the inverted-mask mistake). */
  maskHides: 0 | 1;
  /** Value written into hidden positions before the softmax. */
  fill: number;
  /** Axis the softmax normalises over (-1 correct, -2 the wrong-axis mistake). */
  softmaxAxis: -1 | -2;
  /**
   * How the mask is applied: filled into the scores before the softmax (correct), the hidden
   * weights zeroed after it (rows no longer sum to 1), or the scores multiplied by the mask (a hidden
   * score becomes 0 and still gets weight exp(0)).
   */
  maskMode?: "fill" | "after-softmax" | "multiplied";
  /** false: exp(x) / sum exp(x) without subtracting the row maximum (overflows to Inf/Inf = NaN). */
  stable?: boolean;
}

export const CORRECT_ATTENTION: AttentionOptions = { scale: true, maskHides: 0, fill: -1e9, softmaxAxis: -1, maskMode: "fill", stable: true };

/** exp(x) / sum exp(x) in float32 without the max subtraction: the overflow the stable form avoids. */
function unstableSoftmaxAlong(x: tf.Tensor, axis: number): tf.Tensor {
  const e = tf.exp(x);
  return tf.div(e, tf.sum(e, axis, true));
}

export function softmaxAlong(x: tf.Tensor, axis: number): tf.Tensor {
  const max = tf.max(x, axis, true);
  const e = tf.exp(tf.sub(x, max));
  return tf.div(e, tf.sum(e, axis, true));
}

/** softmax(Q K^T / sqrt(d_k) with masked positions filled) V, with TensorFlow.js ops only. */
export function attentionTf(
  q: tf.Tensor,
  k: tf.Tensor,
  v: tf.Tensor,
  mask: tf.Tensor | null,
  opts: AttentionOptions = CORRECT_ATTENTION,
): [tf.Tensor, tf.Tensor] {
  const dK = q.shape[q.rank - 1] ?? 1;
  let scores = tf.matMul(q, k, false, true);
  if (opts.scale) scores = tf.div(scores, tf.sqrt(tf.scalar(dK, "float32")));
  const mode = opts.maskMode ?? "fill";
  const hidden = mask === null ? null : tf.broadcastTo(tf.equal(mask, tf.scalar(opts.maskHides, mask.dtype)), scores.shape);
  if (hidden !== null && mode === "fill") scores = tf.where(hidden, tf.fill(scores.shape, opts.fill), scores);
  if (hidden !== null && mode === "multiplied") scores = tf.where(hidden, tf.zerosLike(scores), scores);
  const axis = opts.softmaxAxis === -1 ? scores.rank - 1 : scores.rank - 2;
  let weights = opts.stable === false ? unstableSoftmaxAlong(scores, axis) : opts.softmaxAxis === -1 ? tf.softmax(scores, -1) : softmaxAlong(scores, axis);
  if (hidden !== null && mode === "after-softmax") weights = tf.where(hidden, tf.zerosLike(weights), weights);
  return [tf.matMul(weights, v), weights];
}
