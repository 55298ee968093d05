/**
 * Pure helpers on shapes and (virtual) strides. No tensors here.
 */
import { KitError, fmtShape } from "./errors.ts";

export function shapeNumel(shape: readonly number[]): number {
  let n = 1;
  for (let i = 0; i < shape.length; i++) n *= shape[i]!;
  return n;
}

export function contiguousStrides(shape: readonly number[]): number[] {
  const st = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    st[i] = acc;
    acc *= Math.max(shape[i]!, 1);
  }
  return st;
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function checkInt(v: unknown, what: string): number {
  if (typeof v !== "number" || !Number.isInteger(v)) {
    throw new KitError(
      `${what} must be an integer, but got ${String(v)}`,
      `${what} は整数でなければなりません（${String(v)} が指定されました）`,
    );
  }
  return v;
}

/** Wraps a possibly negative dim into [0, ndim). 0-d tensors accept dims in [-1, 0]. */
export function normDim(dim: number, ndim: number): number {
  checkInt(dim, "dim");
  const n = ndim === 0 ? 1 : ndim;
  if (dim < -n || dim >= n) {
    throw new KitError(
      `Dimension out of range (expected to be in range of [${-n}, ${n - 1}], but got ${dim})`,
      `次元が範囲外です（[${-n}, ${n - 1}] の範囲を期待しましたが、${dim} が指定されました）`,
    );
  }
  return dim < 0 ? dim + n : dim;
}

/**
 * Normalizes a `dim` argument of a reduction: undefined/null/[] -> all dims (sorted, unique).
 * Throws on duplicates, like PyTorch.
 */
export function normDims(dim: number | readonly number[] | undefined | null, ndim: number): number[] {
  if (dim === undefined || dim === null) return allDims(ndim);
  const list: readonly number[] = typeof dim === "number" ? [dim] : dim;
  if (list.length === 0) return allDims(ndim);
  const seen = new Array<boolean>(Math.max(ndim, 1)).fill(false);
  const out: number[] = [];
  for (const d of list) {
    const nd = normDim(d, ndim);
    if (seen[nd]) {
      throw new KitError(
        `dim ${nd} appears multiple times in the list of dims`,
        `dim ${nd} が次元リストの中に複数回現れています`,
      );
    }
    seen[nd] = true;
    out.push(nd);
  }
  out.sort((a, b) => a - b);
  // A 0-d tensor has no dims to reduce even when dim 0 / -1 was given.
  return ndim === 0 ? [] : out;
}

function allDims(ndim: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < ndim; i++) out.push(i);
  return out;
}

/** PyTorch's is_contiguous: strides of size-1 dims are ignored; empty tensors are contiguous. */
export function stridesAreContiguous(shape: readonly number[], strides: readonly number[]): boolean {
  if (shapeNumel(shape) === 0) return true;
  let expected = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    const s = shape[d]!;
    if (s === 1) continue;
    if (strides[d] !== expected) return false;
    expected *= s;
  }
  return true;
}

/**
 * PyTorch's computeStride (used by view): the strides a view of `newShape` would have over a
 * tensor of `oldShape`/`oldStrides`, or null if no such view exists.
 */
export function computeViewStrides(
  oldShape: readonly number[],
  oldStrides: readonly number[],
  newShape: readonly number[],
): number[] | null {
  if (oldShape.length === 0) return new Array<number>(newShape.length).fill(1);
  const numel = shapeNumel(oldShape);
  if (numel === 0) return sameShape(oldShape, newShape) ? oldStrides.slice() : contiguousStrides(newShape);
  const newStrides = new Array<number>(newShape.length).fill(0);
  let viewD = newShape.length - 1;
  let chunkBaseStride = oldStrides[oldStrides.length - 1]!;
  let tensorNumel = 1;
  let viewNumel = 1;
  for (let tensorD = oldShape.length - 1; tensorD >= 0; tensorD--) {
    tensorNumel *= oldShape[tensorD]!;
    if (
      tensorD === 0 ||
      (oldShape[tensorD - 1] !== 1 && oldStrides[tensorD - 1] !== tensorNumel * chunkBaseStride)
    ) {
      while (viewD >= 0 && (viewNumel < tensorNumel || newShape[viewD] === 1)) {
        newStrides[viewD] = viewNumel * chunkBaseStride;
        viewNumel *= newShape[viewD]!;
        viewD--;
      }
      if (viewNumel !== tensorNumel) return null;
      if (tensorD > 0) {
        chunkBaseStride = oldStrides[tensorD - 1]!;
        tensorNumel = 1;
        viewNumel = 1;
      }
    }
  }
  if (viewD !== -1) return null;
  return newStrides;
}

/** True when the strides describe a dense, non-overlapping layout (some permutation of contiguous). */
export function stridesAreDense(shape: readonly number[], strides: readonly number[]): boolean {
  const dims: number[] = [];
  for (let d = 0; d < shape.length; d++) if (shape[d] !== 1) dims.push(d);
  dims.sort((x, y) => strides[x]! - strides[y]!);
  let expected = 1;
  for (const d of dims) {
    if (strides[d] !== expected) return false;
    expected *= shape[d]!;
  }
  return true;
}

/** Resolves one -1 in a requested view/reshape shape; throws PyTorch's errors. */
export function inferShape(requested: readonly number[], numel: number): number[] {
  let inferAt = -1;
  let known = 1;
  const out = requested.slice();
  for (let i = 0; i < out.length; i++) {
    const s = checkInt(out[i], "shape dimension");
    if (s === -1) {
      if (inferAt >= 0) {
        throw new KitError("only one dimension can be inferred", "推論できる次元 (-1) は 1 つだけです");
      }
      inferAt = i;
    } else if (s < 0) {
      throw new KitError(`invalid shape dimension ${s}`, `不正な形状の次元 ${s}`);
    } else {
      known *= s;
    }
  }
  const bad = (): KitError =>
    new KitError(
      `shape '${fmtShape(requested)}' is invalid for input of size ${numel}`,
      `形状 '${fmtShape(requested)}' はサイズ ${numel} の入力には不正です`,
    );
  if (inferAt >= 0) {
    if (known === 0 || numel % known !== 0) throw bad();
    out[inferAt] = numel / known;
  } else if (known !== numel) {
    throw bad();
  }
  return out;
}

/** Validates a shape for creation functions (non-negative integers). */
export function checkShape(shape: readonly number[], fn: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < shape.length; i++) {
    const s = shape[i];
    if (typeof s !== "number" || !Number.isInteger(s)) {
      throw new KitError(
        `${fn}(): argument 'size' must be a sequence of integers, but got ${fmtShapeLoose(shape)}`,
        `${fn}(): 引数 'size' は整数の列でなければなりません（${fmtShapeLoose(shape)} が指定されました）`,
      );
    }
    if (s < 0) {
      throw new KitError(
        `Trying to create tensor with negative dimension ${s}: ${fmtShape(shape)}`,
        `負の次元 ${s} を持つテンソルは作れません: ${fmtShape(shape)}`,
      );
    }
    out.push(s);
  }
  return out;
}

function fmtShapeLoose(shape: readonly unknown[]): string {
  return "[" + shape.map((x) => String(x)).join(", ") + "]";
}

/**
 * Splits `(...shape)` / `([shape])` / either followed by an options object.
 * Returns the shape (not validated) and the options object (or undefined).
 */
export function splitShapeArgs(args: readonly unknown[], fn: string): { shape: number[]; options: Record<string, unknown> | undefined } {
  let options: Record<string, unknown> | undefined;
  let end = args.length;
  const last = args[end - 1];
  if (end > 0 && typeof last === "object" && last !== null && !Array.isArray(last)) {
    options = last as Record<string, unknown>;
    end--;
  }
  if (end === 0) {
    // PyTorch has no default size: torch.ones() is an error, torch.ones([]) a 0-d tensor.
    throw new KitError(
      `${fn}() missing the size: pass a shape, e.g. ${fn}(2, 3) or ${fn}([2, 3]) (${fn}([]) makes a 0-d tensor)`,
      `${fn}() にサイズがありません: ${fn}(2, 3) や ${fn}([2, 3]) のように形状を指定してください（${fn}([]) は 0 次元テンソル）`,
    );
  }
  const first = args[0];
  if (end === 1 && Array.isArray(first)) return { shape: (first as unknown[]).map(toNum), options };
  const shape: number[] = [];
  for (let i = 0; i < end; i++) shape.push(toNum(args[i]));
  return { shape, options };
}

function toNum(v: unknown): number {
  return typeof v === "number" ? v : Number.NaN;
}

/** `(...dims)` or `([dims])` -> dims. */
export function flatArgs(args: readonly (number | readonly number[])[]): number[] {
  if (args.length === 1 && Array.isArray(args[0])) return (args[0] as readonly number[]).slice();
  const out: number[] = [];
  for (const a of args) {
    if (typeof a === "number") out.push(a);
    else out.push(Number.NaN);
  }
  return out;
}
