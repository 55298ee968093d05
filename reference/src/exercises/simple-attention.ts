import type { WireValue } from "@tfm/contract";
import { defineReference } from "@tfm/spec";
import { type AttentionOptions, CORRECT_ATTENTION, attentionTf } from "../attention.ts";
import { tf } from "../backend.ts";
import { compute, toTf } from "../wire-tf.ts";

/** The chapter's exercise 2: softmax(Q K^T) V, no scaling and no mask. */
const SIMPLE: AttentionOptions = { ...CORRECT_ATTENTION, scale: false };

const run = (opts: AttentionOptions) => (args: readonly WireValue[]) =>
  compute(() => attentionTf(toTf(args[0]), toTf(args[1]), toTf(args[2]), null, opts));

/** K Q^T: only defined (as the mistake computes it) when T_q = T_k. */
function qkSwapped(args: readonly WireValue[]): Promise<WireValue> {
  return compute(() => {
    const q = toTf(args[0]);
    const k = toTf(args[1]);
    const v = toTf(args[2]);
    const tq = q.shape[q.rank - 2];
    const tk = k.shape[k.rank - 2];
    if (tq !== tk) return [];
    const weights = tf.softmax(tf.matMul(k, q, false, true), -1);
    return [tf.matMul(weights, v), weights];
  });
}

/** The weights multiplied into K instead of V. */
function weightsTimesK(args: readonly WireValue[]): Promise<WireValue> {
  return compute(() => {
    const k = toTf(args[1]);
    const [, weights] = attentionTf(toTf(args[0]), k, toTf(args[2]), null, SIMPLE);
    return [tf.matMul(weights, k), weights];
  });
}

export default defineReference({
  expected: run(SIMPLE),
  variants: {
    "unexpected-scale": run({ ...SIMPLE, scale: true }),
    "softmax-overflow": run({ ...SIMPLE, stable: false }),
    "softmax-wrong-axis": run({ ...SIMPLE, softmaxAxis: -2 }),
    "qk-swapped": qkSwapped,
    "weights-wrong-operand": weightsTimesK,
  },
});
