import { type WireTensor, type WireValue, wireTensor } from "@tfm/contract";
import { defineReference } from "@tfm/spec";
import { tf } from "../backend.ts";
import { fromTf } from "../wire-tf.ts";

/** What a known mistake changes; "none" is the correct batch. */
type Mistake =
  | "none"
  | "batch-left-padded"
  | "padding-mask-inverted"
  | "batch-length-off-by-one"
  | "pad-id-ignored"
  | "mask-from-pad-id";

function sequencesArg(args: readonly WireValue[]): number[][] {
  const seqs = args[0];
  if (!Array.isArray(seqs)) throw new Error("reference: sequences must be an array");
  return seqs.map((s) => {
    if (!Array.isArray(s) || !s.every((v): v is number => typeof v === "number")) throw new Error("reference: each sequence must be an array of numbers");
    return s;
  });
}

function padIdArg(args: readonly WireValue[]): number {
  const p = args[1];
  if (typeof p !== "number" || !Number.isInteger(p)) throw new Error("reference: padId must be an integer");
  return p;
}

/** ids [B, T] padded with padId on the right (or left), mask [B, T] with 1 on real tokens. */
async function pad(args: readonly WireValue[], mistake: Mistake): Promise<WireValue> {
  const seqs = sequencesArg(args);
  const padId = padIdArg(args);
  const longest = Math.max(0, ...seqs.map((s) => s.length));
  const t = mistake === "batch-length-off-by-one" ? longest + 1 : longest;
  const fill = mistake === "pad-id-ignored" ? 0 : padId;
  const left = mistake === "batch-left-padded";
  const out = tf.tidy(() => {
    const rows = seqs.map((s) => {
      const row = tf.tensor1d(s, "int32");
      return tf.pad(row, [left ? [t - s.length, 0] : [0, t - s.length]], fill);
    });
    const ids = tf.stack(rows);
    const lengths = tf.tensor2d(seqs.map((s) => [s.length]), [seqs.length, 1], "int32");
    const positions = tf.reshape(tf.range(0, t, 1, "int32"), [1, t]);
    const real = left ? tf.greaterEqual(positions, tf.sub(tf.scalar(t, "int32"), lengths)) : tf.less(positions, lengths);
    let mask = tf.cast(real, "int32");
    if (mistake === "padding-mask-inverted") mask = tf.sub(tf.scalar(1, "int32"), mask);
    if (mistake === "mask-from-pad-id") mask = tf.cast(tf.notEqual(ids, tf.scalar(padId, "int32")), "int32");
    return [ids, mask];
  });
  const [ids, mask] = out as [tf.Tensor, tf.Tensor];
  try {
    return { ids: await fromTf(ids), mask: await fromTf(mask) };
  } finally {
    tf.dispose(out);
  }
}

const run = (mistake: Mistake) => (args: readonly WireValue[]) => pad(args, mistake);

export default defineReference({
  expected: run("none"),
  variants: {
    "batch-left-padded": run("batch-left-padded"),
    "padding-mask-inverted": run("padding-mask-inverted"),
    "batch-length-off-by-one": run("batch-length-off-by-one"),
    "pad-id-ignored": run("pad-id-ignored"),
    "mask-from-pad-id": run("mask-from-pad-id"),
    // Right values in a float32 tensor: the comparison itself names this one, from the dtype.
    "ids-float-dtype": async (args) => {
      const right = (await pad(args, "none")) as { ids: WireTensor; mask: WireTensor };
      const { shape, data } = right.ids.$tensor;
      return { ids: wireTensor("float32", shape, Float32Array.from(data)), mask: right.mask };
    },
  },
});
