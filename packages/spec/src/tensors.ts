import { type DType, type TypedData, type WireTensor, type WireValue, isWireTensor, wireTensor } from "@tfm/contract";
import type { Rng } from "./rng.ts";

/** Builders for case inputs (host side). All tensors are fresh copies. */

export function numel(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

export function randn(rng: Rng, shape: number[], scale = 1): WireTensor {
  const data = new Float32Array(numel(shape));
  for (let i = 0; i < data.length; i++) data[i] = rng.normal() * scale;
  return wireTensor("float32", shape, data);
}

export function uniform(rng: Rng, shape: number[], lo: number, hi: number): WireTensor {
  const data = new Float32Array(numel(shape));
  for (let i = 0; i < data.length; i++) data[i] = lo + (hi - lo) * rng.random();
  return wireTensor("float32", shape, data);
}

export function fromValues(dtype: DType, shape: number[], values: ArrayLike<number>): WireTensor {
  const n = numel(shape);
  if (values.length !== n) throw new Error(`fromValues: shape [${shape.join(", ")}] needs ${n} values, got ${values.length}`);
  const data: TypedData =
    dtype === "float32" ? Float32Array.from(values) : dtype === "int32" ? Int32Array.from(values) : Uint8Array.from(values);
  return wireTensor(dtype, shape, data);
}

export function full(dtype: DType, shape: number[], value: number): WireTensor {
  return fromValues(dtype, shape, new Array<number>(numel(shape)).fill(value));
}

/** 1 where a query may attend (key index <= query index), 0 above the diagonal: [T, T] int32. */
export function causalMask(t: number): WireTensor {
  const data = new Int32Array(t * t);
  for (let i = 0; i < t; i++) for (let j = 0; j <= i; j++) data[i * t + j] = 1;
  return wireTensor("int32", [t, t], data);
}

/** Padding mask [B, 1, T] (broadcasts over queries): 1 for real tokens, 0 for padding. */
export function paddingMask(lengths: number[], t: number): WireTensor {
  const data = new Int32Array(lengths.length * t);
  lengths.forEach((len, b) => {
    for (let j = 0; j < Math.min(len, t); j++) data[b * t + j] = 1;
  });
  return wireTensor("int32", [lengths.length, 1, t], data);
}

export function tensorArg(args: readonly WireValue[], index: number): WireTensor {
  const v = args[index];
  if (!isWireTensor(v)) throw new Error(`argument ${index} is not a tensor`);
  return v;
}

export function copyTensor(t: WireTensor): WireTensor {
  const { dtype, shape, data } = t.$tensor;
  return wireTensor(dtype, shape, data.slice());
}

/** Strided index helpers for tensors stored row-major. */
export function strides(shape: readonly number[]): number[] {
  const out = new Array<number>(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) out[i] = (out[i + 1] ?? 1) * (shape[i + 1] ?? 1);
  return out;
}

export function unravel(flat: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length).fill(0);
  for (let d = shape.length - 1; d >= 0; d--) {
    const size = shape[d] ?? 1;
    idx[d] = flat % size;
    flat = Math.floor(flat / size);
  }
  return idx;
}

/** Value of a tensor broadcast to `target` shape at a target index (NumPy rules). */
export function broadcastAt(t: WireTensor, targetIndex: readonly number[]): number {
  const { shape, data } = t.$tensor;
  const st = strides(shape);
  const offset = targetIndex.length - shape.length;
  let flat = 0;
  for (let d = 0; d < shape.length; d++) {
    const size = shape[d] ?? 1;
    const i = size === 1 ? 0 : (targetIndex[d + offset] ?? 0);
    flat += i * (st[d] ?? 0);
  }
  return data[flat] ?? 0;
}
