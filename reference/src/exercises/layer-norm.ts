import type { WireValue } from "@tfm/contract";
import { defineReference } from "@tfm/spec";
import { tf } from "../backend.ts";
import { compute, toTf } from "../wire-tf.ts";

type Mistake = "none" | "layernorm-unbiased-variance" | "layernorm-eps-outside-sqrt" | "layernorm-wrong-dim" | "layernorm-missing-affine";

function eps(args: readonly WireValue[]): number {
  const e = args[3];
  if (typeof e !== "number") throw new Error("reference: eps must be a number");
  return e;
}

/** (x - mean) / sqrt(var + eps) * gamma + beta over the last axis; `mistake` reproduces a known wrong version. */
function layerNorm(args: readonly WireValue[], mistake: Mistake): Promise<WireValue> {
  return compute(() => {
    const x = toTf(args[0]);
    const gamma = toTf(args[1]);
    const beta = toTf(args[2]);
    const axis = mistake === "layernorm-wrong-dim" ? x.rank - 2 : x.rank - 1;
    const n = x.shape[axis] ?? 1;
    const { mean, variance: biased } = tf.moments(x, axis, true);
    // D / (D - 1) turns the biased variance into the unbiased one (NaN for D = 1, as in PyTorch).
    const variance = mistake === "layernorm-unbiased-variance" ? tf.mul(biased, n / (n - 1)) : biased;
    const denominator = mistake === "layernorm-eps-outside-sqrt" ? tf.add(tf.sqrt(variance), eps(args)) : tf.sqrt(tf.add(variance, eps(args)));
    const normalised = tf.div(tf.sub(x, mean), denominator);
    return mistake === "layernorm-missing-affine" ? normalised : tf.add(tf.mul(normalised, gamma), beta);
  });
}

export default defineReference({
  expected: (args) => layerNorm(args, "none"),
  variants: {
    "layernorm-unbiased-variance": (args) => layerNorm(args, "layernorm-unbiased-variance"),
    "layernorm-eps-outside-sqrt": (args) => layerNorm(args, "layernorm-eps-outside-sqrt"),
    "layernorm-wrong-dim": (args) => layerNorm(args, "layernorm-wrong-dim"),
    "layernorm-missing-affine": (args) => layerNorm(args, "layernorm-missing-affine"),
  },
});
