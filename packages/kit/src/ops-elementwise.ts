/**
 * Elementwise ops with broadcasting: binary arithmetic, comparisons, logical ops, unary math,
 * clamp, where, maskedFill, dtype casts and the in-place fill/copy helpers.
 * Kernels are tight loops per op (the op switch runs once per row, never per element).
 */
import type { DType, NumArray, Storage } from "./dtype.ts";
import { alloc, castScalar, checkStorable, promoteTypes, scalarType, torchName } from "./dtype.ts";
import { KitError, fmtShape } from "./errors.ts";
import { broadcastShapes, broadcastStrides, coalesce, forEachRow } from "./broadcast.ts";
import { contiguousStrides, sameShape, shapeNumel, stridesAreDense } from "./shape-utils.ts";
import { stridedCopy } from "./strided.ts";
import type { Tensor, TensorLike } from "./tensor.ts";
import { dataOf, describe, dtypeOf, isTensor, makeTensor, shapeOf, stridesOf } from "./tensor.ts";
import { WASM_ELEMENTWISE_MIN, wasmElementwise, wasmWhere } from "./wasm-gemm.ts";

export type BinaryOp =
  | "add" | "sub" | "mul" | "div" | "pow" | "maximum" | "minimum"
  | "eq" | "ne" | "lt" | "le" | "gt" | "ge" | "logicalAnd" | "logicalOr";
export type UnaryOp =
  | "neg" | "abs" | "exp" | "log" | "sqrt" | "rsqrt" | "sin" | "cos" | "tanh" | "sigmoid" | "relu"
  | "logicalNot" | "isnan" | "isinf" | "isfinite" | "erf" | "gelu";

interface Operand {
  data: NumArray;
  shape: readonly number[];
  dtype: DType;
}

const EMPTY_SHAPE: readonly number[] = [];

function operand(x: unknown, fn: string, arg: string): Operand {
  if (isTensor(x)) return { data: dataOf(x), shape: shapeOf(x), dtype: dtypeOf(x) };
  if (typeof x === "number" || typeof x === "boolean") {
    const d = alloc("float64", 1, EMPTY_SHAPE);
    d[0] = typeof x === "boolean" ? (x ? 1 : 0) : x;
    return { data: d, shape: EMPTY_SHAPE, dtype: scalarType(x) };
  }
  throw new KitError(
    `${fn}(): argument '${arg}' must be a Tensor or a number, not ${describe(x)}`,
    `${fn}(): 引数 '${arg}' は Tensor か数値でなければなりません（${describe(x)} が渡されました）`,
  );
}

export function requireTensor(x: unknown, fn: string, arg: string): Tensor {
  if (!isTensor(x)) {
    throw new KitError(
      `${fn}(): argument '${arg}' must be a Tensor, not ${describe(x)}`,
      `${fn}(): 引数 '${arg}' は Tensor でなければなりません（${describe(x)} が渡されました）`,
    );
  }
  return x;
}

function isCompare(op: BinaryOp): boolean {
  return op === "eq" || op === "ne" || op === "lt" || op === "le" || op === "gt" || op === "ge";
}

function powf(x: number, y: number): number {
  if (y === 0 || x === 1) return 1;
  if (x === -1 && (y === Infinity || y === -Infinity)) return 1;
  return Math.pow(x, y);
}

function binaryRun(
  op: BinaryOp, out: Storage, o: number,
  a: NumArray, ao: number, as: number,
  b: NumArray, bo: number, bs: number, n: number,
): void {
  const end = o + n;
  switch (op) {
    case "add":
      for (; o < end; o++, ao += as, bo += bs) out[o] = a[ao]! + b[bo]!;
      return;
    case "sub":
      for (; o < end; o++, ao += as, bo += bs) out[o] = a[ao]! - b[bo]!;
      return;
    case "mul":
      for (; o < end; o++, ao += as, bo += bs) out[o] = a[ao]! * b[bo]!;
      return;
    case "div":
      for (; o < end; o++, ao += as, bo += bs) out[o] = a[ao]! / b[bo]!;
      return;
    case "pow":
      for (; o < end; o++, ao += as, bo += bs) out[o] = powf(a[ao]!, b[bo]!);
      return;
    case "maximum":
      for (; o < end; o++, ao += as, bo += bs) out[o] = Math.max(a[ao]!, b[bo]!);
      return;
    case "minimum":
      for (; o < end; o++, ao += as, bo += bs) out[o] = Math.min(a[ao]!, b[bo]!);
      return;
    case "eq":
      for (; o < end; o++, ao += as, bo += bs) out[o] = a[ao]! === b[bo]! ? 1 : 0;
      return;
    case "ne":
      for (; o < end; o++, ao += as, bo += bs) out[o] = a[ao]! !== b[bo]! ? 1 : 0;
      return;
    case "lt":
      for (; o < end; o++, ao += as, bo += bs) out[o] = a[ao]! < b[bo]! ? 1 : 0;
      return;
    case "le":
      for (; o < end; o++, ao += as, bo += bs) out[o] = a[ao]! <= b[bo]! ? 1 : 0;
      return;
    case "gt":
      for (; o < end; o++, ao += as, bo += bs) out[o] = a[ao]! > b[bo]! ? 1 : 0;
      return;
    case "ge":
      for (; o < end; o++, ao += as, bo += bs) out[o] = a[ao]! >= b[bo]! ? 1 : 0;
      return;
    case "logicalAnd":
      for (; o < end; o++, ao += as, bo += bs) out[o] = a[ao]! !== 0 && b[bo]! !== 0 ? 1 : 0;
      return;
    case "logicalOr":
      for (; o < end; o++, ao += as, bo += bs) out[o] = a[ao]! !== 0 || b[bo]! !== 0 ? 1 : 0;
      return;
  }
}

/**
 * A large float32 op (equal shapes, or a scalar against a tensor) in WebAssembly, the JS loop's
 * result to the bit (wasm-gemm.ts: wasmElementwise); false when it does not run there.
 */
function viaWasm(op: BinaryOp, a: Operand, b: Operand, same: boolean, outType: DType, out: Storage, numel: number): boolean {
  // A comparison's result is bool; the arithmetic ops there have a float32 result or stay in JS (an
  // op without a kernel, pow or the logical ones, gets false from wasmElementwise).
  if (!isCompare(op) && outType !== "float32") return false;
  const aScalar = !same && a.shape.length === 0;
  const bScalar = !same && b.shape.length === 0;
  if ((!aScalar && a.dtype !== "float32") || (!bScalar && b.dtype !== "float32")) return false;
  return wasmElementwise(op, aScalar ? null : (a.data as Float32Array), aScalar ? a.data[0]! : 0, bScalar ? null : (b.data as Float32Array), bScalar ? b.data[0]! : 0, out as Float32Array | Uint8Array, numel);
}

/** Elementwise binary op with broadcasting and type promotion. */
export function binary(op: BinaryOp, x: TensorLike, y: TensorLike): Tensor {
  if (!isTensor(x) && !isTensor(y)) requireTensor(x, op, "input");
  const a = operand(x, op, "input");
  const b = operand(y, op, "other");
  let outType: DType;
  if (isCompare(op) || op === "logicalAnd" || op === "logicalOr") outType = "bool";
  else if (op === "div") outType = "float32";
  else outType = promoteTypes(a.dtype, b.dtype);
  if (op === "sub" && a.dtype === "bool" && b.dtype === "bool") {
    throw new KitError(
      "Subtraction, the `-` operator, with two bool tensors is not supported. Use the `logicalXor()` or `logicalNot()` ops instead.",
      "bool テンソル同士の引き算はサポートされていません。マスクを反転するには logicalNot() を使ってください。",
    );
  }
  if (op === "sub" && (a.dtype === "bool" || b.dtype === "bool")) {
    throw new KitError(
      `Subtraction, the \`-\` operator, with a bool tensor is not supported (shapes ${fmtShape(a.shape)} and ${fmtShape(b.shape)}). ` +
        "If you are trying to invert a mask, use `logicalNot()` instead; convert with .float() or .int() to subtract.",
      `bool テンソルの引き算はサポートされていません（形状 ${fmtShape(a.shape)} と ${fmtShape(b.shape)}）。` +
        "マスクを反転するには logicalNot() を、引き算するには先に .float() か .int() で変換してください。",
    );
  }
  if (op === "pow" && a.dtype === "bool" && b.dtype === "bool") {
    throw new KitError(
      `"pow" not implemented for 'Bool' (shapes ${fmtShape(a.shape)} and ${fmtShape(b.shape)}); convert with .float() or .int() first`,
      `pow は bool 同士には使えません（形状 ${fmtShape(a.shape)} と ${fmtShape(b.shape)}）。先に .float() か .int() で変換してください`,
    );
  }
  if (op === "pow" && outType === "int32" && !isTensor(y) && typeof y === "number" && y < 0) {
    throw new KitError(
      "Integers to negative integer powers are not allowed.",
      "整数を負の整数乗することはできません。",
    );
  }
  const same = sameShape(a.shape, b.shape);
  const outShape = same ? a.shape.slice() : broadcastShapes(a.shape, b.shape);
  const numel = shapeNumel(outShape);
  const out = alloc(outType, numel, outShape);
  if (numel === 0) return makeTensor(outType, outShape, out);
  // The common cases in one run, without an iteration plan (cheap for small tensors in a cold
  // isolate): equal shapes, or a scalar / 0-d operand against a tensor.
  const aScalar = a.shape.length === 0;
  const bScalar = b.shape.length === 0;
  if (same || aScalar || bScalar) {
    if (numel >= WASM_ELEMENTWISE_MIN && viaWasm(op, a, b, same, outType, out, numel)) return makeTensor(outType, outShape, out);
    binaryRun(op, out, 0, a.data, 0, aScalar && !same ? 0 : 1, b.data, 0, bScalar && !same ? 0 : 1, numel);
    if (outType === "bool" && op === "add") for (let i = 0; i < numel; i++) out[i] = out[i]! !== 0 ? 1 : 0;
    return makeTensor(outType, outShape, out);
  }
  const plan = coalesce(outShape, [
    contiguousStrides(outShape),
    broadcastStrides(a.shape, outShape),
    broadcastStrides(b.shape, outShape),
  ]);
  const last = plan.shape.length - 1;
  const n = plan.shape[last]!;
  const as = plan.strides[1]![last]!;
  const bs = plan.strides[2]![last]!;
  const ad = a.data;
  const bd = b.data;
  forEachRow(plan, [0, 0, 0], (offs) => binaryRun(op, out, offs[0]!, ad, offs[1]!, as, bd, offs[2]!, bs, n));
  if (outType === "bool" && op === "add") for (let i = 0; i < numel; i++) out[i] = out[i]! !== 0 ? 1 : 0;
  return makeTensor(outType, outShape, out);
}

// ------------------------------------------------------------------ unary

/** erf with ~1e-15 accuracy: Maclaurin series for |x| < 2.5, continued fraction beyond. */
export function erf(x: number): number {
  if (x !== x) return x;
  const ax = Math.abs(x);
  if (ax < 2.5) {
    // erf(x) = 2/sqrt(pi) * sum_n (-1)^n x^(2n+1) / (n! (2n+1))
    const x2 = x * x;
    let term = x;
    let sum = x;
    for (let n = 1; n < 60; n++) {
      term *= -x2 / n;
      const c = term / (2 * n + 1);
      sum += c;
      if (Math.abs(c) < 1e-17 * Math.abs(sum)) break;
    }
    return sum * 1.1283791670955126;
  }
  if (ax > 6) return x > 0 ? 1 : -1;
  // erfc(x) = exp(-x^2)/sqrt(pi) * 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + ...))))
  let f = ax;
  for (let n = 60; n >= 1; n--) f = ax + n / 2 / f;
  const erfc = Math.exp(-ax * ax) / (1.7724538509055159 * f);
  return x > 0 ? 1 - erfc : erfc - 1;
}

function unaryOutType(op: UnaryOp, d: DType): DType {
  switch (op) {
    case "neg":
    case "abs":
    case "relu":
      return d;
    case "logicalNot":
    case "isnan":
    case "isinf":
    case "isfinite":
      return "bool";
    default:
      return "float32";
  }
}

function unaryRun(op: UnaryOp, out: Storage, x: Storage, n: number): void {
  switch (op) {
    case "neg":
      for (let i = 0; i < n; i++) out[i] = -x[i]!;
      return;
    case "abs":
      for (let i = 0; i < n; i++) out[i] = Math.abs(x[i]!);
      return;
    case "exp":
      for (let i = 0; i < n; i++) out[i] = Math.exp(x[i]!);
      return;
    case "log":
      for (let i = 0; i < n; i++) out[i] = Math.log(x[i]!);
      return;
    case "sqrt":
      for (let i = 0; i < n; i++) out[i] = Math.sqrt(x[i]!);
      return;
    case "rsqrt":
      for (let i = 0; i < n; i++) out[i] = 1 / Math.sqrt(x[i]!);
      return;
    case "sin":
      for (let i = 0; i < n; i++) out[i] = Math.sin(x[i]!);
      return;
    case "cos":
      for (let i = 0; i < n; i++) out[i] = Math.cos(x[i]!);
      return;
    case "tanh":
      for (let i = 0; i < n; i++) out[i] = Math.tanh(x[i]!);
      return;
    case "sigmoid":
      for (let i = 0; i < n; i++) out[i] = 1 / (1 + Math.exp(-x[i]!));
      return;
    case "relu":
      for (let i = 0; i < n; i++) {
        const v = x[i]!;
        out[i] = v > 0 || v !== v ? v : 0;
      }
      return;
    case "logicalNot":
      for (let i = 0; i < n; i++) out[i] = x[i]! === 0 ? 1 : 0;
      return;
    case "isnan":
      for (let i = 0; i < n; i++) out[i] = x[i]! !== x[i]! ? 1 : 0;
      return;
    case "isinf":
      for (let i = 0; i < n; i++) out[i] = x[i]! === Infinity || x[i]! === -Infinity ? 1 : 0;
      return;
    case "isfinite":
      for (let i = 0; i < n; i++) out[i] = Number.isFinite(x[i]!) ? 1 : 0;
      return;
    case "erf":
      for (let i = 0; i < n; i++) out[i] = erf(x[i]!);
      return;
    case "gelu":
      for (let i = 0; i < n; i++) {
        const v = x[i]!;
        out[i] = 0.5 * v * (1 + erf(v * Math.SQRT1_2));
      }
      return;
  }
}

/** Elementwise unary op. Float-valued math on int/bool tensors gives float32. */
export function unary(op: UnaryOp, t: Tensor): Tensor {
  const x = requireTensor(t, op, "input");
  const d = dtypeOf(x);
  if (op === "neg" && d === "bool") {
    throw new KitError(
      "Negation, the `-` operator, on a bool tensor is not supported. If you are trying to invert a mask, use `logicalNot()` instead.",
      "bool テンソルの符号反転はサポートされていません。マスクを反転するには logicalNot() を使ってください。",
    );
  }
  if (d === "bool" && (op === "relu" || op === "abs")) {
    throw new KitError(
      `${op === "relu" ? "Boolean inputs not supported for relu" : `"abs" not implemented for 'Bool'`} (shape ${fmtShape(shapeOf(x))}); convert with .float() or .int() first`,
      `${op} は bool テンソルには使えません（形状 ${fmtShape(shapeOf(x))}）。先に .float() か .int() で変換してください`,
    );
  }
  if (d !== "float32" && op === "gelu") {
    throw new KitError(
      `"GeluKernelImpl" not implemented for '${torchName(d)}' (shape ${fmtShape(shapeOf(x))}): gelu needs a float tensor; convert with .float() first`,
      `gelu は ${d} のテンソルには使えません（形状 ${fmtShape(shapeOf(x))}）。float のテンソルが必要です。先に .float() で変換してください`,
    );
  }
  const shape = shapeOf(x).slice();
  const src = dataOf(x);
  const outType = unaryOutType(op, d);
  const out = alloc(outType, src.length, shape);
  unaryRun(op, out, src, src.length);
  return makeTensor(outType, shape, out);
}

// ------------------------------------------------------------------ clamp / where / maskedFill

export function clamp(t: Tensor, min?: TensorLike | null, max?: TensorLike | null): Tensor {
  const x = requireTensor(t, "clamp", "input");
  const hasMin = min !== undefined && min !== null;
  const hasMax = max !== undefined && max !== null;
  if (!hasMin && !hasMax) {
    throw new KitError(
      "torch.clamp: At least one of 'min' or 'max' must not be None",
      "torch.clamp: 'min' と 'max' の少なくとも一方を指定してください",
    );
  }
  if ((hasMin && isTensor(min)) || (hasMax && isTensor(max))) {
    // PyTorch reads a 0-d tensor as a number, so only a tensor bound of 1 or more dims cannot be
    // combined with a number bound.
    const dimTensor = (v: TensorLike | null | undefined): boolean => isTensor(v) && shapeOf(v).length > 0;
    if (hasMin && hasMax && isTensor(min) !== isTensor(max) && (dimTensor(min) || dimTensor(max))) {
      throw new KitError(
        "clamp() received an invalid combination of arguments: 'min' and 'max' must both be tensors or both numbers",
        "clamp() の引数の組み合わせが不正です: 'min' と 'max' は両方テンソルか両方数値でなければなりません",
      );
    }
    let r = x;
    if (hasMin) r = binary("maximum", r, min);
    if (hasMax) r = binary("minimum", r, max);
    return r;
  }
  let outType = dtypeOf(x);
  let lo = -Infinity;
  let hi = Infinity;
  if (hasMin) {
    if (typeof min !== "number" && typeof min !== "boolean") throw badArg("clamp", "min", min);
    outType = promoteTypes(outType, scalarType(min));
    lo = Number(min);
  }
  if (hasMax) {
    if (typeof max !== "number" && typeof max !== "boolean") throw badArg("clamp", "max", max);
    outType = promoteTypes(outType, scalarType(max));
    hi = Number(max);
  }
  const shape = shapeOf(x).slice();
  const src = dataOf(x);
  const n = src.length;
  const out = alloc(outType, n, shape);
  for (let i = 0; i < n; i++) {
    let v = src[i]!;
    if (v < lo) v = lo;
    if (v > hi) v = hi;
    out[i] = v;
  }
  return makeTensor(outType, shape, out);
}

function badArg(fn: string, arg: string, v: unknown): KitError {
  return new KitError(
    `${fn}(): argument '${arg}' must be a Tensor or a number, not ${describe(v)}`,
    `${fn}(): 引数 '${arg}' は Tensor か数値でなければなりません（${describe(v)} が渡されました）`,
  );
}

function scalarValue(v: unknown, fn: string): number {
  if (typeof v === "number") return v;
  if (typeof v === "boolean") return v ? 1 : 0;
  if (isTensor(v)) {
    const s = shapeOf(v);
    if (s.length !== 0) {
      throw new KitError(
        `${fn} only supports a 0-dimensional value tensor, but got tensor with ${s.length} dimension(s) (shape ${fmtShape(s)}).`,
        `${fn} の値には 0 次元テンソルしか使えませんが、${s.length} 次元のテンソル（形状 ${fmtShape(s)}）が渡されました。`,
      );
    }
    return dataOf(v)[0]!;
  }
  throw badArg(fn, "value", v);
}

/** x.maskedFill(mask, value): mask must be bool and broadcastable with x. */
export function maskedFill(t: Tensor, m: Tensor, value: TensorLike): Tensor {
  const x = requireTensor(t, "masked_fill", "input");
  const mask = requireTensor(m, "masked_fill", "mask");
  const xs = shapeOf(x);
  const ms = shapeOf(mask);
  if (dtypeOf(mask) !== "bool") {
    throw new KitError(
      `masked_fill_ only supports boolean masks, but got mask with dtype ${dtypeOf(mask)}; ` +
        `tensor shape ${fmtShape(xs)} and mask shape ${fmtShape(ms)} (use e.g. mask.eq(0) or mask.bool())`,
      `masked_fill_ は bool のマスクしか受け付けませんが、dtype ${dtypeOf(mask)} のマスクが渡されました。` +
        `テンソルの形状 ${fmtShape(xs)}、マスクの形状 ${fmtShape(ms)}（mask.eq(0) や mask.bool() で bool にしてください）`,
    );
  }
  const d = dtypeOf(x);
  const raw = scalarValue(value, "masked_fill_");
  checkStorable(raw, d, "masked_fill");
  const v = castScalar(raw, d);
  const outShape = sameShape(xs, ms) ? xs.slice() : broadcastShapes(xs, ms);
  const numel = shapeNumel(outShape);
  const out = alloc(d, numel, outShape);
  if (numel === 0) return makeTensor(d, outShape, out);
  const plan = coalesce(outShape, [contiguousStrides(outShape), broadcastStrides(xs, outShape), broadcastStrides(ms, outShape)]);
  const last = plan.shape.length - 1;
  const n = plan.shape[last]!;
  const xst = plan.strides[1]![last]!;
  const mst = plan.strides[2]![last]!;
  const xd = dataOf(x);
  const md = dataOf(mask);
  forEachRow(plan, [0, 0, 0], (offs) => {
    let o = offs[0]!;
    let xo = offs[1]!;
    let mo = offs[2]!;
    for (let i = 0; i < n; i++, o++, xo += xst, mo += mst) out[o] = md[mo] ? v : xd[xo]!;
  });
  return makeTensor(d, outShape, out);
}

/** torch.where(cond, a, b) with broadcasting of all three. */
export function where(c: Tensor, x: TensorLike, y: TensorLike): Tensor {
  const cond = requireTensor(c, "where", "condition");
  if (dtypeOf(cond) !== "bool") {
    throw new KitError(
      `where expected condition to be a boolean tensor, but got a tensor with dtype ${torchName(dtypeOf(cond))} (shape ${fmtShape(shapeOf(cond))})`,
      `where の条件は bool テンソルでなければなりませんが、dtype ${dtypeOf(cond)} のテンソル（形状 ${fmtShape(shapeOf(cond))}）が渡されました`,
    );
  }
  const a = operand(x, "where", "input");
  const b = operand(y, "where", "other");
  const outType = promoteTypes(a.dtype, b.dtype);
  const cs = shapeOf(cond);
  const outShape = broadcastShapes(cs, broadcastShapes(a.shape, b.shape));
  const numel = shapeNumel(outShape);
  const out = alloc(outType, numel, outShape);
  if (numel === 0) return makeTensor(outType, outShape, out);
  if (numel >= WASM_ELEMENTWISE_MIN && outType === "float32" && sameShape(cs, outShape)) {
    // A large float32 where with each operand the result's shape or 0-d: in WebAssembly (wasmWhere).
    const aScalar = a.shape.length === 0;
    const bScalar = b.shape.length === 0;
    const fits = (aScalar || (a.dtype === "float32" && sameShape(a.shape, outShape))) && (bScalar || (b.dtype === "float32" && sameShape(b.shape, outShape)));
    if (fits && wasmWhere(dataOf(cond) as Uint8Array, aScalar ? null : (a.data as Float32Array), aScalar ? a.data[0]! : 0, bScalar ? null : (b.data as Float32Array), bScalar ? b.data[0]! : 0, out as Float32Array, numel)) {
      return makeTensor(outType, outShape, out);
    }
  }
  const plan = coalesce(outShape, [
    contiguousStrides(outShape),
    broadcastStrides(cs, outShape),
    broadcastStrides(a.shape, outShape),
    broadcastStrides(b.shape, outShape),
  ]);
  const last = plan.shape.length - 1;
  const n = plan.shape[last]!;
  const cst = plan.strides[1]![last]!;
  const ast = plan.strides[2]![last]!;
  const bst = plan.strides[3]![last]!;
  const cd = dataOf(cond);
  const ad = a.data;
  const bd = b.data;
  forEachRow(plan, [0, 0, 0, 0], (offs) => {
    let o = offs[0]!;
    let co = offs[1]!;
    let ao = offs[2]!;
    let bo = offs[3]!;
    for (let i = 0; i < n; i++, o++, co += cst, ao += ast, bo += bst) out[o] = cd[co] ? ad[ao]! : bd[bo]!;
  });
  return makeTensor(outType, outShape, out);
}

// ------------------------------------------------------------------ dtype / in place

/** Converts to dtype; always a new tensor (a copy when the dtype is unchanged). Keeps the layout. */
export function castTo(t: Tensor, dtype: DType): Tensor {
  const x = requireTensor(t, "to", "input");
  const shape = shapeOf(x).slice();
  const src = dataOf(x);
  const n = src.length;
  const out = alloc(dtype, n, shape);
  if (dtype === "bool") for (let i = 0; i < n; i++) out[i] = src[i]! !== 0 ? 1 : 0;
  else out.set(src);
  // PyTorch's .to() returns the tensor itself when the dtype does not change (any layout kept);
  // a conversion keeps the layout only of a dense (non-overlapping) tensor, like clone.
  const st = stridesOf(x);
  const keep = st !== null && (dtype === dtypeOf(x) || stridesAreDense(shape, st));
  return makeTensor(dtype, shape, out, keep ? st.slice() : null);
}

export function fillInPlace(t: Tensor, value: TensorLike): void {
  const x = requireTensor(t, "fill_", "self");
  const raw = scalarValue(value, "fill_");
  checkStorable(raw, dtypeOf(x), "fill_");
  dataOf(x).fill(castScalar(raw, dtypeOf(x)));
}

/** dst.copy_(src): src broadcast to dst's shape and cast to dst's dtype. */
export function copyInto(t: Tensor, source: TensorLike): void {
  const dst = requireTensor(t, "copy_", "self");
  if (!isTensor(source)) {
    fillInPlace(dst, source);
    return;
  }
  const ds = shapeOf(dst);
  let src = source;
  const ss = shapeOf(src);
  if (!sameShape(ds, ss)) {
    let b: number[] | null = null;
    try {
      b = broadcastShapes(ds, ss);
    } catch {
      b = null;
    }
    if (b === null || !sameShape(b, ds)) {
      throw new KitError(
        `copy_: the source of shape ${fmtShape(ss)} cannot be broadcast to the destination shape ${fmtShape(ds)}`,
        `copy_: 形状 ${fmtShape(ss)} のコピー元を形状 ${fmtShape(ds)} のコピー先にブロードキャストできません`,
      );
    }
  }
  if (dtypeOf(dst) === "bool" && dtypeOf(src) !== "bool") src = castTo(src, "bool");
  stridedCopy(dataOf(dst), 0, contiguousStrides(ds), dataOf(src), 0, broadcastStrides(shapeOf(src), ds), ds);
}
