import type { WireValue } from "@tfm/contract";
import { defineReference } from "@tfm/spec";
import { type AttentionOptions, CORRECT_ATTENTION, attentionTf } from "../attention.ts";
import { tf } from "../backend.ts";
import { compute, toTf } from "../wire-tf.ts";

type Mistake = "none" | "linear-weight-not-transposed" | "missing-scale" | "kv-projection-reused" | "linear-bias-missing";

function field(w: WireValue | undefined, key: string): tf.Tensor {
  if (w === null || w === undefined || typeof w !== "object" || Array.isArray(w)) throw new Error("reference: weights must be an object");
  return toTf((w as Record<string, WireValue>)[key]);
}

/** nn.Linear: y = x W^T + b with W of shape (out, in); the mistakes drop the transpose or the bias. */
function linear(x: tf.Tensor, w: tf.Tensor, b: tf.Tensor, mistake: Mistake): tf.Tensor {
  const [bs, t, d] = x.shape as [number, number, number];
  const flat = tf.reshape(x, [bs * t, d]);
  const y = tf.matMul(flat, w, false, mistake !== "linear-weight-not-transposed");
  const withBias = mistake === "linear-bias-missing" ? y : tf.add(y, b);
  return tf.reshape(withBias, [bs, t, w.shape[0] ?? d]);
}

function selfAttention(args: readonly WireValue[], mistake: Mistake, attention: Partial<AttentionOptions> = {}): Promise<WireValue> {
  return compute(() => {
    const x = toTf(args[0]);
    const w = args[1];
    const q = linear(x, field(w, "Wq"), field(w, "bq"), mistake);
    const k = linear(x, field(w, "Wk"), field(w, "bk"), mistake);
    const v = mistake === "kv-projection-reused" ? k : linear(x, field(w, "Wv"), field(w, "bv"), mistake);
    return attentionTf(q, k, v, null, { ...CORRECT_ATTENTION, scale: mistake !== "missing-scale", ...attention });
  });
}

export default defineReference({
  expected: (args) => selfAttention(args, "none"),
  variants: {
    "linear-weight-not-transposed": (args) => selfAttention(args, "linear-weight-not-transposed"),
    "missing-scale": (args) => selfAttention(args, "missing-scale"),
    "kv-projection-reused": (args) => selfAttention(args, "kv-projection-reused"),
    "linear-bias-missing": (args) => selfAttention(args, "linear-bias-missing"),
    "softmax-wrong-axis": (args) => selfAttention(args, "none", { softmaxAxis: -2 }),
    "softmax-overflow": (args) => selfAttention(args, "none", { stable: false }),
  },
});
