/**
 * The Tensor class. Storage lives in ES private fields; the data is always kept dense in
 * row-major order of the tensor's own shape. `#strides` holds the *virtual* PyTorch strides
 * (null = contiguous) so that `isContiguous()` and `view()` behave as in PyTorch after
 * transpose/permute/expand, although every op returns a new tensor.
 *
 * Methods are thin wrappers over the internal op functions; kit internals never call these
 * methods, so any of them can be replaced by the grader without breaking anything else.
 */
import type { DType, Storage } from "./dtype.ts";
import { alloc, normalizeDType } from "./dtype.ts";
import { KitError, fmtShape } from "./errors.ts";
import { isArray, isInteger, safeArrayCopy, typedArrayLength, typedArrayTag } from "./safe.ts";
import { normDim, shapeNumel, stridesAreContiguous } from "./shape-utils.ts";
import * as ew from "./ops-elementwise.ts";
import * as red from "./reductions.ts";
import * as sh from "./shape-ops.ts";
import { matmul as matmulImpl } from "./matmul.ts";
import { softmax as softmaxImpl, logSoftmax as logSoftmaxImpl } from "./kernels-nn.ts";
import { Generator, uniformFill, normalFill } from "./random.ts";

export type Scalar = number | boolean;
/** A tensor or a JS scalar, accepted by the elementwise ops. */
export type TensorLike = Tensor | number | boolean;
export type NestedList = number | NestedList[];
/** Result of max(dim)/min(dim): a [values, indices] pair that also has `.values` / `.indices`. */
export type ValuesIndices = [Tensor, Tensor] & { values: Tensor; indices: Tensor };
export interface VarOptions {
  unbiased?: boolean;
  correction?: number;
  keepdim?: boolean;
}
export type ShapeArgs = number[] | [readonly number[]];

const TOKEN: unique symbol = Symbol("tfm-kit-tensor");

/** Internal accessors (not exported from the package). */
export let dataOf: (t: Tensor) => Storage;
export let shapeOf: (t: Tensor) => readonly number[];
export let dtypeOf: (t: Tensor) => DType;
/** Virtual PyTorch strides; null when contiguous. */
export let stridesOf: (t: Tensor) => readonly number[] | null;
export let isTensor: (x: unknown) => x is Tensor;
/** Builds a tensor around `data` (taking ownership). `strides` are virtual strides or null. */
export let makeTensor: (dtype: DType, shape: number[], data: Storage, strides?: number[] | null) => Tensor;
let tensorPartsImpl: (t: unknown) => TensorParts | null;
let fromPartsImpl: (dtype: unknown, shape: unknown, data: unknown) => Tensor;

export interface TensorParts {
  dtype: DType;
  shape: number[];
  data: Storage;
}

function expectTensor(x: unknown, fn: string, arg: string): Tensor {
  if (!isTensor(x)) {
    throw new KitError(
      `${fn}(): argument '${arg}' must be a Tensor, not ${describe(x)}`,
      `${fn}(): 引数 '${arg}' は Tensor でなければなりません（${describe(x)} が渡されました）`,
    );
  }
  return x;
}

export function describe(x: unknown): string {
  if (x === null) return "null";
  if (Array.isArray(x)) return "Array";
  return typeof x;
}

export class Tensor {
  #dtype: DType;
  #shape: number[];
  #data: Storage;
  #strides: number[] | null;

  #brand(): void {}

  private constructor(token: symbol, dtype: DType, shape: number[], data: Storage, strides: number[] | null) {
    if (token !== TOKEN) {
      throw new KitError(
        "Tensor cannot be constructed with `new`; use torch.tensor(...), torch.zeros(...) and the other factory functions",
        "Tensor は `new` で作れません。torch.tensor(...) や torch.zeros(...) などの生成関数を使ってください",
      );
    }
    this.#dtype = dtype;
    this.#shape = shape;
    this.#data = data;
    this.#strides = strides;
  }

  static {
    dataOf = (t) => t.#data;
    shapeOf = (t) => t.#shape;
    dtypeOf = (t) => t.#dtype;
    stridesOf = (t) => t.#strides;
    isTensor = (x: unknown): x is Tensor => typeof x === "object" && x !== null && #brand in x;
    makeTensor = (dtype, shape, data, strides) => {
      const st = strides && !stridesAreContiguous(shape, strides) ? strides : null;
      return new Tensor(TOKEN, dtype, shape, data, st);
    };
    tensorPartsImpl = (t) => {
      if (typeof t !== "object" || t === null || !(#brand in t)) return null;
      return { dtype: t.#dtype, shape: safeArrayCopy(t.#shape), data: t.#data };
    };
    fromPartsImpl = (dtype, shape, data) => {
      if (dtype !== "float32" && dtype !== "int32" && dtype !== "bool") {
        throw new KitError(`fromParts: invalid dtype ${String(dtype)}`, `fromParts: 不正な dtype ${String(dtype)}`);
      }
      const want = dtype === "float32" ? "Float32Array" : dtype === "int32" ? "Int32Array" : "Uint8Array";
      if (typedArrayTag(data) !== want) {
        throw new KitError(`fromParts: ${dtype} data must be a ${want}`, `fromParts: ${dtype} のデータは ${want} でなければなりません`);
      }
      if (typeof shape !== "object" || shape === null || !isArray(shape)) {
        throw new KitError("fromParts: shape must be an array of integers", "fromParts: shape は整数の配列でなければなりません");
      }
      const src: readonly unknown[] = shape;
      let numel = 1;
      for (let i = 0; i < src.length; i++) {
        const s = src[i];
        if (typeof s !== "number" || !isInteger(s) || s < 0) {
          throw new KitError("fromParts: shape must be an array of non-negative integers", "fromParts: shape は 0 以上の整数の配列でなければなりません");
        }
        numel *= s;
      }
      const dims = safeArrayCopy(src as readonly number[]);
      const len = typedArrayLength(data);
      if (len !== numel) {
        throw new KitError(
          `fromParts: data has ${len} elements but the shape needs ${numel}`,
          `fromParts: データの要素数 ${len} が形状の要素数 ${numel} と一致しません`,
        );
      }
      return new Tensor(TOKEN, dtype, dims, data as Storage, null);
    };
  }

  // ---------------------------------------------------------------- metadata
  /** The shape (a copy). */
  get shape(): number[] {
    return this.#shape.slice();
  }
  get dtype(): DType {
    return this.#dtype;
  }
  get ndim(): number {
    return this.#shape.length;
  }
  dim(): number {
    return this.#shape.length;
  }
  size(): number[];
  size(dim: number): number;
  size(dim?: number): number | number[] {
    if (dim === undefined) return this.#shape.slice();
    if (this.#shape.length === 0) {
      throw new KitError(
        `Dimension specified as ${dim} but tensor has no dimensions`,
        `次元 ${dim} が指定されましたが、テンソルは 0 次元です`,
      );
    }
    return this.#shape[normDim(dim, this.#shape.length)]!;
  }
  numel(): number {
    return shapeNumel(this.#shape);
  }
  isContiguous(): boolean {
    return this.#strides === null;
  }

  // ---------------------------------------------------------------- values
  item(): number {
    const n = this.#data.length;
    if (n !== 1) {
      throw new KitError(
        `a Tensor with ${n} elements cannot be converted to Scalar (shape ${fmtShape(this.#shape)})`,
        `要素数 ${n} のテンソルはスカラーに変換できません（形状 ${fmtShape(this.#shape)}）`,
      );
    }
    return this.#data[0]!;
  }
  tolist(): NestedList {
    return this.#nested();
  }
  #nested(): NestedList {
    const data = this.#data;
    const shape = this.#shape;
    if (shape.length === 0) return data[0]!;
    let pos = 0;
    const build = (d: number): NestedList[] => {
      const out: NestedList[] = [];
      const n = shape[d]!;
      if (d === shape.length - 1) {
        for (let i = 0; i < n; i++) out.push(data[pos++]!);
      } else {
        for (let i = 0; i < n; i++) out.push(build(d + 1));
      }
      return out;
    };
    return build(0);
  }
  /** Element at the given indices (one per dim, negatives allowed). */
  get(...indices: number[]): number {
    const shape = this.#shape;
    if (indices.length !== shape.length) {
      throw new KitError(
        `get(): expected ${shape.length} indices for a tensor of shape ${fmtShape(shape)}, but got ${indices.length}`,
        `get(): 形状 ${fmtShape(shape)} のテンソルには ${shape.length} 個のインデックスが必要ですが、${indices.length} 個が渡されました`,
      );
    }
    let off = 0;
    for (let d = 0; d < shape.length; d++) {
      const size = shape[d]!;
      let i = indices[d]!;
      if (!Number.isInteger(i) || i < -size || i >= size) {
        throw new KitError(
          `index ${i} is out of bounds for dimension ${d} with size ${size}`,
          `インデックス ${i} はサイズ ${size} の次元 ${d} の範囲外です`,
        );
      }
      if (i < 0) i += size;
      off = off * size + i;
    }
    return this.#data[off]!;
  }
  /** A copy of the data (row-major). */
  data(): Float32Array | Int32Array | Uint8Array {
    const out = alloc(this.#dtype, this.#data.length, this.#shape);
    out.set(this.#data);
    return out;
  }
  toString(): string {
    const n = this.#data.length;
    const body = n <= 64 ? JSON.stringify(this.#nested()) : `<${n} elements>`;
    return `tensor(${body}, shape=${fmtShape(this.#shape)}, dtype=${this.#dtype})`;
  }

  // ---------------------------------------------------------------- shape ops
  clone(): Tensor {
    return sh.clone(this);
  }
  contiguous(): Tensor {
    return sh.contiguous(this);
  }
  view(...shape: ShapeArgs): Tensor {
    return sh.view(this, shape);
  }
  reshape(...shape: ShapeArgs): Tensor {
    return sh.reshape(this, shape);
  }
  transpose(dim0: number, dim1: number): Tensor {
    return sh.transpose(this, dim0, dim1);
  }
  permute(...dims: ShapeArgs): Tensor {
    return sh.permute(this, dims);
  }
  unsqueeze(dim: number): Tensor {
    return sh.unsqueeze(this, dim);
  }
  squeeze(dim?: number | readonly number[]): Tensor {
    return sh.squeeze(this, dim);
  }
  flatten(startDim = 0, endDim = -1): Tensor {
    return sh.flatten(this, startDim, endDim);
  }
  expand(...sizes: ShapeArgs): Tensor {
    return sh.expand(this, sizes);
  }
  repeat(...repeats: ShapeArgs): Tensor {
    return sh.repeat(this, repeats);
  }
  narrow(dim: number, start: number, length: number): Tensor {
    return sh.narrow(this, dim, start, length);
  }
  slice(dim: number, start?: number | null, end?: number | null, step = 1): Tensor {
    return sh.slice(this, dim, start, end, step);
  }
  select(dim: number, index: number): Tensor {
    return sh.select(this, dim, index);
  }
  indexSelect(dim: number, index: Tensor): Tensor {
    return sh.indexSelect(this, dim, expectTensor(index, "indexSelect", "index"));
  }
  sliceScatter(src: Tensor, dim = 0, start?: number | null, end?: number | null, step = 1): Tensor {
    return sh.sliceScatter(this, expectTensor(src, "sliceScatter", "src"), dim, start, end, step);
  }
  tril(diagonal = 0): Tensor {
    return sh.triangle(this, diagonal, false);
  }
  triu(diagonal = 0): Tensor {
    return sh.triangle(this, diagonal, true);
  }
  maskedFill(mask: Tensor, value: TensorLike): Tensor {
    return ew.maskedFill(this, mask, value);
  }
  masked_fill(mask: Tensor, value: TensorLike): Tensor {
    return ew.maskedFill(this, mask, value);
  }

  // ---------------------------------------------------------------- elementwise
  add(other: TensorLike): Tensor {
    return ew.binary("add", this, other);
  }
  sub(other: TensorLike): Tensor {
    return ew.binary("sub", this, other);
  }
  mul(other: TensorLike): Tensor {
    return ew.binary("mul", this, other);
  }
  div(other: TensorLike): Tensor {
    return ew.binary("div", this, other);
  }
  pow(exponent: TensorLike): Tensor {
    return ew.binary("pow", this, exponent);
  }
  maximum(other: TensorLike): Tensor {
    return ew.binary("maximum", this, other);
  }
  minimum(other: TensorLike): Tensor {
    return ew.binary("minimum", this, other);
  }
  neg(): Tensor {
    return ew.unary("neg", this);
  }
  abs(): Tensor {
    return ew.unary("abs", this);
  }
  exp(): Tensor {
    return ew.unary("exp", this);
  }
  log(): Tensor {
    return ew.unary("log", this);
  }
  sqrt(): Tensor {
    return ew.unary("sqrt", this);
  }
  rsqrt(): Tensor {
    return ew.unary("rsqrt", this);
  }
  sin(): Tensor {
    return ew.unary("sin", this);
  }
  cos(): Tensor {
    return ew.unary("cos", this);
  }
  tanh(): Tensor {
    return ew.unary("tanh", this);
  }
  sigmoid(): Tensor {
    return ew.unary("sigmoid", this);
  }
  relu(): Tensor {
    return ew.unary("relu", this);
  }
  clamp(min?: TensorLike | null, max?: TensorLike | null): Tensor {
    return ew.clamp(this, min, max);
  }
  eq(other: TensorLike): Tensor {
    return ew.binary("eq", this, other);
  }
  ne(other: TensorLike): Tensor {
    return ew.binary("ne", this, other);
  }
  lt(other: TensorLike): Tensor {
    return ew.binary("lt", this, other);
  }
  le(other: TensorLike): Tensor {
    return ew.binary("le", this, other);
  }
  gt(other: TensorLike): Tensor {
    return ew.binary("gt", this, other);
  }
  ge(other: TensorLike): Tensor {
    return ew.binary("ge", this, other);
  }
  logicalNot(): Tensor {
    return ew.unary("logicalNot", this);
  }
  logicalAnd(other: TensorLike): Tensor {
    return ew.binary("logicalAnd", this, other);
  }
  logicalOr(other: TensorLike): Tensor {
    return ew.binary("logicalOr", this, other);
  }
  isnan(): Tensor {
    return ew.unary("isnan", this);
  }
  isinf(): Tensor {
    return ew.unary("isinf", this);
  }
  isfinite(): Tensor {
    return ew.unary("isfinite", this);
  }

  // ---------------------------------------------------------------- reductions
  sum(dim?: number | readonly number[] | null, keepdim = false): Tensor {
    return red.sum(this, dim, keepdim);
  }
  mean(dim?: number | readonly number[] | null, keepdim = false): Tensor {
    return red.mean(this, dim, keepdim);
  }
  max(): Tensor;
  max(dim: number, keepdim?: boolean): ValuesIndices;
  max(other: Tensor): Tensor;
  max(arg?: number | Tensor, keepdim = false): Tensor | ValuesIndices {
    return red.maxMin(this, arg, keepdim, true);
  }
  min(): Tensor;
  min(dim: number, keepdim?: boolean): ValuesIndices;
  min(other: Tensor): Tensor;
  min(arg?: number | Tensor, keepdim = false): Tensor | ValuesIndices {
    return red.maxMin(this, arg, keepdim, false);
  }
  amax(dim?: number | readonly number[] | null, keepdim = false): Tensor {
    return red.amaxmin(this, dim, keepdim, true);
  }
  amin(dim?: number | readonly number[] | null, keepdim = false): Tensor {
    return red.amaxmin(this, dim, keepdim, false);
  }
  argmax(dim?: number | null, keepdim = false): Tensor {
    return red.argExtreme(this, dim, keepdim, true);
  }
  argmin(dim?: number | null, keepdim = false): Tensor {
    return red.argExtreme(this, dim, keepdim, false);
  }
  var(dim?: number | readonly number[] | null, options?: VarOptions | boolean, keepdim?: boolean): Tensor {
    return red.variance(this, dim, options, keepdim, false);
  }
  std(dim?: number | readonly number[] | null, options?: VarOptions | boolean, keepdim?: boolean): Tensor {
    return red.variance(this, dim, options, keepdim, true);
  }
  any(dim?: number | readonly number[] | null, keepdim = false): Tensor {
    return red.anyAll(this, dim, keepdim, false);
  }
  all(dim?: number | readonly number[] | null, keepdim = false): Tensor {
    return red.anyAll(this, dim, keepdim, true);
  }

  // ---------------------------------------------------------------- nn-ish
  softmax(dim: number): Tensor {
    return softmaxImpl(this, dim);
  }
  logSoftmax(dim: number): Tensor {
    return logSoftmaxImpl(this, dim);
  }
  matmul(other: Tensor): Tensor {
    return matmulImpl(this, expectTensor(other, "matmul", "other"));
  }

  // ---------------------------------------------------------------- dtype
  float(): Tensor {
    return ew.castTo(this, "float32");
  }
  int(): Tensor {
    return ew.castTo(this, "int32");
  }
  bool(): Tensor {
    return ew.castTo(this, "bool");
  }
  to(dtype: DType): Tensor {
    return ew.castTo(this, normalizeDType(dtype));
  }

  // ---------------------------------------------------------------- in place
  fill_(value: TensorLike): this {
    ew.fillInPlace(this, value);
    return this;
  }
  zero_(): this {
    ew.fillInPlace(this, 0);
    return this;
  }
  copy_(src: TensorLike): this {
    ew.copyInto(this, src);
    return this;
  }
  uniform_(a = 0, b = 1, generator?: Generator): this {
    uniformFill(this, a, b, generator);
    return this;
  }
  normal_(mean = 0, std = 1, generator?: Generator): this {
    normalFill(this, mean, std, generator);
    return this;
  }
}

/**
 * Grader entry point: the internals of a kit tensor (dtype, a copy of the shape, and the live
 * data array, row-major), or null when `t` is not a kit tensor. Uses a brand check and calls
 * no overridable method.
 */
export function tensorParts(t: unknown): TensorParts | null {
  return tensorPartsImpl(t);
}

/**
 * Grader entry point: builds a contiguous tensor from a typed array of the matching kind
 * (Float32Array / Int32Array / Uint8Array), taking ownership of `data`.
 */
export function fromParts(dtype: DType, shape: readonly number[], data: Storage): Tensor {
  return fromPartsImpl(dtype, shape, data);
}
