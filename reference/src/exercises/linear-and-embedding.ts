import type { WireValue } from "@tfm/contract";
import { defineReference } from "@tfm/spec";
import { tf } from "../backend.ts";
import { compute, optionalTf, toTf } from "../wire-tf.ts";

type Mistake =
  | "none"
  | "linear-weight-not-transposed"
  | "linear-bias-wrong-axis"
  | "embedding-padding-not-zeroed"
  | "embedding-off-by-one";

/** x W^T + b over the last axis of x (any rank >= 1); null where the mistake cannot even run. */
function linear(x: tf.Tensor, w: tf.Tensor, b: tf.Tensor | null, mistake: Mistake): tf.Tensor | null {
  const inF = x.shape[x.rank - 1] ?? 0;
  const [outF, wIn] = w.shape as [number, number];
  const lead = x.shape.slice(0, -1);
  const x2 = tf.reshape(x, [-1, inF]);
  let y: tf.Tensor;
  if (mistake === "linear-weight-not-transposed") {
    if (inF !== outF) return null;
    y = tf.matMul(x2, w);
  } else {
    if (inF !== wIn) throw new Error(`reference: x has ${inF} features but the weight expects ${wIn}`);
    y = tf.matMul(x2, w, false, true);
  }
  y = tf.reshape(y, [...lead, outF]);
  if (b === null) return y;
  if (mistake === "linear-bias-wrong-axis") {
    // b[:, None]: broadcasts along the second-to-last axis, which only fits when it has size out.
    if (y.rank < 2 || y.shape[y.rank - 2] !== outF) return null;
    return tf.add(y, tf.reshape(b, [outF, 1]));
  }
  return tf.add(y, b);
}

/** table[ids] with the rows of paddingIdx set to zero; output shape ids.shape + [dim]. */
function embedding(ids: tf.Tensor, table: tf.Tensor, paddingIdx: number | null, mistake: Mistake): tf.Tensor {
  const [n, dim] = table.shape as [number, number];
  const flat = tf.reshape(ids, [-1]);
  const rows = mistake === "embedding-off-by-one" ? tf.mod(tf.add(tf.sub(flat, tf.scalar(1, "int32")), tf.scalar(n, "int32")), tf.scalar(n, "int32")) : flat;
  let out = tf.reshape(tf.gather(table, rows), [...ids.shape, dim]);
  if (paddingIdx !== null && mistake !== "embedding-padding-not-zeroed") {
    const keep = tf.expandDims(tf.notEqual(ids, tf.scalar(paddingIdx, "int32")), -1);
    out = tf.where(tf.broadcastTo(keep, out.shape), out, tf.zerosLike(out));
  }
  return out;
}

function paddingArg(v: WireValue | undefined): number | null {
  if (v === null || v === undefined) return null;
  if (typeof v !== "number" || !Number.isInteger(v)) throw new Error("reference: paddingIdx must be an integer or null");
  return v;
}

function run(mistake: Mistake) {
  return async (args: readonly WireValue[]): Promise<WireValue> => {
    const result = await compute(() => {
      const lin = linear(toTf(args[0]), toTf(args[1]), optionalTf(args[2]), mistake);
      const emb = embedding(toTf(args[3]), toTf(args[4]), paddingArg(args[5]), mistake);
      return lin === null ? [emb] : [lin, emb];
    });
    // A mistake that cannot run on these shapes explains nothing: no match.
    return Array.isArray(result) && result.length === 2 ? result : null;
  };
}

export default defineReference({
  expected: run("none"),
  variants: {
    "linear-weight-not-transposed": run("linear-weight-not-transposed"),
    "linear-bias-wrong-axis": run("linear-bias-wrong-axis"),
    "embedding-padding-not-zeroed": run("embedding-padding-not-zeroed"),
    "embedding-off-by-one": run("embedding-off-by-one"),
  },
});
