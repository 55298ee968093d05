/**
 * Shape ops. Every op returns a new tensor with its own dense row-major data; the virtual
 * PyTorch strides are propagated so that contiguity and view() follow PyTorch.
 */
import type { DType, Storage } from "./dtype.ts";
import { alloc, promoteTypes } from "./dtype.ts";
import { KitError, fmtShape } from "./errors.ts";
import {
  computeViewStrides, contiguousStrides, flatArgs, inferShape, normDim, sameShape, shapeNumel, stridesAreDense,
} from "./shape-utils.ts";
import { stridedCopy } from "./strided.ts";
import type { ShapeArgs, Tensor } from "./tensor.ts";
import { dataOf, describe, dtypeOf, isTensor, makeTensor, shapeOf, stridesOf } from "./tensor.ts";
import { castTo, requireTensor } from "./ops-elementwise.ts";

function copyData(x: Tensor): Storage {
  const src = dataOf(x);
  const out = alloc(dtypeOf(x), src.length, shapeOf(x));
  out.set(src);
  return out;
}

/** Virtual strides (PyTorch's view of the layout). */
function vstrides(x: Tensor): number[] {
  const st = stridesOf(x);
  return st ? st.slice() : contiguousStrides(shapeOf(x));
}

/** Copies x into a new tensor of outShape reading src[base + i·srcStrides]. */
function gather(x: Tensor, outShape: number[], base: number, srcStrides: readonly number[], vst: number[] | null): Tensor {
  const d = dtypeOf(x);
  const out = alloc(d, shapeNumel(outShape), outShape);
  stridedCopy(out, 0, contiguousStrides(outShape), dataOf(x), base, srcStrides, outShape);
  return makeTensor(d, outShape, out, vst);
}

export function clone(t: Tensor): Tensor {
  const x = requireTensor(t, "clone", "input");
  const st = stridesOf(x);
  const keep = st !== null && stridesAreDense(shapeOf(x), st) ? st.slice() : null;
  return makeTensor(dtypeOf(x), shapeOf(x).slice(), copyData(x), keep);
}

/** A contiguous copy (the kit never aliases: even an already contiguous tensor is copied). */
export function contiguous(t: Tensor): Tensor {
  const x = requireTensor(t, "contiguous", "input");
  return makeTensor(dtypeOf(x), shapeOf(x).slice(), copyData(x), null);
}

export function view(t: Tensor, args: ShapeArgs): Tensor {
  const x = requireTensor(t, "view", "input");
  const shape = shapeOf(x);
  const newShape = inferShape(flatArgs(args), shapeNumel(shape));
  const st = stridesOf(x);
  let newStrides: number[] | null = null;
  if (st !== null) {
    newStrides = computeViewStrides(shape, st, newShape);
    if (newStrides === null) {
      throw new KitError(
        "view size is not compatible with input tensor's size and stride (at least one dimension spans across two contiguous subspaces). " +
          `Use .reshape(...) instead. (input shape ${fmtShape(shape)} is not contiguous, requested shape ${fmtShape(newShape)})`,
        "view のサイズが入力テンソルのサイズとストライドに適合しません（少なくとも 1 つの次元が 2 つの連続領域にまたがっています）。" +
          `代わりに .reshape(...) を使うか、先に .contiguous() を呼んでください。（入力の形状 ${fmtShape(shape)} は連続ではありません。要求された形状 ${fmtShape(newShape)}）`,
      );
    }
  }
  return makeTensor(dtypeOf(x), newShape, copyData(x), newStrides);
}

export function reshape(t: Tensor, args: ShapeArgs): Tensor {
  const x = requireTensor(t, "reshape", "input");
  const shape = shapeOf(x);
  const newShape = inferShape(flatArgs(args), shapeNumel(shape));
  const st = stridesOf(x);
  const newStrides = st !== null ? computeViewStrides(shape, st, newShape) : null;
  return makeTensor(dtypeOf(x), newShape, copyData(x), newStrides);
}

function permuteImpl(x: Tensor, perm: readonly number[]): Tensor {
  const shape = shapeOf(x);
  const dense = contiguousStrides(shape);
  const vst = vstrides(x);
  const outShape = perm.map((p) => shape[p]!);
  return gather(x, outShape, 0, perm.map((p) => dense[p]!), perm.map((p) => vst[p]!));
}

export function transpose(t: Tensor, dim0: number, dim1: number): Tensor {
  const x = requireTensor(t, "transpose", "input");
  const nd = shapeOf(x).length;
  const a = normDim(dim0, nd);
  const b = normDim(dim1, nd);
  if (nd < 2 || a === b) return makeTensor(dtypeOf(x), shapeOf(x).slice(), copyData(x), stridesOf(x)?.slice() ?? null);
  const perm: number[] = [];
  for (let i = 0; i < nd; i++) perm.push(i === a ? b : i === b ? a : i);
  return permuteImpl(x, perm);
}

export function permute(t: Tensor, args: ShapeArgs): Tensor {
  const x = requireTensor(t, "permute", "input");
  const shape = shapeOf(x);
  const nd = shape.length;
  const dims = flatArgs(args);
  if (dims.length !== nd) {
    throw new KitError(
      `permute(): number of dims don't match in permute: input.dim() = ${nd} is not equal to len(dims) = ${dims.length} (shape ${fmtShape(shape)}, dims ${fmtShape(dims)})`,
      `permute(): 次元の数が一致しません: input.dim() = ${nd} ですが len(dims) = ${dims.length} です（形状 ${fmtShape(shape)}、dims ${fmtShape(dims)}）`,
    );
  }
  const perm = dims.map((d) => normDim(d, nd));
  const seen = new Array<boolean>(nd).fill(false);
  for (const p of perm) {
    if (seen[p]) {
      throw new KitError(
        `permute(): duplicate dims are not allowed (dims ${fmtShape(dims)})`,
        `permute(): 同じ次元を重複して指定することはできません（dims ${fmtShape(dims)}）`,
      );
    }
    seen[p] = true;
  }
  return permuteImpl(x, perm);
}

export function unsqueeze(t: Tensor, dim: number): Tensor {
  const x = requireTensor(t, "unsqueeze", "input");
  const shape = shapeOf(x);
  const nd = shape.length;
  const d = normDim(dim, nd + 1);
  const vst = vstrides(x);
  const newShape = shape.slice();
  newShape.splice(d, 0, 1);
  const ns = d >= nd ? 1 : shape[d]! * vst[d]!;
  vst.splice(d, 0, ns);
  return makeTensor(dtypeOf(x), newShape, copyData(x), stridesOf(x) ? vst : null);
}

export function squeeze(t: Tensor, dim?: number | readonly number[] | null): Tensor {
  const x = requireTensor(t, "squeeze", "input");
  const shape = shapeOf(x);
  const nd = shape.length;
  const drop = new Array<boolean>(nd).fill(false);
  if (dim === undefined || dim === null) {
    for (let d = 0; d < nd; d++) drop[d] = shape[d] === 1;
  } else {
    const list: readonly number[] = typeof dim === "number" ? [dim] : dim;
    for (const dd of list) {
      const d = normDim(dd, nd);
      if (nd > 0 && shape[d] === 1) drop[d] = true;
    }
  }
  const vst = vstrides(x);
  const newShape: number[] = [];
  const newSt: number[] = [];
  for (let d = 0; d < nd; d++) {
    if (drop[d]) continue;
    newShape.push(shape[d]!);
    newSt.push(vst[d]!);
  }
  return makeTensor(dtypeOf(x), newShape, copyData(x), stridesOf(x) ? newSt : null);
}

export function flatten(t: Tensor, startDim = 0, endDim = -1): Tensor {
  const x = requireTensor(t, "flatten", "input");
  const shape = shapeOf(x);
  const nd = shape.length;
  if (nd === 0) return reshape(x, [1]);
  const s = normDim(startDim, nd);
  const e = normDim(endDim, nd);
  if (s > e) {
    throw new KitError(
      `flatten() has invalid args: start_dim cannot come after end_dim (start_dim=${startDim}, end_dim=${endDim}, shape ${fmtShape(shape)})`,
      `flatten() の引数が不正です: start_dim は end_dim より後にできません（start_dim=${startDim}、end_dim=${endDim}、形状 ${fmtShape(shape)}）`,
    );
  }
  const newShape = shape.slice(0, s);
  let m = 1;
  for (let d = s; d <= e; d++) m *= shape[d]!;
  newShape.push(m);
  for (let d = e + 1; d < nd; d++) newShape.push(shape[d]!);
  return reshape(x, newShape);
}

export function expand(t: Tensor, args: ShapeArgs): Tensor {
  const x = requireTensor(t, "expand", "input");
  const shape = shapeOf(x);
  const nd = shape.length;
  const req = flatArgs(args);
  if (req.length < nd) {
    throw new KitError(
      `expand: the number of sizes provided (${req.length}) must be greater or equal to the number of dimensions in the tensor (${nd}); ` +
        `target sizes ${fmtShape(req)}, tensor sizes ${fmtShape(shape)}`,
      `expand: 指定したサイズの数 (${req.length}) はテンソルの次元数 (${nd}) 以上でなければなりません。目標サイズ ${fmtShape(req)}、テンソルのサイズ ${fmtShape(shape)}`,
    );
  }
  const off = req.length - nd;
  const dense = contiguousStrides(shape);
  const vst = vstrides(x);
  const outShape: number[] = [];
  const src: number[] = [];
  const vout: number[] = [];
  for (let i = 0; i < req.length; i++) {
    const r = req[i]!;
    if (!Number.isInteger(r) || r < -1) {
      throw new KitError(`expand: invalid size ${r} (target sizes ${fmtShape(req)})`, `expand: 不正なサイズ ${r}（目標サイズ ${fmtShape(req)}）`);
    }
    if (i < off) {
      if (r === -1) {
        throw new KitError(
          `The expanded size of the tensor (-1) isn't allowed in a leading, non-existing dimension ${i}; target sizes ${fmtShape(req)}, tensor sizes ${fmtShape(shape)}`,
          `先頭に追加される次元 ${i} には -1 を指定できません。目標サイズ ${fmtShape(req)}、テンソルのサイズ ${fmtShape(shape)}`,
        );
      }
      outShape.push(r);
      src.push(0);
      vout.push(0);
      continue;
    }
    const s = shape[i - off]!;
    const target = r === -1 ? s : r;
    if (target === s) {
      outShape.push(s);
      src.push(dense[i - off]!);
      vout.push(vst[i - off]!);
    } else if (s === 1) {
      outShape.push(target);
      src.push(0);
      vout.push(0);
    } else {
      throw new KitError(
        `The expanded size of the tensor (${target}) must match the existing size (${s}) at non-singleton dimension ${i}.  ` +
          `Target sizes: ${fmtShape(req)}.  Tensor sizes: ${fmtShape(shape)}`,
        `拡張後のサイズ (${target}) は、サイズ 1 でない次元 ${i} の既存のサイズ (${s}) と一致しなければなりません。` +
          `目標サイズ: ${fmtShape(req)}、テンソルのサイズ: ${fmtShape(shape)}`,
      );
    }
  }
  return gather(x, outShape, 0, src, vout);
}

export function repeat(t: Tensor, args: ShapeArgs): Tensor {
  const x = requireTensor(t, "repeat", "input");
  const shape = shapeOf(x);
  const reps = flatArgs(args);
  if (reps.length < shape.length) {
    throw new KitError(
      `Number of dimensions of repeat dims can not be smaller than number of dimensions of tensor (repeats ${fmtShape(reps)}, shape ${fmtShape(shape)})`,
      `repeat の次元数はテンソルの次元数より少なくできません（repeats ${fmtShape(reps)}、形状 ${fmtShape(shape)}）`,
    );
  }
  const padded = new Array<number>(reps.length - shape.length).fill(1).concat(shape);
  const dense = contiguousStrides(padded);
  const big: number[] = [];
  const src: number[] = [];
  const outShape: number[] = [];
  for (let i = 0; i < reps.length; i++) {
    const r = reps[i]!;
    if (!Number.isInteger(r) || r < 0) {
      throw new KitError(`repeat: invalid number of repetitions ${r}`, `repeat: 不正な繰り返し回数 ${r}`);
    }
    big.push(r, padded[i]!);
    src.push(0, dense[i]!);
    outShape.push(r * padded[i]!);
  }
  const d = dtypeOf(x);
  const out = alloc(d, shapeNumel(outShape), outShape);
  stridedCopy(out, 0, contiguousStrides(big), dataOf(x), 0, src, big);
  return makeTensor(d, outShape, out);
}

/** Strided sub-range along one dim: start, len elements, step. */
function sliceImpl(x: Tensor, dim: number, start: number, len: number, step: number): Tensor {
  const shape = shapeOf(x);
  const dense = contiguousStrides(shape);
  const outShape = shape.slice();
  outShape[dim] = len;
  const src = dense.slice();
  src[dim] = dense[dim]! * step;
  const vst = vstrides(x);
  vst[dim] = vst[dim]! * step;
  return gather(x, outShape, start * dense[dim]!, src, vst);
}

export function narrow(t: Tensor, dim: number, start: number, length: number): Tensor {
  const x = requireTensor(t, "narrow", "input");
  const shape = shapeOf(x);
  if (shape.length === 0) {
    throw new KitError("narrow() cannot be applied to a 0-dim tensor.", "narrow() は 0 次元テンソルには使えません。");
  }
  const d = normDim(dim, shape.length);
  const size = shape[d]!;
  if (!Number.isInteger(start) || start < -size || start > size) {
    throw new KitError(
      `start out of range (expected to be in range of [${-size}, ${size}], but got ${start}) (shape ${fmtShape(shape)}, dim ${d})`,
      `start が範囲外です（[${-size}, ${size}] の範囲を期待しましたが ${start} が指定されました）（形状 ${fmtShape(shape)}、次元 ${d}）`,
    );
  }
  const s = start < 0 ? start + size : start;
  if (!Number.isInteger(length) || length < 0 || s + length > size) {
    throw new KitError(
      `start (${s}) + length (${length}) exceeds dimension size (${size}) (shape ${fmtShape(shape)}, dim ${d}).`,
      `start (${s}) + length (${length}) が次元のサイズ (${size}) を超えています（形状 ${fmtShape(shape)}、次元 ${d}）。`,
    );
  }
  return sliceImpl(x, d, s, length, 1);
}

/** Python slice semantics (negatives count from the end, out-of-range bounds are clamped). */
function sliceGeometry(size: number, start: number | null | undefined, end: number | null | undefined, step: number): [number, number] {
  if (!Number.isInteger(step) || step <= 0) {
    throw new KitError(`slice step must be a positive integer, but got ${step}`, `slice の step は正の整数でなければなりません（${step} が指定されました）`);
  }
  let s = start ?? 0;
  let e = end ?? size;
  if (!Number.isInteger(s) || !Number.isInteger(e)) {
    throw new KitError(`slice indices must be integers, but got start=${s}, end=${e}`, `slice のインデックスは整数でなければなりません（start=${s}、end=${e}）`);
  }
  if (s < 0) s += size;
  if (e < 0) e += size;
  s = Math.min(Math.max(s, 0), size);
  e = Math.min(Math.max(e, 0), size);
  const len = e > s ? Math.ceil((e - s) / step) : 0;
  return [s, len];
}

export function slice(t: Tensor, dim: number, start?: number | null, end?: number | null, step = 1): Tensor {
  const x = requireTensor(t, "slice", "input");
  const shape = shapeOf(x);
  if (shape.length === 0) {
    throw new KitError("slice() cannot be applied to a 0-dim tensor.", "slice() は 0 次元テンソルには使えません。");
  }
  const d = normDim(dim, shape.length);
  const [s, len] = sliceGeometry(shape[d]!, start, end, step);
  return sliceImpl(x, d, s, len, step);
}

export function select(t: Tensor, dim: number, index: number): Tensor {
  const x = requireTensor(t, "select", "input");
  const shape = shapeOf(x);
  if (shape.length === 0) {
    throw new KitError("select() cannot be applied to a 0-dim tensor.", "select() は 0 次元テンソルには使えません。");
  }
  const d = normDim(dim, shape.length);
  const size = shape[d]!;
  if (!Number.isInteger(index) || index < -size || index >= size) {
    throw new KitError(
      `select(): index ${index} out of range for tensor of size ${fmtShape(shape)} at dimension ${d}`,
      `select(): インデックス ${index} は形状 ${fmtShape(shape)} のテンソルの次元 ${d} の範囲外です`,
    );
  }
  const i = index < 0 ? index + size : index;
  const dense = contiguousStrides(shape);
  const vst = vstrides(x);
  const outShape = shape.slice();
  outShape.splice(d, 1);
  const src = dense.slice();
  src.splice(d, 1);
  vst.splice(d, 1);
  return gather(x, outShape, i * dense[d]!, src, vst);
}

export function indexSelect(t: Tensor, dim: number, idx: Tensor): Tensor {
  const x = requireTensor(t, "index_select", "input");
  const index = requireTensor(idx, "index_select", "index");
  const shape = shapeOf(x);
  const is = shapeOf(index);
  if (dtypeOf(index) !== "int32") {
    throw new KitError(
      `index_select(): Expected dtype int32 for index but got ${dtypeOf(index)} (index shape ${fmtShape(is)}); use .int()`,
      `index_select(): index の dtype は int32 でなければなりませんが ${dtypeOf(index)} です（index の形状 ${fmtShape(is)}）。.int() を使ってください`,
    );
  }
  if (is.length > 1) {
    throw new KitError(
      `index_select(): Index is supposed to be a vector, but got shape ${fmtShape(is)} (input shape ${fmtShape(shape)})`,
      `index_select(): index は 1 次元でなければなりませんが、形状 ${fmtShape(is)} です（入力の形状 ${fmtShape(shape)}）`,
    );
  }
  const nd = shape.length;
  const d = normDim(dim, nd);
  const size = nd === 0 ? 1 : shape[d]!;
  const ids = dataOf(index);
  const m = ids.length;
  for (let k = 0; k < m; k++) {
    const v = ids[k]!;
    // PyTorch's index_select does not wrap negative indices: -1 is out of range, not the last.
    if (v < 0 || v >= size) {
      throw new KitError(
        `index out of range in self: index ${v} is out of bounds for dimension ${d} with size ${size} (input shape ${fmtShape(shape)}); index_select takes indices in [0, ${size})`,
        `インデックスが範囲外です: インデックス ${v} はサイズ ${size} の次元 ${d} の範囲外です（入力の形状 ${fmtShape(shape)}）`,
      );
    }
  }
  let outer = 1;
  let inner = 1;
  for (let i = 0; i < d; i++) outer *= shape[i]!;
  for (let i = d + 1; i < nd; i++) inner *= shape[i]!;
  const outShape = nd === 0 ? (is.length === 0 ? [] : [m]) : shape.slice();
  if (nd > 0) outShape[d] = m;
  const dt = dtypeOf(x);
  const out = alloc(dt, outer * m * inner, outShape);
  const src = dataOf(x);
  let o = 0;
  for (let a = 0; a < outer; a++) {
    const base = a * size * inner;
    for (let k = 0; k < m; k++) {
      let v = ids[k]!;
      if (v < 0) v += size;
      const from = base + v * inner;
      for (let j = 0; j < inner; j++) out[o++] = src[from + j]!;
    }
  }
  return makeTensor(dt, outShape, out);
}

export function sliceScatter(t: Tensor, s: Tensor, dim = 0, start?: number | null, end?: number | null, step = 1): Tensor {
  const x = requireTensor(t, "slice_scatter", "input");
  let src = requireTensor(s, "slice_scatter", "src");
  const shape = shapeOf(x);
  if (shape.length === 0) {
    throw new KitError("slice_scatter() cannot be applied to a 0-dim tensor.", "slice_scatter() は 0 次元テンソルには使えません。");
  }
  const d = normDim(dim, shape.length);
  const [st, len] = sliceGeometry(shape[d]!, start, end, step);
  const sliceShape = shape.slice();
  sliceShape[d] = len;
  const ss = shapeOf(src);
  if (!sameShape(ss, sliceShape)) {
    throw new KitError(
      `slice_scatter: expected src to have a size equal to the slice of self. src size = ${fmtShape(ss)}, slice size = ${fmtShape(sliceShape)} (self shape ${fmtShape(shape)})`,
      `slice_scatter: src の形状はスライスの形状と同じでなければなりません。src の形状 = ${fmtShape(ss)}、スライスの形状 = ${fmtShape(sliceShape)}（self の形状 ${fmtShape(shape)}）`,
    );
  }
  if (dtypeOf(src) !== dtypeOf(x)) src = castTo(src, dtypeOf(x));
  const out = copyData(x);
  const dense = contiguousStrides(shape);
  const dst = dense.slice();
  dst[d] = dense[d]! * step;
  stridedCopy(out, st * dense[d]!, dst, dataOf(src), 0, contiguousStrides(sliceShape), sliceShape);
  // The result is a clone of self: PyTorch keeps the layout only of a dense (non-overlapping) self.
  const vst = stridesOf(x);
  return makeTensor(dtypeOf(x), shape.slice(), out, vst !== null && stridesAreDense(shape, vst) ? vst.slice() : null);
}

function tensorList(list: unknown, fn: string): Tensor[] {
  if (!Array.isArray(list) || list.length === 0) {
    throw new KitError(`${fn}(): expected a non-empty list of Tensors`, `${fn}(): 空でない Tensor の配列が必要です`);
  }
  const out: Tensor[] = [];
  for (let i = 0; i < list.length; i++) {
    const t: unknown = list[i];
    if (!isTensor(t)) {
      throw new KitError(
        `${fn}(): expected a list of Tensors, but element ${i} is ${describe(t)}`,
        `${fn}(): Tensor の配列が必要ですが、要素 ${i} は ${describe(t)} です`,
      );
    }
    out.push(t);
  }
  return out;
}

export function cat(list: readonly Tensor[], dim = 0): Tensor {
  const all = tensorList(list, "cat");
  // Legacy PyTorch behaviour: 1-D empty tensors are skipped.
  let ts = all.filter((t) => !(shapeOf(t).length === 1 && shapeOf(t)[0] === 0));
  if (ts.length === 0) ts = [all[0]!];
  const ref = ts[0]!;
  const rs = shapeOf(ref);
  const nd = rs.length;
  if (nd === 0) {
    throw new KitError(
      "zero-dimensional tensor (at position 0) cannot be concatenated",
      "0 次元テンソル（位置 0）は連結できません",
    );
  }
  const d = normDim(dim, nd);
  let dtype: DType = dtypeOf(ref);
  let total = 0;
  for (let i = 0; i < ts.length; i++) {
    const t = ts[i]!;
    const s = shapeOf(t);
    if (s.length !== nd) {
      throw new KitError(
        `Tensors must have same number of dimensions: got ${nd} and ${s.length} (shapes ${fmtShape(rs)} and ${fmtShape(s)})`,
        `テンソルの次元数が一致しません: ${nd} と ${s.length}（形状 ${fmtShape(rs)} と ${fmtShape(s)}）`,
      );
    }
    for (let k = 0; k < nd; k++) {
      if (k !== d && s[k] !== rs[k]) {
        throw new KitError(
          `Sizes of tensors must match except in dimension ${d}. Expected size ${rs[k]} but got size ${s[k]} for tensor number ${i} in the list; shapes ${fmtShape(rs)} and ${fmtShape(s)}`,
          `次元 ${d} 以外のテンソルのサイズは一致しなければなりません。リストの ${i} 番目のテンソルの次元 ${k} はサイズ ${rs[k]} であるべきところ ${s[k]} です。形状 ${fmtShape(rs)} と ${fmtShape(s)}`,
        );
      }
    }
    total += s[d]!;
    dtype = promoteTypes(dtype, dtypeOf(t));
  }
  const outShape = rs.slice();
  outShape[d] = total;
  const out = alloc(dtype, shapeNumel(outShape), outShape);
  const od = contiguousStrides(outShape);
  let pos = 0;
  for (const t of ts) {
    const s = shapeOf(t);
    stridedCopy(out, pos * od[d]!, od, dataOf(t), 0, contiguousStrides(s), s);
    pos += s[d]!;
  }
  return makeTensor(dtype, outShape, out);
}

export function stack(list: readonly Tensor[], dim = 0): Tensor {
  const ts = tensorList(list, "stack");
  const s0 = shapeOf(ts[0]!);
  let dtype: DType = dtypeOf(ts[0]!);
  for (let i = 1; i < ts.length; i++) {
    const s = shapeOf(ts[i]!);
    if (!sameShape(s, s0)) {
      throw new KitError(
        `stack expects each tensor to be equal size, but got ${fmtShape(s0)} at entry 0 and ${fmtShape(s)} at entry ${i}`,
        `stack ではすべてのテンソルが同じ形状でなければなりませんが、0 番目は ${fmtShape(s0)}、${i} 番目は ${fmtShape(s)} です`,
      );
    }
    dtype = promoteTypes(dtype, dtypeOf(ts[i]!));
  }
  const d = normDim(dim, s0.length + 1);
  const outShape = s0.slice();
  outShape.splice(d, 0, ts.length);
  const out = alloc(dtype, shapeNumel(outShape), outShape);
  const od = contiguousStrides(outShape);
  const dst = od.slice();
  dst.splice(d, 1);
  const srcSt = contiguousStrides(s0);
  for (let i = 0; i < ts.length; i++) stridedCopy(out, i * od[d]!, dst, dataOf(ts[i]!), 0, srcSt, s0);
  return makeTensor(dtype, outShape, out);
}

/** tril (upper=false) / triu (upper=true) over the last two dims. */
export function triangle(t: Tensor, diagonal: number, upper: boolean): Tensor {
  const fn = upper ? "triu" : "tril";
  const x = requireTensor(t, fn, "input");
  const shape = shapeOf(x);
  if (shape.length < 2) {
    throw new KitError(
      `${fn}: input tensor must have at least 2 dimensions (got shape ${fmtShape(shape)})`,
      `${fn}: 入力テンソルは 2 次元以上でなければなりません（形状 ${fmtShape(shape)}）`,
    );
  }
  if (!Number.isInteger(diagonal)) {
    throw new KitError(`${fn}: diagonal must be an integer, got ${diagonal}`, `${fn}: diagonal は整数でなければなりません（${diagonal}）`);
  }
  const R = shape[shape.length - 2]!;
  const C = shape[shape.length - 1]!;
  const out = copyData(x);
  const mats = R * C === 0 ? 0 : out.length / (R * C);
  for (let m = 0; m < mats; m++) {
    const base = m * R * C;
    for (let i = 0; i < R; i++) {
      const row = base + i * C;
      for (let j = 0; j < C; j++) {
        const keep = upper ? j - i >= diagonal : j - i <= diagonal;
        if (!keep) out[row + j] = 0;
      }
    }
  }
  // PyTorch's tril/triu write a new contiguous tensor whatever the input's layout.
  return makeTensor(dtypeOf(x), shape.slice(), out, null);
}

