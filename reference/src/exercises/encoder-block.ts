import type { WireValue } from "@tfm/contract";
import { defineReference } from "@tfm/spec";
import { type AttentionOptions, CORRECT_ATTENTION } from "../attention.ts";
import { tf } from "../backend.ts";
import { CORRECT_MULTI_HEAD, type MultiHeadOptions, linearTf, multiHeadTf, weightTf } from "../multi-head-tf.ts";
import { compute, intArg, optionalTf, toTf } from "../wire-tf.ts";

type Mistake =
  | "none"
  | "missing-residual"
  | "ffn-missing-residual"
  | "wrong-head-split"
  | "prenorm-instead-of-postnorm"
  | "ffn-missing-relu"
  | "heads-not-transposed-back"
  | "layernorm-wrong-dim"
  | "layernorm-unbiased-variance";

/** The stages in pipeline order: the key order of the expected object. */
export const STAGES = ["attentionWeights", "attention", "residual1", "norm1", "feedForward", "residual2", "output"] as const;

const EPS = 1e-5;

/** (x - mean) / sqrt(var + eps) * gamma + beta over `axis` (biased variance unless `unbiased`). */
function layerNormTf(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, axis: number, unbiased: boolean): tf.Tensor {
  const n = x.shape[axis < 0 ? x.rank + axis : axis] ?? 1;
  const centered = tf.sub(x, tf.mean(x, axis, true));
  let variance = tf.mean(tf.square(centered), axis, true);
  if (unbiased) variance = tf.mul(variance, n / (n - 1));
  return tf.add(tf.mul(tf.div(centered, tf.sqrt(tf.add(variance, EPS))), gamma), beta);
}

async function block(args: readonly WireValue[], mistake: Mistake, attentionOptions: Partial<AttentionOptions> = {}): Promise<WireValue> {
  const tensors = await compute(() => {
    const x = toTf(args[0]);
    const w = args[1];
    const h = intArg(args[2], "numHeads");
    const mask = optionalTf(args[3]);
    const param = (key: string): tf.Tensor => weightTf(w, key);
    const norm = (t: tf.Tensor, which: 1 | 2): tf.Tensor =>
      layerNormTf(t, param(`gamma${which}`), param(`beta${which}`), mistake === "layernorm-wrong-dim" ? 1 : -1, mistake === "layernorm-unbiased-variance");
    const inner = { ...CORRECT_ATTENTION, ...attentionOptions };
    const mha: MultiHeadOptions =
      mistake === "heads-not-transposed-back"
        ? { split: "view-transpose", merge: "view-only", attention: inner }
        : mistake === "wrong-head-split"
          ? { split: "view-only", merge: "transpose-view", attention: inner }
          : { ...CORRECT_MULTI_HEAD, attention: inner };
    const ffn = (t: tf.Tensor): tf.Tensor => {
      const hidden = linearTf(t, param("W1"), param("b1"));
      // relu(NaN) is NaN in PyTorch (and the kit); TensorFlow.js gives 0, which would hide a NaN mistake.
      const relu = tf.where(tf.isNaN(hidden), hidden, tf.relu(hidden));
      return linearTf(mistake === "ffn-missing-relu" ? hidden : relu, param("W2"), param("b2"));
    };
    if (mistake === "prenorm-instead-of-postnorm") {
      const [attention, weights] = multiHeadTf(norm(x, 1), w, h, mask, mha);
      const residual1 = tf.add(x, attention);
      const norm1 = norm(residual1, 2);
      const feedForward = ffn(norm1);
      const residual2 = tf.add(residual1, feedForward);
      return [weights, attention, residual1, norm1, feedForward, residual2, residual2];
    }
    const [attention, weights] = multiHeadTf(x, w, h, mask, mha);
    const residual1 = mistake === "missing-residual" ? attention : tf.add(x, attention);
    const norm1 = norm(residual1, 1);
    const feedForward = ffn(norm1);
    const residual2 = mistake === "missing-residual" || mistake === "ffn-missing-residual" ? feedForward : tf.add(norm1, feedForward);
    return [weights, attention, residual1, norm1, feedForward, residual2, norm(residual2, 2)];
  });
  if (!Array.isArray(tensors)) throw new Error("reference: expected a list of stages");
  return Object.fromEntries(STAGES.map((key, i) => [key, tensors[i] ?? null]));
}

export default defineReference({
  expected: (args) => block(args, "none"),
  variants: {
    "missing-residual": (args) => block(args, "missing-residual"),
    "ffn-missing-residual": (args) => block(args, "ffn-missing-residual"),
    "wrong-head-split": (args) => block(args, "wrong-head-split"),
    "mask-inverted": (args) => block(args, "none", { maskHides: 1 }),
    "fully-masked-nan": (args) => block(args, "none", { fill: -Infinity }),
    "mask-after-softmax": (args) => block(args, "none", { maskMode: "after-softmax" }),
    "mask-multiplied": (args) => block(args, "none", { maskMode: "multiplied" }),
    "missing-scale": (args) => block(args, "none", { scale: false }),
    "softmax-wrong-axis": (args) => block(args, "none", { softmaxAxis: -2 }),
    "softmax-overflow": (args) => block(args, "none", { stable: false }),
    "prenorm-instead-of-postnorm": (args) => block(args, "prenorm-instead-of-postnorm"),
    "ffn-missing-relu": (args) => block(args, "ffn-missing-relu"),
    "heads-not-transposed-back": (args) => block(args, "heads-not-transposed-back"),
    "layernorm-wrong-dim": (args) => block(args, "layernorm-wrong-dim"),
    "layernorm-unbiased-variance": (args) => block(args, "layernorm-unbiased-variance"),
  },
});
