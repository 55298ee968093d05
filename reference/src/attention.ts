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
}

export const CORRECT_ATTENTION: AttentionOptions = { scale: true, maskHides: 0, fill: -1e9, softmaxAxis: -1 };

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
  if (mask !== null) {
    const hidden = tf.broadcastTo(tf.equal(mask, tf.scalar(opts.maskHides, mask.dtype)), scores.shape);
    scores = tf.where(hidden, tf.fill(scores.shape, opts.fill), scores);
  }
  const weights = opts.softmaxAxis === -1 ? tf.softmax(scores, -1) : softmaxAlong(scores, scores.rank - 2);
  return [tf.matMul(weights, v), weights];
}
