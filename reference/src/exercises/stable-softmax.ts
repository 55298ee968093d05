import type { WireValue } from "@tfm/contract";
import { defineReference } from "@tfm/spec";
import { softmaxAlong } from "../attention.ts";
import { tf } from "../backend.ts";
import { compute, intArg, toTf } from "../wire-tf.ts";

function axisOf(args: readonly WireValue[], rank: number): number {
  const dim = intArg(args[1], "dim");
  return dim < 0 ? dim + rank : dim;
}

/** NumPy broadcasting of two shapes, or null when they do not broadcast. */
function broadcastShape(a: readonly number[], b: readonly number[]): number[] | null {
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = a[a.length - n + i] ?? 1;
    const y = b[b.length - n + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) return null;
    out.push(Math.max(x, y));
  }
  return out;
}

const expected = (args: readonly WireValue[]): Promise<WireValue> =>
  compute(() => {
    const x = toTf(args[0]);
    return softmaxAlong(x, axisOf(args, x.rank));
  });

export default defineReference({
  expected,
  variants: {
    // exp(x) / sum(exp(x)) straight from the definition.
    "softmax-overflow": (args) =>
      compute(() => {
        const x = toTf(args[0]);
        const e = tf.exp(x);
        return tf.div(e, tf.sum(e, axisOf(args, x.rank), true));
      }),
    // One maximum for the whole tensor.
    "softmax-global-max": (args) =>
      compute(() => {
        const x = toTf(args[0]);
        const e = tf.exp(tf.sub(x, tf.max(x)));
        return tf.div(e, tf.sum(e, axisOf(args, x.rank), true));
      }),
    // The last axis, whatever dim says.
    "softmax-wrong-dim": (args) =>
      compute(() => {
        const x = toTf(args[0]);
        return softmaxAlong(x, x.rank - 1);
      }),
    // amax and sum without keepdim, broadcast from the right; nothing to match where that throws.
    "reduction-missing-keepdim": (args) => {
      const x0 = toTf(args[0]);
      const shape = [...x0.shape];
      x0.dispose();
      const axis = axisOf(args, shape.length);
      const reduced = shape.filter((_, i) => i !== axis);
      if (broadcastShape(shape, reduced) === null) return null;
      return compute(() => {
        const x = toTf(args[0]);
        const e = tf.exp(tf.sub(x, tf.max(x, axis, false)));
        return tf.div(e, tf.sum(e, axis, false));
      });
    },
  },
});
