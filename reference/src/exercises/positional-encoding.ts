import type { WireValue } from "@tfm/contract";
import { defineReference } from "@tfm/spec";
import { tf } from "../backend.ts";
import { compute, toTf } from "../wire-tf.ts";

type Mistake = "none" | "pe-sin-cos-swapped" | "pe-wrong-exponent" | "pe-odd-d-model";

/** PE for positions 0..T-1 and d dims; `mistake` reproduces a known wrong version. */
function encoding(t: number, d: number, mistake: Mistake): tf.Tensor {
  const pos = tf.reshape(tf.range(0, t, 1, "float32"), [t, 1]);
  // The odd-d mistake cuts the interleaved table of ceil(d/2) pairs at the front: column j shows j + 1.
  const shift = mistake === "pe-odd-d-model" && d % 2 === 1 ? 1 : 0;
  const j = tf.range(shift, d + shift, 1, "float32");
  // Correct: dimension j uses exponent 2*floor(j/2)/d; the wrong-exponent mistake uses j/d.
  const pairIndex = mistake === "pe-wrong-exponent" ? j : tf.mul(tf.floor(tf.div(j, 2)), 2);
  const freq = tf.exp(tf.mul(pairIndex, -Math.log(10000) / d));
  const angles = tf.mul(pos, tf.reshape(freq, [1, d]));
  const even = tf.reshape(tf.equal(tf.mod(tf.range(shift, d + shift, 1, "int32"), 2), 0), [1, d]);
  const evenFn = mistake === "pe-sin-cos-swapped" ? tf.cos : tf.sin;
  const oddFn = mistake === "pe-sin-cos-swapped" ? tf.sin : tf.cos;
  return tf.where(tf.broadcastTo(even, [t, d]), evenFn(angles), oddFn(angles));
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
    "pe-wrong-exponent": (args) => run(args, "pe-wrong-exponent"),
    "pe-odd-d-model": (args) => run(args, "pe-odd-d-model"),
  },
});
