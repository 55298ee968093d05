/**
 * Reductions: sum, mean, var/std, max/min (all, along a dim with indices, against another
 * tensor), amax/amin, argmax/argmin, any/all. Accumulation is in float64.
 */
import type { DType, Storage } from "./dtype.ts";
import { alloc, isFloating, torchName } from "./dtype.ts";
import { KitError, fmtShape } from "./errors.ts";
import { coalesce, forEachRow } from "./broadcast.ts";
import { contiguousStrides, normDim, normDims } from "./shape-utils.ts";
import type { Tensor, ValuesIndices, VarOptions } from "./tensor.ts";
import { dataOf, dtypeOf, isTensor, makeTensor, shapeOf } from "./tensor.ts";
import { binary, requireTensor } from "./ops-elementwise.ts";

type DimArg = number | readonly number[] | null | undefined;

interface ReducePlan {
  /** Output shape (with keepdim applied). */
  outShape: number[];
  outNumel: number;
  /** Number of input elements reduced into each output element. */
  count: number;
  inShape: readonly number[];
  /** Per-input-dim strides into the output (0 on reduced dims). */
  outStrides: number[];
}

function makePlan(x: Tensor, dims: readonly number[], keepdim: boolean): ReducePlan {
  const inShape = shapeOf(x);
  const nd = inShape.length;
  const reduced = new Array<boolean>(nd).fill(false);
  for (const d of dims) reduced[d] = true;
  const kept: number[] = [];
  const outShape: number[] = [];
  let count = 1;
  for (let d = 0; d < nd; d++) {
    if (reduced[d]) {
      count *= inShape[d]!;
      if (keepdim) outShape.push(1);
    } else {
      kept.push(d);
      outShape.push(inShape[d]!);
    }
  }
  const outStrides = new Array<number>(nd).fill(0);
  let acc = 1;
  for (let i = kept.length - 1; i >= 0; i--) {
    const d = kept[i]!;
    outStrides[d] = acc;
    acc *= inShape[d]!;
  }
  return { outShape, outNumel: acc, count, inShape, outStrides };
}

type Mode = "sum" | "sqdev" | "max" | "min" | "nonzero";

/** Reduces x into a float64 accumulator laid out like the output. */
function accumulate(x: Tensor, p: ReducePlan, mode: Mode, mean?: Float64Array): Float64Array {
  const acc = alloc("float64", p.outNumel, p.outShape);
  if (mode === "max") acc.fill(-Infinity);
  else if (mode === "min") acc.fill(Infinity);
  const src = dataOf(x);
  if (src.length === 0) return acc;
  const plan = coalesce(p.inShape, [contiguousStrides(p.inShape), p.outStrides]);
  const last = plan.shape.length - 1;
  const n = plan.shape[last]!;
  const os = plan.strides[1]![last]!;
  const m = mean ?? acc;
  forEachRow(plan, [0, 0], (offs) => {
    const io = offs[0]!;
    const oo = offs[1]!;
    const end = io + n;
    switch (mode) {
      case "sum":
        if (os === 0) {
          let s = 0;
          for (let i = io; i < end; i++) s += src[i]!;
          acc[oo] = acc[oo]! + s;
        } else {
          for (let i = io, o = oo; i < end; i++, o++) acc[o] = acc[o]! + src[i]!;
        }
        return;
      case "sqdev":
        if (os === 0) {
          const mu = m[oo]!;
          let s = 0;
          for (let i = io; i < end; i++) {
            const dv = src[i]! - mu;
            s += dv * dv;
          }
          acc[oo] = acc[oo]! + s;
        } else {
          for (let i = io, o = oo; i < end; i++, o++) {
            const dv = src[i]! - m[o]!;
            acc[o] = acc[o]! + dv * dv;
          }
        }
        return;
      case "max":
      case "min": {
        const isMax = mode === "max";
        if (os === 0) {
          let best = acc[oo]!;
          for (let i = io; i < end && best === best; i++) {
            const v = src[i]!;
            if (v !== v || (isMax ? v > best : v < best)) best = v;
          }
          acc[oo] = best;
        } else {
          for (let i = io, o = oo; i < end; i++, o++) {
            const v = src[i]!;
            const b = acc[o]!;
            if (b === b && (v !== v || (isMax ? v > b : v < b))) acc[o] = v;
          }
        }
        return;
      }
      case "nonzero":
        if (os === 0) {
          let s = 0;
          for (let i = io; i < end; i++) if (src[i] !== 0) s++;
          acc[oo] = acc[oo]! + s;
        } else {
          for (let i = io, o = oo; i < end; i++, o++) if (src[i] !== 0) acc[o] = acc[o]! + 1;
        }
        return;
    }
  });
  return acc;
}

function finish(dtype: DType, p: ReducePlan, acc: Float64Array, scale = 1, sqrt = false): Tensor {
  const out = alloc(dtype, p.outNumel, p.outShape);
  if (sqrt) for (let i = 0; i < acc.length; i++) out[i] = Math.sqrt(acc[i]! * scale);
  else if (scale !== 1) for (let i = 0; i < acc.length; i++) out[i] = acc[i]! * scale;
  else out.set(acc);
  return makeTensor(dtype, p.outShape, out);
}

function requireFloat(x: Tensor, fn: string): void {
  const d = dtypeOf(x);
  if (!isFloating(d)) {
    throw new KitError(
      `${fn}(): could not infer output dtype. Input dtype must be either a floating point or complex dtype. Got: ${torchName(d)} (shape ${fmtShape(shapeOf(x))}). Use .float() first.`,
      `${fn}(): 出力の dtype を決められません。入力は浮動小数点型でなければなりません（dtype ${d}、形状 ${fmtShape(shapeOf(x))}）。先に .float() を使ってください。`,
    );
  }
}

export function sum(t: Tensor, dim: DimArg, keepdim = false): Tensor {
  const x = requireTensor(t, "sum", "input");
  const p = makePlan(x, normDims(dim, shapeOf(x).length), keepdim);
  const outType: DType = dtypeOf(x) === "float32" ? "float32" : "int32";
  return finish(outType, p, accumulate(x, p, "sum"));
}

export function mean(t: Tensor, dim: DimArg, keepdim = false): Tensor {
  const x = requireTensor(t, "mean", "input");
  requireFloat(x, "mean");
  const p = makePlan(x, normDims(dim, shapeOf(x).length), keepdim);
  return finish("float32", p, accumulate(x, p, "sum"), 1 / p.count);
}

/** var / std with Bessel's correction by default (unbiased=true, i.e. correction=1). */
export function variance(
  t: Tensor, dim: DimArg, options: VarOptions | boolean | undefined, keepdimArg: boolean | undefined, sqrt: boolean,
): Tensor {
  const fn = sqrt ? "std" : "var";
  const x = requireTensor(t, fn, "input");
  requireFloat(x, fn);
  let correction = 1;
  let keepdim = keepdimArg ?? false;
  if (typeof options === "boolean") correction = options ? 1 : 0;
  else if (options) {
    if (options.unbiased === false) correction = 0;
    if (typeof options.correction === "number") correction = options.correction;
    if (options.keepdim !== undefined && keepdimArg === undefined) keepdim = options.keepdim;
  }
  const p = makePlan(x, normDims(dim, shapeOf(x).length), keepdim);
  const m = accumulate(x, p, "sum");
  const invN = 1 / p.count;
  for (let i = 0; i < m.length; i++) m[i] = m[i]! * invN;
  const ss = accumulate(x, p, "sqdev", m);
  return finish("float32", p, ss, 1 / Math.max(0, p.count - correction), sqrt);
}

function emptyError(fn: string, x: Tensor): KitError {
  return new KitError(
    `${fn}(): Expected reduction dim to be specified for input.numel() == 0. Specify the reduction dim with the 'dim' argument (shape ${fmtShape(shapeOf(x))}).`,
    `${fn}(): 要素数 0 のテンソルでは reduction の dim を指定する必要があります（形状 ${fmtShape(shapeOf(x))}）。`,
  );
}

/** max()/min() over all elements -> 0-d; max(dim) -> values & indices; max(other) -> maximum. */
export function maxMin(t: Tensor, arg: number | Tensor | undefined | null, keepdim: boolean, isMax: boolean): Tensor | ValuesIndices {
  const fn = isMax ? "max" : "min";
  const x = requireTensor(t, fn, "input");
  if (isTensor(arg)) return binary(isMax ? "maximum" : "minimum", x, arg);
  if (arg === undefined || arg === null) {
    if (dataOf(x).length === 0) throw emptyError(fn, x);
    const p = makePlan(x, normDims(null, shapeOf(x).length), false);
    return finish(dtypeOf(x), p, accumulate(x, p, isMax ? "max" : "min"));
  }
  const [values, indices] = extremeAlongDim(x, arg, keepdim, isMax, true);
  const pair: [Tensor, Tensor] = [values, indices];
  // defineProperty, not assignment: `values` shadows Array.prototype.values, which the sandbox
  // freezes (an assignment would hit the frozen, non-writable inherited property).
  Object.defineProperty(pair, "values", { value: values, enumerable: true, writable: true, configurable: true });
  Object.defineProperty(pair, "indices", { value: indices, enumerable: true, writable: true, configurable: true });
  return pair as [Tensor, Tensor] & { values: Tensor; indices: Tensor };
}

export function amaxmin(t: Tensor, dim: DimArg, keepdim: boolean, isMax: boolean): Tensor {
  const fn = isMax ? "amax" : "amin";
  const x = requireTensor(t, fn, "input");
  const shape = shapeOf(x);
  const dims = normDims(dim, shape.length);
  for (const d of dims) {
    if (shape[d] === 0) {
      throw new KitError(
        `${fn}(): Expected reduction dim ${d} to have non-zero size (shape ${fmtShape(shape)}).`,
        `${fn}(): reduction の次元 ${d} のサイズが 0 です（形状 ${fmtShape(shape)}）。`,
      );
    }
  }
  const p = makePlan(x, dims, keepdim);
  return finish(dtypeOf(x), p, accumulate(x, p, isMax ? "max" : "min"));
}

export function argExtreme(t: Tensor, dim: number | null | undefined, keepdim: boolean, isMax: boolean): Tensor {
  const fn = isMax ? "argmax" : "argmin";
  const x = requireTensor(t, fn, "input");
  const xs = shapeOf(x);
  // PyTorch has no bool kernel, but along a dim of size 1 it never calls one (the answer is 0).
  const trivial = dim !== undefined && dim !== null && xs.length > 0 && xs[normDim(dim, xs.length)] === 1;
  if (dtypeOf(x) === "bool" && !trivial) {
    throw new KitError(
      `"${fn}_cpu" not implemented for 'Bool' (shape ${fmtShape(shapeOf(x))}); convert with .int() or .float() first`,
      `${fn} は bool テンソルには使えません（形状 ${fmtShape(shapeOf(x))}）。先に .int() か .float() で変換してください`,
    );
  }
  if (dim === undefined || dim === null) {
    if (dataOf(x).length === 0) throw emptyError(fn, x);
    const n = dataOf(x).length;
    const flat = makeTensor(dtypeOf(x), [n], dataOf(x));
    const idx = extremeAlongDim(flat, 0, false, isMax, false)[1];
    if (!keepdim) return idx;
    const ones = new Array<number>(shapeOf(x).length).fill(1);
    return makeTensor("int32", ones, dataOf(idx));
  }
  return extremeAlongDim(x, dim, keepdim, isMax, false)[1];
}

/** Values (dtype of x) and int32 indices of the max/min along one dim; first occurrence wins, NaN wins. */
function extremeAlongDim(x: Tensor, dimArg: number, keepdim: boolean, isMax: boolean, wantValues: boolean): [Tensor, Tensor] {
  const shape = shapeOf(x);
  const nd = shape.length;
  const dim = normDim(dimArg, nd);
  const n = nd === 0 ? 1 : shape[dim]!;
  if (n === 0) {
    const fn = isMax ? (wantValues ? "max" : "argmax") : wantValues ? "min" : "argmin";
    throw new KitError(
      `${fn}(): Expected reduction dim ${dim} to have non-zero size (shape ${fmtShape(shape)}).`,
      `${fn}(): reduction の次元 ${dim} のサイズが 0 です（形状 ${fmtShape(shape)}）。`,
    );
  }
  let outer = 1;
  let inner = 1;
  for (let d = 0; d < dim; d++) outer *= shape[d]!;
  for (let d = dim + 1; d < nd; d++) inner *= shape[d]!;
  const outShape: number[] = [];
  for (let d = 0; d < nd; d++) {
    if (d !== dim) outShape.push(shape[d]!);
    else if (keepdim) outShape.push(1);
  }
  const m = outer * inner;
  const src = dataOf(x);
  const idx = alloc("int32", m, outShape);
  const vals: Storage = wantValues ? alloc(dtypeOf(x), m, outShape) : alloc("bool", 0, outShape);
  if (inner === 1) {
    for (let o = 0; o < outer; o++) {
      const base = o * n;
      let best = src[base]!;
      let bi = 0;
      for (let k = 1; k < n && best === best; k++) {
        const v = src[base + k]!;
        if (v !== v || (isMax ? v > best : v < best)) {
          best = v;
          bi = k;
        }
      }
      idx[o] = bi;
      if (wantValues) vals[o] = best;
    }
  } else {
    const best = alloc("float64", inner, [inner]);
    for (let o = 0; o < outer; o++) {
      const base = o * n * inner;
      const ob = o * inner;
      for (let i = 0; i < inner; i++) {
        best[i] = src[base + i]!;
        idx[ob + i] = 0;
      }
      for (let k = 1; k < n; k++) {
        const row = base + k * inner;
        for (let i = 0; i < inner; i++) {
          const v = src[row + i]!;
          const b = best[i]!;
          if (b === b && (v !== v || (isMax ? v > b : v < b))) {
            best[i] = v;
            idx[ob + i] = k;
          }
        }
      }
      if (wantValues) for (let i = 0; i < inner; i++) vals[ob + i] = best[i]!;
    }
  }
  const values = wantValues ? makeTensor(dtypeOf(x), outShape.slice(), vals) : makeTensor("int32", outShape.slice(), idx);
  return [values, makeTensor("int32", outShape, idx)];
}

export function anyAll(t: Tensor, dim: DimArg, keepdim: boolean, isAll: boolean): Tensor {
  const x = requireTensor(t, isAll ? "all" : "any", "input");
  const p = makePlan(x, normDims(dim, shapeOf(x).length), keepdim);
  const acc = accumulate(x, p, "nonzero");
  const out = alloc("bool", p.outNumel, p.outShape);
  for (let i = 0; i < acc.length; i++) out[i] = isAll ? (acc[i] === p.count ? 1 : 0) : acc[i]! > 0 ? 1 : 0;
  return makeTensor("bool", p.outShape, out);
}

