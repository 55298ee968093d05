import { type WireTensor, type WireValue, isWireTensor, wireTensor } from "@tfm/contract";
import { tf } from "./backend.ts";

export function toTf(value: WireValue | undefined): tf.Tensor {
  if (!isWireTensor(value)) throw new Error("reference: expected a tensor argument");
  const { dtype, shape, data } = value.$tensor;
  return tf.tensor(data, shape, dtype);
}

export function optionalTf(value: WireValue | undefined): tf.Tensor | null {
  return value === null || value === undefined ? null : toTf(value);
}

/**
 * A tensor as a wire value. Asynchronous: the webgpu backend can only read a GPU buffer back by
 * awaiting it (its dataSync needs an OffscreenCanvas, which Node has not).
 */
export async function fromTf(t: tf.Tensor): Promise<WireTensor> {
  const shape = [...t.shape];
  switch (t.dtype) {
    case "float32":
      return wireTensor("float32", shape, Float32Array.from(await t.data()));
    case "int32":
      return wireTensor("int32", shape, Int32Array.from(await t.data()));
    case "bool":
      return wireTensor("bool", shape, Uint8Array.from(await t.data()));
    default:
      throw new Error(`reference: unsupported dtype ${t.dtype}`);
  }
}

/** Runs `fn` inside tf.tidy and converts the tensors it returns to wire values. */
export async function compute(fn: () => tf.Tensor | tf.Tensor[]): Promise<WireValue> {
  const out = tf.tidy(fn);
  const list = Array.isArray(out) ? out : [out];
  try {
    const wire = await Promise.all(list.map(fromTf));
    return Array.isArray(out) ? wire : (wire[0] ?? null);
  } finally {
    tf.dispose(list);
  }
}

export function intArg(value: WireValue | undefined, what: string): number {
  if (typeof value !== "number" || !Number.isInteger(value)) throw new Error(`reference: ${what} must be an integer`);
  return value;
}
