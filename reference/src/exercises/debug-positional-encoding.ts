import type { WireValue } from "@tfm/contract";
import { defineReference } from "@tfm/spec";
import { tf } from "../backend.ts";
import { compute, toTf } from "../wire-tf.ts";

type Mistake = "none" | "pe-sin-cos-swapped" | "pe-half-fixed" | "pe-wrong-exponent" | "pe-odd-d-model";

/** Which column of the correct table column j shows, its exponent numerator, and sin or cos. */
interface Column {
  exponent: number;
  sin: boolean;
}

function column(j: number, d: number, mistake: Mistake): Column {
  const pair = 2 * Math.floor(j / 2);
  const even = j % 2 === 0;
  switch (mistake) {
    case "none":
      return { exponent: pair, sin: even };
    case "pe-sin-cos-swapped":
      return { exponent: pair, sin: !even };
    case "pe-half-fixed":
      return { exponent: pair, sin: true };
    case "pe-wrong-exponent":
      return { exponent: j, sin: even };
    case "pe-odd-d-model": {
      // Right for even d; for odd d the table of ceil(d/2) pairs loses its first column instead of its last.
      const c = d % 2 === 1 ? j + 1 : j;
      return { exponent: 2 * Math.floor(c / 2), sin: c % 2 === 0 };
    }
  }
}

/** PE for positions 0..T-1: angle = pos / 10000^(exponent / d) per column, then sin or cos. */
function encoding(t: number, d: number, mistake: Mistake): tf.Tensor {
  const cols = Array.from({ length: d }, (_, j) => column(j, d, mistake));
  const freq = tf.exp(tf.mul(tf.tensor1d(cols.map((c) => c.exponent), "float32"), -Math.log(10000) / d));
  const angles = tf.mul(tf.reshape(tf.range(0, t, 1, "float32"), [t, 1]), tf.reshape(freq, [1, d]));
  const useSin = tf.broadcastTo(tf.tensor2d([cols.map((c) => c.sin)], [1, d], "bool"), [t, d]);
  return tf.where(useSin, tf.sin(angles), tf.cos(angles));
}

function run(args: readonly WireValue[], mistake: Mistake): Promise<WireValue> {
  return compute(() => {
    const x = toTf(args[0]);
    const [, t, d] = x.shape as [number, number, number];
    return tf.add(x, encoding(t, d, mistake));
  });
}

export default defineReference({
  expected: (args) => run(args, "none"),
  variants: {
    "pe-sin-cos-swapped": (args) => run(args, "pe-sin-cos-swapped"),
    "pe-half-fixed": (args) => run(args, "pe-half-fixed"),
    "pe-wrong-exponent": (args) => run(args, "pe-wrong-exponent"),
    "pe-odd-d-model": (args) => run(args, "pe-odd-d-model"),
  },
});
