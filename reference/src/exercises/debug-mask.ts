import type { WireValue } from "@tfm/contract";
import { defineReference } from "@tfm/spec";
import { type AttentionOptions, CORRECT_ATTENTION, attentionTf } from "../attention.ts";
import { tf } from "../backend.ts";
import { compute, toTf } from "../wire-tf.ts";

const run = (opts: AttentionOptions) => (args: readonly WireValue[]): Promise<WireValue> =>
  compute(() => attentionTf(toTf(args[0]), toTf(args[1]), toTf(args[2]), toTf(args[3]), opts));

function scaledScores(q: tf.Tensor, k: tf.Tensor): tf.Tensor {
  return tf.div(tf.matMul(q, k, false, true), Math.sqrt(q.shape[q.rank - 1] ?? 1));
}

/** The mask as float32 0/1 broadcast to the scores' shape, whatever dtype it came in. */
function keepMask(mask: tf.Tensor, shape: number[]): tf.Tensor {
  return tf.broadcastTo(tf.cast(tf.notEqual(mask, tf.zerosLike(mask)), "float32"), shape);
}

/** softmax over all keys first, then the hidden weights set to 0 (rows no longer sum to 1). */
function maskAfterSoftmax(args: readonly WireValue[]): Promise<WireValue> {
  return compute(() => {
    const [q, k, v, mask] = [toTf(args[0]), toTf(args[1]), toTf(args[2]), toTf(args[3])];
    const scores = scaledScores(q, k);
    const weights = tf.mul(tf.softmax(scores, -1), keepMask(mask, scores.shape));
    return [tf.matMul(weights, v), weights];
  });
}

/** scores * mask: a hidden score becomes 0 and still gets weight exp(0). */
function maskMultiplied(args: readonly WireValue[]): Promise<WireValue> {
  return compute(() => {
    const [q, k, v, mask] = [toTf(args[0]), toTf(args[1]), toTf(args[2]), toTf(args[3])];
    const scores = scaledScores(q, k);
    const weights = tf.softmax(tf.mul(scores, keepMask(mask, scores.shape)), -1);
    return [tf.matMul(weights, v), weights];
  });
}

export default defineReference({
  expected: run(CORRECT_ATTENTION),
  variants: {
    "mask-inverted": run({ ...CORRECT_ATTENTION, maskHides: 1 }),
    "fully-masked-nan": run({ ...CORRECT_ATTENTION, fill: -Infinity }),
    "mask-after-softmax": maskAfterSoftmax,
    "mask-multiplied": maskMultiplied,
    "missing-scale": run({ ...CORRECT_ATTENTION, scale: false }),
    "softmax-wrong-axis": run({ ...CORRECT_ATTENTION, softmaxAxis: -2 }),
    "softmax-overflow": run({ ...CORRECT_ATTENTION, stable: false }),
  },
});
