import type { WireValue } from "@tfm/contract";
import { defineReference } from "@tfm/spec";
import { type AttentionOptions, CORRECT_ATTENTION, attentionTf } from "../attention.ts";
import { tf } from "../backend.ts";
import { compute, intArg, optionalTf, toTf } from "../wire-tf.ts";

type Mistake = "none" | "heads-not-transposed-back" | "wrong-head-split" | "scale-by-d-model";

function field(w: WireValue | undefined, key: string): tf.Tensor {
  if (w === null || w === undefined || typeof w !== "object" || Array.isArray(w)) throw new Error("reference: weights must be an object");
  return toTf((w as Record<string, WireValue>)[key]);
}

/** y = x W^T + b, as nn.Linear. */
function linear(x: tf.Tensor, w: tf.Tensor, b: tf.Tensor): tf.Tensor {
  return tf.add(tf.reshape(tf.matMul(tf.reshape(x, [-1, x.shape[x.rank - 1] ?? 0]), w, false, true), [...x.shape.slice(0, -1), w.shape[0] ?? 0]), b);
}

function mha(args: readonly WireValue[], mistake: Mistake, attention: AttentionOptions = CORRECT_ATTENTION): Promise<WireValue> {
  return compute(() => {
    const x = toTf(args[0]);
    const w = args[1];
    const h = intArg(args[2], "numHeads");
    const mask = optionalTf(args[3]);
    const [b, t, d] = x.shape as [number, number, number];
    const dk = d / h;
    const split = (y: tf.Tensor): tf.Tensor =>
      mistake === "wrong-head-split" ? tf.reshape(y, [b, h, t, dk]) : tf.transpose(tf.reshape(y, [b, t, h, dk]), [0, 2, 1, 3]);
    let q = split(linear(x, field(w, "Wq"), field(w, "bq")));
    const k = split(linear(x, field(w, "Wk"), field(w, "bk")));
    const v = split(linear(x, field(w, "Wv"), field(w, "bv")));
    // Dividing Q by sqrt(d_k / d_model) first turns the correct sqrt(d_k) scaling into sqrt(d_model).
    if (mistake === "scale-by-d-model") q = tf.mul(q, Math.sqrt(dk / d));
    const [heads, weights] = attentionTf(q, k, v, mask, attention);
    const merged = mistake === "heads-not-transposed-back" ? tf.reshape(heads, [b, t, d]) : tf.reshape(tf.transpose(heads, [0, 2, 1, 3]), [b, t, d]);
    return [linear(merged, field(w, "Wo"), field(w, "bo")), weights];
  });
}

export default defineReference({
  expected: (args) => mha(args, "none"),
  variants: {
    "heads-not-transposed-back": (args) => mha(args, "heads-not-transposed-back"),
    "wrong-head-split": (args) => mha(args, "wrong-head-split"),
    "scale-by-d-model": (args) => mha(args, "scale-by-d-model"),
    "mask-inverted": (args) => mha(args, "none", { ...CORRECT_ATTENTION, maskHides: 1 }),
    "fully-masked-nan": (args) => mha(args, "none", { ...CORRECT_ATTENTION, fill: -Infinity }),
    "mask-after-softmax": (args) => mha(args, "none", { ...CORRECT_ATTENTION, maskMode: "after-softmax" }),
    "mask-multiplied": (args) => mha(args, "none", { ...CORRECT_ATTENTION, maskMode: "multiplied" }),
    "softmax-overflow": (args) => mha(args, "none", { ...CORRECT_ATTENTION, stable: false }),
    "missing-scale": (args) => mha(args, "none", { ...CORRECT_ATTENTION, scale: false }),
    "softmax-wrong-axis": (args) => mha(args, "none", { ...CORRECT_ATTENTION, softmaxAxis: -2 }),
  },
});
