import type { WireValue } from "@tfm/contract";
import { defineReference } from "@tfm/spec";
import { tf } from "../backend.ts";
import { compute } from "../wire-tf.ts";

type Mistake = "none" | "mask-inverted" | "causal-mask-upper-triangle" | "causal-mask-diagonal-excluded" | "padding-mask-inverted" | "masks-combined-with-or";

function argsOf(args: readonly WireValue[]): { lengths: number[]; t: number } {
  const lengths = args[0];
  const t = args[1];
  if (!Array.isArray(lengths) || !lengths.every((l) => typeof l === "number") || typeof t !== "number") {
    throw new Error("reference: arguments must be (lengths: number[], seqLen: number)");
  }
  return { lengths: lengths as number[], t };
}

/** The three masks as int32 0/1 (1 = may attend); `mistake` reproduces a known wrong version. */
async function masks(args: readonly WireValue[], mistake: Mistake): Promise<WireValue> {
  const { lengths, t } = argsOf(args);
  const parts = await compute(() => {
    const ones = tf.ones([t, t], "int32");
    // bandPart(x, numLower, numUpper): keep numLower diagonals below and numUpper above (-1 = all).
    let causal: tf.Tensor;
    if (mistake === "causal-mask-upper-triangle") causal = tf.linalg.bandPart(ones, 0, -1);
    else if (mistake === "causal-mask-diagonal-excluded") causal = tf.sub(tf.linalg.bandPart(ones, -1, 0), tf.eye(t, t, undefined, "int32"));
    else causal = tf.linalg.bandPart(ones, -1, 0);
    const positions = tf.reshape(tf.range(0, t, 1, "int32"), [1, t]);
    const lens = tf.reshape(tf.tensor1d(lengths, "int32"), [lengths.length, 1]);
    const real = tf.less(positions, lens);
    let padding = tf.reshape(mistake === "padding-mask-inverted" ? tf.logicalNot(real) : real, [lengths.length, 1, t]);
    const causalBool = tf.cast(causal, "bool");
    let combined = mistake === "masks-combined-with-or" ? tf.logicalOr(causalBool, padding) : tf.logicalAnd(causalBool, padding);
    if (mistake === "mask-inverted") {
      causal = tf.sub(1, causal);
      padding = tf.logicalNot(padding);
      combined = tf.logicalNot(combined);
    }
    return [tf.cast(causal, "int32"), tf.cast(padding, "int32"), tf.cast(combined, "int32")];
  });
  if (!Array.isArray(parts)) throw new Error("reference: expected three masks");
  return { causal: parts[0] ?? null, padding: parts[1] ?? null, combined: parts[2] ?? null };
}

export default defineReference({
  expected: (args) => masks(args, "none"),
  variants: {
    "mask-inverted": (args) => masks(args, "mask-inverted"),
    "causal-mask-upper-triangle": (args) => masks(args, "causal-mask-upper-triangle"),
    "causal-mask-diagonal-excluded": (args) => masks(args, "causal-mask-diagonal-excluded"),
    "padding-mask-inverted": (args) => masks(args, "padding-mask-inverted"),
    "masks-combined-with-or": (args) => masks(args, "masks-combined-with-or"),
  },
});
