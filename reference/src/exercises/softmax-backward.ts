import { type WireValue, isWireTensor, wireTensor } from "@tfm/contract";
import { defineReference } from "@tfm/spec";
import { tf } from "../backend.ts";
import { compute, toTf } from "../wire-tf.ts";

/**
 * The expected gradient is NOT the closed form: it is the central finite difference of
 * L(x) = sum_j g_j softmax(x)_j, computed in float64 on the host from the softmax definition,
 * at the scores x = log(y) (softmax is shift-invariant, so any x with softmax(x) = y will do).
 *
 * Step h = 1e-4. Along e_i, y_i(t) is a logistic function s(t) of the step and every other y_j
 * scales with 1 - s(t), so L(x + t e_i) = gbar + (g_i - gbar) s(t) with gbar a weighted mean of
 * the other g_j. Hence |L'''| <= |g_i - gbar| max|s'''| <= 2 max|g| / 8, and the truncation error
 * of the central difference, h^2/6 |L'''|, is at most h^2 max|g| / 24 ~ 4e-10 max|g|. Rounding in
 * float64 adds about n * 1.1e-16 * max|g| / h ~ 1e-10 max|g| for n <= 64 entries per row. With
 * max|g| <= 10 in every case, the reference is within ~5e-9 of the exact gradient: the exercise
 * tolerance (atol 1e-5, rtol 1e-4) is set by the float32 arithmetic of a submission, not by the
 * finite differences.
 */
const H = 1e-4;

function lossAt(z: Float64Array, g: ArrayLike<number>, start: number): number {
  let max = -Infinity;
  for (let j = 0; j < z.length; j++) max = Math.max(max, z[j] as number);
  let denominator = 0;
  let numerator = 0;
  for (let j = 0; j < z.length; j++) {
    const e = Math.exp((z[j] as number) - max);
    denominator += e;
    numerator += (g[start + j] as number) * e;
  }
  return numerator / denominator;
}

function finiteDifferenceGradient(args: readonly WireValue[]): WireValue {
  const y = args[0];
  const g = args[1];
  if (!isWireTensor(y) || !isWireTensor(g)) throw new Error("reference: y and grad must be tensors");
  const { shape, data: yData } = y.$tensor;
  const gData = g.$tensor.data;
  const n = shape[shape.length - 1] ?? 1;
  const out = new Float32Array(yData.length);
  const x = new Float64Array(n);
  for (let start = 0; start < yData.length; start += n) {
    // log(0) = -Infinity is fine: such an entry stays at probability 0 under any finite step.
    for (let j = 0; j < n; j++) x[j] = Math.log(yData[start + j] as number);
    for (let i = 0; i < n; i++) {
      const xi = x[i] as number;
      x[i] = xi + H;
      const up = lossAt(x, gData, start);
      x[i] = xi - H;
      const down = lossAt(x, gData, start);
      x[i] = xi;
      out[start + i] = (up - down) / (2 * H);
    }
  }
  return wireTensor("float32", [...shape], out);
}

type Mistake = "softmax-grad-diagonal-only" | "softmax-grad-wrong-axis" | "softmax-grad-sign" | "reduction-missing-keepdim";

/** What each mistaken formula computes, with TensorFlow.js in float32. */
async function mistaken(args: readonly WireValue[], mistake: Mistake): Promise<WireValue> {
  const y0 = args[0];
  const shape = isWireTensor(y0) ? y0.$tensor.shape : [];
  // Sums over axis -2 need two axes; a missing keepdim must still broadcast (else the student's
  // code throws and there is nothing to match).
  if (mistake === "softmax-grad-wrong-axis" && shape.length < 2) return null;
  if (mistake === "reduction-missing-keepdim" && !broadcasts(shape, shape.slice(0, -1))) return null;
  return compute(() => {
    const y = toTf(args[0]);
    const g = toTf(args[1]);
    switch (mistake) {
      case "softmax-grad-diagonal-only":
        return tf.mul(tf.mul(y, tf.sub(1, y)), g);
      case "softmax-grad-wrong-axis":
        return tf.mul(y, tf.sub(g, tf.sum(tf.mul(g, y), y.rank - 2, true)));
      case "softmax-grad-sign":
        return tf.mul(y, tf.sub(tf.sum(tf.mul(g, y), -1, true), g));
      case "reduction-missing-keepdim":
        return tf.mul(y, tf.sub(g, tf.sum(tf.mul(g, y), -1, false)));
    }
  });
}

function broadcasts(a: readonly number[], b: readonly number[]): boolean {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[a.length - n + i] ?? 1;
    const y = b[b.length - n + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) return false;
  }
  return true;
}

export default defineReference({
  expected: finiteDifferenceGradient,
  variants: {
    "softmax-grad-diagonal-only": (args) => mistaken(args, "softmax-grad-diagonal-only"),
    "softmax-grad-wrong-axis": (args) => mistaken(args, "softmax-grad-wrong-axis"),
    "softmax-grad-sign": (args) => mistaken(args, "softmax-grad-sign"),
    "reduction-missing-keepdim": (args) => mistaken(args, "reduction-missing-keepdim"),
  },
});
