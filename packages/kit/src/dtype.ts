/**
 * Dtypes, storage types, type promotion and the single allocation function.
 */
import { KitError, KitMemoryError } from "./errors.ts";

export type DType = "float32" | "int32" | "bool";
/** Typed array backing a tensor: float32 -> Float32Array, int32 -> Int32Array, bool -> Uint8Array. */
export type Storage = Float32Array | Int32Array | Uint8Array;
/** Any numeric array the kernels read from (storages plus float64 scratch / scalars). */
export type NumArray = Storage | Float64Array;
export type AllocKind = DType | "float64";

const BYTES: Record<AllocKind, number> = { float32: 4, int32: 4, bool: 1, float64: 8 };

/**
 * The one allocation function of the kit. A failed typed-array allocation (RangeError) becomes
 * a KitMemoryError naming the shape, dtype and bytes.
 */
export function alloc(kind: "float32", n: number, shape: readonly number[]): Float32Array;
export function alloc(kind: "int32", n: number, shape: readonly number[]): Int32Array;
export function alloc(kind: "bool", n: number, shape: readonly number[]): Uint8Array;
export function alloc(kind: "float64", n: number, shape: readonly number[]): Float64Array;
export function alloc(kind: DType, n: number, shape: readonly number[]): Storage;
export function alloc(kind: AllocKind, n: number, shape: readonly number[]): NumArray;
export function alloc(kind: AllocKind, n: number, shape: readonly number[]): NumArray {
  try {
    switch (kind) {
      case "float32":
        return new Float32Array(n);
      case "int32":
        return new Int32Array(n);
      case "bool":
        return new Uint8Array(n);
      case "float64":
        return new Float64Array(n);
    }
  } catch (e) {
    if (e instanceof RangeError) throw new KitMemoryError(shape, kind, n * BYTES[kind]);
    throw e;
  }
}

const RANK: Record<DType, number> = { bool: 0, int32: 1, float32: 2 };
const BY_RANK: readonly DType[] = ["bool", "int32", "float32"];

export function dtypeRank(d: DType): number {
  return RANK[d];
}

/** Promotion bool < int32 < float32. */
export function promoteTypes(a: DType, b: DType): DType {
  return RANK[a] >= RANK[b] ? a : b;
}

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;
const FLOAT32_MAX = 3.4028234663852886e38;

/**
 * The dtype category of a JS scalar: booleans -> bool, integral numbers an int32 can hold ->
 * int32, else float32. JS has one number type, so `2.0` is `2`; an integral number beyond int32
 * (`1e10`, `-1e20`) can only have been meant as a float (deviations.json: js-numbers).
 */
export function scalarType(v: number | boolean): DType {
  if (typeof v === "boolean") return "bool";
  return Number.isInteger(v) && v >= INT32_MIN && v <= INT32_MAX ? "int32" : "float32";
}

/**
 * PyTorch's check when a Python number is stored into a tensor (fill_, masked_fill, full):
 * an int tensor cannot hold NaN, an infinity or a value beyond its range, a float32 tensor no
 * finite value beyond float32's range ("value cannot be converted to type float without overflow").
 */
export function checkStorable(v: number, d: DType, fn: string): void {
  let ok = true;
  if (d === "int32") ok = Number.isFinite(v) && v > INT32_MIN - 1 && v < INT32_MAX + 1;
  else if (d === "float32") ok = !Number.isFinite(v) || Math.abs(v) <= FLOAT32_MAX;
  if (!ok) {
    const name = d === "int32" ? "int32" : "float";
    throw new KitError(
      `${fn}: value cannot be converted to type ${name} without overflow (value ${v}, tensor dtype ${d})`,
      `${fn}: 値 ${v} は ${d} のテンソルに入りません（型 ${name} に変換するとオーバーフローします）`,
    );
  }
}

export function rankToDType(r: number): DType {
  return BY_RANK[r] ?? "float32";
}

export function isFloating(d: DType): boolean {
  return d === "float32";
}

/** Accepts the canonical names plus the aliases float / long / int / int64. */
export function normalizeDType(d: unknown): DType {
  switch (d) {
    case "float32":
    case "float":
      return "float32";
    case "int32":
    case "int":
    case "long":
    case "int64":
      return "int32";
    case "bool":
      return "bool";
  }
  throw new KitError(
    `invalid dtype ${String(d)}: expected one of float32, int32, bool (torch.float32, torch.int32, torch.bool)`,
    `不正な dtype ${String(d)}: float32, int32, bool (torch.float32, torch.int32, torch.bool) のいずれかを指定してください`,
  );
}

/** Stores a JS number the way a tensor of dtype `d` would hold it. */
export function castScalar(v: number, d: DType): number {
  if (d === "float32") return Math.fround(v);
  if (d === "int32") return v | 0;
  return v !== 0 ? 1 : 0;
}

/** PyTorch's name for a dtype in messages ("Float", "Int", "Bool"). */
export function torchName(d: DType): string {
  return d === "float32" ? "Float" : d === "int32" ? "Int" : "Bool";
}
