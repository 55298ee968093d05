/**
 * Test-only helpers (not part of the kit bundle): a tiny seeded RNG, TF.js setup, and an
 * elementwise allclose that reports the first mismatch.
 */
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import type { DType, Storage } from "./dtype.ts";
import { Tensor, fromParts, tensorParts } from "./tensor.ts";

export { tf };

let backendReady: Promise<boolean> | null = null;
/** Selects the TF.js CPU backend once. */
export function tfReady(): Promise<boolean> {
  backendReady ??= tf.setBackend("cpu");
  return backendReady;
}

/** mulberry32: a tiny seeded uniform RNG for test inputs (never Math.random). */
export function makeRng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function numel(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Seeded values in [lo, hi). */
export function uniformValues(rng: () => number, n: number, lo = -2, hi = 2): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * rng();
  return out;
}

/** Seeded standard normals (Box-Muller). */
export function normalValues(rng: () => number, n: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
  return out;
}

export interface Pair {
  k: Tensor;
  t: tf.Tensor;
}

/** The same data as a kit tensor and a TF.js tensor. */
export function pair(values: Float32Array | Int32Array | Uint8Array, shape: readonly number[], dtype: DType = "float32"): Pair {
  const n = numel(shape);
  if (values.length !== n) throw new Error(`pair: ${values.length} values for shape [${shape.join(", ")}]`);
  let storage: Storage;
  if (dtype === "float32") storage = Float32Array.from(values);
  else if (dtype === "int32") storage = Int32Array.from(values);
  else storage = Uint8Array.from(values, (v) => (v !== 0 ? 1 : 0));
  const k = fromParts(dtype, shape.slice(), storage);
  const t = tf.tensor(Array.from(storage), shape.slice(), dtype);
  return { k, t };
}

/** Random float32 pair with values in [lo, hi). */
export function randPair(rng: () => number, shape: readonly number[], lo = -2, hi = 2): Pair {
  return pair(uniformValues(rng, numel(shape), lo, hi), shape, "float32");
}

/** Random int32 pair with values in [lo, hi). */
export function randIntPair(rng: () => number, shape: readonly number[], lo = -5, hi = 5): Pair {
  const n = numel(shape);
  const v = new Int32Array(n);
  for (let i = 0; i < n; i++) v[i] = lo + Math.floor(rng() * (hi - lo));
  return pair(v, shape, "int32");
}

/** Random bool pair (probability p of true). */
export function randBoolPair(rng: () => number, shape: readonly number[], p = 0.5): Pair {
  const n = numel(shape);
  const v = new Uint8Array(n);
  for (let i = 0; i < n; i++) v[i] = rng() < p ? 1 : 0;
  return pair(v, shape, "bool");
}

export const ATOL = 1e-5;
export const RTOL = 1e-4;

function close(a: number, b: number, atol: number, rtol: number): boolean {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b);
  if (a === b) return true;
  return Math.abs(a - b) <= atol + rtol * Math.abs(b);
}

/** Elementwise allclose of a kit tensor against expected values; throws describing the first mismatch. */
export function expectAllClose(
  actual: Tensor,
  expected: Tensor | tf.Tensor | { shape: readonly number[]; values: ArrayLike<number>; dtype?: DType },
  opts: { atol?: number; rtol?: number; checkDtype?: boolean } = {},
): void {
  const atol = opts.atol ?? ATOL;
  const rtol = opts.rtol ?? RTOL;
  const parts = tensorParts(actual);
  if (parts === null) throw new Error("expectAllClose: actual is not a kit tensor");
  let eShape: readonly number[];
  let eValues: ArrayLike<number>;
  let eDtype: string | undefined;
  const kitExpected = tensorParts(expected);
  if (kitExpected !== null) {
    eShape = kitExpected.shape;
    eValues = kitExpected.data;
    eDtype = kitExpected.dtype;
  } else if (expected instanceof tf.Tensor) {
    eShape = expected.shape;
    eValues = expected.dataSync() as ArrayLike<number>;
    eDtype = expected.dtype;
  } else if (!(expected instanceof Tensor)) {
    eShape = expected.shape;
    eValues = expected.values;
    eDtype = expected.dtype;
  } else {
    throw new Error("expectAllClose: unreadable expected tensor");
  }
  if (parts.shape.length !== eShape.length || parts.shape.some((s, i) => s !== eShape[i])) {
    throw new Error(`shape mismatch: kit [${parts.shape.join(", ")}] vs expected [${eShape.join(", ")}]`);
  }
  if (opts.checkDtype !== false && eDtype !== undefined && parts.dtype !== eDtype) {
    throw new Error(`dtype mismatch: kit ${parts.dtype} vs expected ${eDtype}`);
  }
  if (parts.data.length !== eValues.length) {
    throw new Error(`length mismatch: kit ${parts.data.length} vs expected ${eValues.length}`);
  }
  for (let i = 0; i < eValues.length; i++) {
    const a = parts.data[i]!;
    const b = eValues[i]!;
    if (!close(a, b, atol, rtol)) {
      throw new Error(`mismatch at flat index ${i} of shape [${parts.shape.join(", ")}]: kit ${a} vs expected ${b} (atol ${atol}, rtol ${rtol})`);
    }
  }
}

/** Asserts that fn throws a KitError whose message contains every given fragment. */
export function messageOf(fn: () => unknown): { message: string; messageJa: string; name: string } {
  try {
    fn();
  } catch (e) {
    const err = e as { message?: unknown; messageJa?: unknown; name?: unknown };
    return { message: String(err.message), messageJa: String(err.messageJa), name: String(err.name) };
  }
  throw new Error("expected the call to throw");
}

export function isKitTensor(x: unknown): x is Tensor {
  return x instanceof Tensor;
}
