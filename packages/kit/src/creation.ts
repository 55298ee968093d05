/**
 * Tensor factories: tensor, zeros, ones, full, empty, *Like, arange, linspace, eye.
 */
import type { DType, Storage } from "./dtype.ts";
import { alloc, castScalar, checkStorable, normalizeDType, scalarType } from "./dtype.ts";
import { KitError } from "./errors.ts";
import { checkShape, shapeNumel, splitShapeArgs } from "./shape-utils.ts";
import type { Tensor } from "./tensor.ts";
import { describe, dtypeOf, isTensor, makeTensor, shapeOf } from "./tensor.ts";
import { castTo, requireTensor } from "./ops-elementwise.ts";
import { clone } from "./shape-ops.ts";

export interface DTypeOptions {
  dtype?: DType;
}
export type Nested = number | boolean | readonly Nested[] | Float32Array | Int32Array | Uint8Array;

function optDType(o: Record<string, unknown> | DTypeOptions | undefined, dflt: DType): DType {
  const d = o === undefined ? undefined : (o as Record<string, unknown>)["dtype"];
  return d === undefined || d === null ? dflt : normalizeDType(d);
}

function isTyped(x: unknown): x is Float32Array | Int32Array | Uint8Array {
  return x instanceof Float32Array || x instanceof Int32Array || x instanceof Uint8Array;
}

/** torch.tensor(nested, {dtype?}): booleans -> bool, else float32 unless dtype is given. */
export function tensor(data: Nested | Tensor, options?: DTypeOptions): Tensor {
  if (isTensor(data)) {
    const d = options?.dtype !== undefined ? normalizeDType(options.dtype) : dtypeOf(data);
    return d === dtypeOf(data) ? clone(data) : castTo(data, d);
  }
  // Infer the shape from the first element at each level.
  const shape: number[] = [];
  let probe: unknown = data;
  while (Array.isArray(probe) || isTyped(probe)) {
    shape.push(probe.length);
    if (probe.length === 0) break;
    probe = probe[0];
  }
  const n = shapeNumel(shape);
  const values = alloc("float64", n, shape);
  let pos = 0;
  let allBool = true;
  const walk = (node: unknown, d: number, path: string): void => {
    if (d === shape.length) {
      if (typeof node === "boolean") values[pos++] = node ? 1 : 0;
      else if (typeof node === "number") {
        allBool = false;
        values[pos++] = node;
      } else {
        throw new KitError(
          `tensor(): could not convert element ${path} (${describe(node)}) to a number`,
          `tensor(): 要素 ${path}（${describe(node)}）を数値に変換できません`,
        );
      }
      return;
    }
    const isT = isTyped(node);
    if (!Array.isArray(node) && !isT) {
      throw new KitError(
        `tensor(): expected sequence of length ${shape[d]} at dim ${d} (got ${describe(node)} at ${path})`,
        `tensor(): 次元 ${d} に長さ ${shape[d]} の配列が必要です（${path} は ${describe(node)}）`,
      );
    }
    const arr: ArrayLike<unknown> = node as ArrayLike<unknown>;
    if (arr.length !== shape[d]) {
      throw new KitError(
        `tensor(): expected sequence of length ${shape[d]} at dim ${d} (got ${arr.length}); nested arrays must be rectangular`,
        `tensor(): 次元 ${d} に長さ ${shape[d]} の配列が必要です（長さ ${arr.length}）。入れ子の配列は長方形でなければなりません`,
      );
    }
    if (isT) {
      allBool = false;
      for (let i = 0; i < arr.length; i++) values[pos++] = arr[i] as number;
      return;
    }
    for (let i = 0; i < arr.length; i++) walk(arr[i], d + 1, `${path}[${i}]`);
  };
  walk(data, 0, "data");
  if (n === 0) allBool = false;
  const dtype = options?.dtype !== undefined ? normalizeDType(options.dtype) : allBool ? "bool" : "float32";
  const out = alloc(dtype, n, shape);
  for (let i = 0; i < n; i++) out[i] = castScalar(values[i]!, dtype);
  return makeTensor(dtype, shape, out);
}

type ShapeArg = number | readonly number[] | DTypeOptions;

function filled(fn: string, args: readonly unknown[], value: number | boolean, dflt: DType = typeof value === "boolean" ? "bool" : "float32"): Tensor {
  const { shape: raw, options } = splitShapeArgs(args, fn);
  const shape = checkShape(raw, fn);
  const dtype = optDType(options, dflt);
  const num = typeof value === "boolean" ? (value ? 1 : 0) : value;
  checkStorable(num, dtype, fn);
  const out = alloc(dtype, shapeNumel(shape), shape);
  const v = castScalar(num, dtype);
  if (v !== 0) out.fill(v);
  return makeTensor(dtype, shape, out);
}

export function zeros(...args: ShapeArg[]): Tensor {
  return filled("zeros", args, 0);
}
export function ones(...args: ShapeArg[]): Tensor {
  return filled("ones", args, 1);
}
/** torch.empty: zero-filled (the kit never exposes uninitialized memory). */
export function empty(...args: ShapeArg[]): Tensor {
  return filled("empty", args, 0);
}
/**
 * torch.full(shape, value, {dtype?}): like PyTorch, the dtype follows the fill value when none is
 * given: bool for a boolean, int32 for an integral number (PyTorch's int64), else float32.
 */
export function full(shape: readonly number[], value: number | boolean, options?: DTypeOptions): Tensor {
  if (!Array.isArray(shape)) {
    throw new KitError(
      `full(): argument 'size' must be an array of integers, not ${describe(shape)}`,
      `full(): 引数 'size' は整数の配列でなければなりません（${describe(shape)} が渡されました）`,
    );
  }
  if (typeof value !== "number" && typeof value !== "boolean") {
    throw new KitError(`full(): argument 'fill_value' must be a number, not ${describe(value)}`, `full(): 引数 'fill_value' は数値でなければなりません（${describe(value)}）`);
  }
  return filled("full", options ? [shape, options] : [shape], value, scalarType(value));
}

function likeOf(x: Tensor, fn: string, value: number, options?: DTypeOptions): Tensor {
  const t = requireTensor(x, fn, "input");
  const shape = shapeOf(t).slice();
  const dtype = optDType(options, dtypeOf(t));
  checkStorable(value, dtype, fn);
  const out: Storage = alloc(dtype, shapeNumel(shape), shape);
  const v = castScalar(value, dtype);
  if (v !== 0) out.fill(v);
  return makeTensor(dtype, shape, out);
}

export function zerosLike(x: Tensor, options?: DTypeOptions): Tensor {
  return likeOf(x, "zeros_like", 0, options);
}
export function onesLike(x: Tensor, options?: DTypeOptions): Tensor {
  return likeOf(x, "ones_like", 1, options);
}
export function fullLike(x: Tensor, value: number | boolean, options?: DTypeOptions): Tensor {
  return likeOf(x, "full_like", typeof value === "boolean" ? (value ? 1 : 0) : value, options);
}

/**
 * arange(end) / arange(start, end, step=1), each optionally followed by {dtype}.
 * int32 when all arguments are integers, else float32.
 */
export function arange(...args: (number | DTypeOptions)[]): Tensor {
  let options: DTypeOptions | undefined;
  const nums: number[] = [];
  for (const a of args) {
    if (typeof a === "number") nums.push(a);
    else if (typeof a === "object" && a !== null) options = a;
    else nums.push(Number.NaN);
  }
  if (nums.length < 1 || nums.length > 3) {
    throw new KitError(`arange(): expected 1 to 3 numbers (end | start, end[, step]), got ${nums.length}`, `arange(): 数値を 1〜3 個（end | start, end[, step]）指定してください（${nums.length} 個）`);
  }
  let start = nums.length === 1 ? 0 : nums[0]!;
  let end = nums.length === 1 ? nums[0]! : nums[1]!;
  let step = nums[2] ?? 1;
  if (options?.dtype !== undefined && normalizeDType(options.dtype) !== "float32") {
    // An integral dtype: PyTorch converts start, end and step to it first (0.5 -> 0).
    start = Math.trunc(start);
    end = Math.trunc(end);
    step = Math.trunc(step);
  }
  if (!Number.isFinite(start) || !Number.isFinite(end) || !Number.isFinite(step)) {
    throw new KitError(`arange(): unsupported range: ${start} -> ${end} with step ${step}`, `arange(): 不正な範囲: ${start} から ${end}、step ${step}`);
  }
  if (step === 0) throw new KitError("arange(): step must be nonzero", "arange(): step は 0 以外でなければなりません");
  if ((step > 0 && end < start) || (step < 0 && end > start)) {
    throw new KitError(
      `arange(): upper bound and larger bound inconsistent with step sign (start=${start}, end=${end}, step=${step})`,
      `arange(): 範囲と step の符号が矛盾しています（start=${start}、end=${end}、step=${step}）`,
    );
  }
  const allInt = Number.isInteger(start) && Number.isInteger(end) && Number.isInteger(step);
  const dtype = optDType(options, allInt ? "int32" : "float32");
  const n = Math.max(0, Math.ceil((end - start) / step));
  const out = alloc(dtype, n, [n]);
  for (let i = 0; i < n; i++) out[i] = castScalar(start + i * step, dtype);
  return makeTensor(dtype, [n], out);
}

/** linspace(start, end, steps, {dtype?}) with PyTorch's symmetric evaluation. */
export function linspace(start: number, end: number, steps: number, options?: DTypeOptions): Tensor {
  if (!Number.isInteger(steps) || steps < 0) {
    throw new KitError(`linspace(): number of steps must be non-negative, got ${steps}`, `linspace(): steps は 0 以上の整数でなければなりません（${steps}）`);
  }
  const dtype = optDType(options, "float32");
  const out = alloc(dtype, steps, [steps]);
  if (steps === 1) out[0] = castScalar(start, dtype);
  else if (steps > 1) {
    const step = (end - start) / (steps - 1);
    const half = Math.floor(steps / 2);
    for (let i = 0; i < steps; i++) {
      const v = i < half ? start + step * i : end - step * (steps - 1 - i);
      out[i] = castScalar(v, dtype);
    }
  }
  return makeTensor(dtype, [steps], out);
}

/** eye(n, m = n, {dtype?}). */
export function eye(n: number, m?: number | DTypeOptions, options?: DTypeOptions): Tensor {
  let cols = n;
  let opts = options;
  if (typeof m === "number") cols = m;
  else if (m !== undefined) opts = m;
  const shape = checkShape([n, cols], "eye");
  const dtype = optDType(opts, "float32");
  const out = alloc(dtype, n * cols, shape);
  for (let i = 0; i < Math.min(n, cols); i++) out[i * cols + i] = 1;
  return makeTensor(dtype, shape, out);
}

