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

export function fromTf(t: tf.Tensor): WireTensor {
  const shape = [...t.shape];
  switch (t.dtype) {
    case "float32":
      return wireTensor("float32", shape, Float32Array.from(t.dataSync()));
    case "int32":
      return wireTensor("int32", shape, Int32Array.from(t.dataSync()));
    case "bool":
      return wireTensor("bool", shape, Uint8Array.from(t.dataSync()));
    default:
      throw new Error(`reference: unsupported dtype ${t.dtype}`);
  }
}

/** Runs `fn` inside tf.tidy and converts the tensors it returns to wire values. */
export function compute(fn: () => tf.Tensor | tf.Tensor[]): WireValue {
  const out = tf.tidy(fn);
  const list = Array.isArray(out) ? out : [out];
  const wire = list.map(fromTf);
  tf.dispose(list);
  return Array.isArray(out) ? wire : (wire[0] ?? null);
}

export function intArg(value: WireValue | undefined, what: string): number {
  if (typeof value !== "number" || !Number.isInteger(value)) throw new Error(`reference: ${what} must be an integer`);
  return value;
}
