import type { WireValue } from "@tfm/contract";
import { defineReference } from "@tfm/spec";
import { CORRECT_ATTENTION, attentionTf } from "../attention.ts";
import { tf } from "../backend.ts";
import { compute, intArg, toTf } from "../wire-tf.ts";

/**
 * Chunked attention must equal full attention, so the reference is full attention (the host has
 * the memory the sandbox lacks). The variants reproduce the wrong chunkings and the missing scale.
 * "full-attention-matrix-oom" has no variant: that mistake gives the right numbers and is told
 * apart by the memory limit (limitPitfalls in exercise.json), never by its output.
 */
function full(args: readonly WireValue[], scale: boolean): Promise<WireValue> {
  return compute(() => attentionTf(toTf(args[0]), toTf(args[1]), toTf(args[2]), null, { ...CORRECT_ATTENTION, scale })[0] as tf.Tensor);
}

/** Q, K and V cut into the same chunks; each query sees only its own chunk's keys. */
function chunkLocal(args: readonly WireValue[]): Promise<WireValue> {
  const chunk = intArg(args[3], "chunkSize");
  return compute(() => {
    const q = toTf(args[0]);
    const k = toTf(args[1]);
    const v = toTf(args[2]);
    const tq = q.shape[1] ?? 0;
    const tk = k.shape[1] ?? 0;
    if (chunk < 1 || tk < tq) return tf.zeros([0]);
    const outs: tf.Tensor[] = [];
    for (let start = 0; start < tq; start += chunk) {
      const len = Math.min(chunk, tq - start);
      const part = (x: tf.Tensor) => tf.slice(x, [0, start, 0], [-1, len, -1]);
      outs.push(attentionTf(part(q), part(k), part(v), null, CORRECT_ATTENTION)[0] as tf.Tensor);
    }
    return tf.concat(outs, 1);
  });
}

/** The softmax over the queries of each chunk (dim -2) instead of over the keys. */
function wrongAxisPerChunk(args: readonly WireValue[]): Promise<WireValue> {
  const chunk = intArg(args[3], "chunkSize");
  return compute(() => {
    const q = toTf(args[0]);
    const tq = q.shape[1] ?? 0;
    if (chunk < 1) return tf.zeros([0]);
    const outs: tf.Tensor[] = [];
    for (let start = 0; start < tq; start += chunk) {
      const part = tf.slice(q, [0, start, 0], [-1, Math.min(chunk, tq - start), -1]);
      outs.push(attentionTf(part, toTf(args[1]), toTf(args[2]), null, { ...CORRECT_ATTENTION, softmaxAxis: -2 })[0] as tf.Tensor);
    }
    return tf.concat(outs, 1);
  });
}

/** Math.floor(T / chunkSize) chunks: the queries after the last whole chunk are missing. */
function remainderDropped(args: readonly WireValue[]): Promise<WireValue> {
  const chunk = intArg(args[3], "chunkSize");
  return compute(() => {
    const q = toTf(args[0]);
    const t = q.shape[1] ?? 0;
    const size = Math.min(chunk, t);
    const kept = Math.max(1, Math.floor(t / Math.max(1, chunk))) * size;
    const out = attentionTf(q, toTf(args[1]), toTf(args[2]), null, CORRECT_ATTENTION)[0] as tf.Tensor;
    return tf.slice(out, [0, 0, 0], [-1, kept, -1]);
  });
}

export default defineReference({
  expected: (args) => full(args, true),
  variants: {
    "chunk-local-attention": chunkLocal,
    "chunk-remainder-dropped": remainderDropped,
    "missing-scale": (args) => full(args, false),
    "softmax-wrong-axis": wrongAxisPerChunk,
    "softmax-overflow": (args) => compute(() => attentionTf(toTf(args[0]), toTf(args[1]), toTf(args[2]), null, { ...CORRECT_ATTENTION, stable: false })[0] as tf.Tensor),
  },
});
