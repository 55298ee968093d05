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

/** The dtype category of a JS scalar: booleans -> bool, integers -> int32, else float32. */
export function scalarType(v: number | boolean): DType {
  if (typeof v === "boolean") return "bool";
  return Number.isInteger(v) ? "int32" : "float32";
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
