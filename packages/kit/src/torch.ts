/**
 * The `torch` namespace object. A plain object so that the grader can withhold any entry
 * (e.g. torch.softmax); every entry calls an internal function.
 */
import type { DType } from "./dtype.ts";
import type { Tensor, TensorLike, ValuesIndices, VarOptions, ShapeArgs } from "./tensor.ts";
import * as ew from "./ops-elementwise.ts";
import * as red from "./reductions.ts";
import * as sh from "./shape-ops.ts";
import * as cr from "./creation.ts";
import { bmm as bmmImpl, matmul as matmulImpl } from "./matmul.ts";
import { logSoftmax as logSoftmaxImpl, softmax as softmaxImpl } from "./kernels-nn.ts";
import { Generator, defaultGenerator, manualSeed as manualSeedImpl, rand, randint, randn, randperm } from "./random.ts";
import { broadcastShapes, broadcastStrides, coalesce, forEachRow } from "./broadcast.ts";
import { shapeNumel } from "./shape-utils.ts";
import { dataOf, shapeOf } from "./tensor.ts";
import { requireTensor } from "./ops-elementwise.ts";

type Dims = number | readonly number[] | null | undefined;

/** |a - b| <= atol + rtol * |b| elementwise (with broadcasting); NaNs are never close. */
function allclose(a: Tensor, b: Tensor, rtol = 1e-5, atol = 1e-8): boolean {
  const x = requireTensor(a, "allclose", "input");
  const y = requireTensor(b, "allclose", "other");
  const xs = shapeOf(x);
  const ys = shapeOf(y);
  const shape = broadcastShapes(xs, ys);
  if (shapeNumel(shape) === 0) return true;
  const plan = coalesce(shape, [broadcastStrides(xs, shape), broadcastStrides(ys, shape)]);
  const last = plan.shape.length - 1;
  const n = plan.shape[last]!;
  const xst = plan.strides[0]![last]!;
  const yst = plan.strides[1]![last]!;
  const xd = dataOf(x);
  const yd = dataOf(y);
  let ok = true;
  forEachRow(plan, [0, 0], (offs) => {
    if (!ok) return;
    let xo = offs[0]!;
    let yo = offs[1]!;
    for (let i = 0; i < n; i++, xo += xst, yo += yst) {
      const u = xd[xo]!;
      const v = yd[yo]!;
      if (u === v) continue;
      if (!(Math.abs(u - v) <= atol + rtol * Math.abs(v))) {
        ok = false;
        return;
      }
    }
  });
  return ok;
}

export const torch = {
  // dtypes
  float32: "float32" as const,
  float: "float32" as const,
  int32: "int32" as const,
  long: "int32" as const,
  bool: "bool" as const,

  // randomness
  Generator,
  defaultGenerator,
  manualSeed(seed: number): Generator {
    return manualSeedImpl(seed);
  },
  initialSeed(): number {
    return defaultGenerator.initialSeed();
  },
  rand,
  randn,
  randint,
  randperm,

  // creation
  tensor: cr.tensor,
  zeros: cr.zeros,
  ones: cr.ones,
  full: cr.full,
  empty: cr.empty,
  zerosLike: cr.zerosLike,
  onesLike: cr.onesLike,
  fullLike: cr.fullLike,
  arange: cr.arange,
  linspace: cr.linspace,
  eye: cr.eye,

  // structure
  tril(x: Tensor, diagonal = 0): Tensor {
    return sh.triangle(x, diagonal, false);
  },
  triu(x: Tensor, diagonal = 0): Tensor {
    return sh.triangle(x, diagonal, true);
  },
  cat(tensors: readonly Tensor[], dim = 0): Tensor {
    return sh.cat(tensors, dim);
  },
  stack(tensors: readonly Tensor[], dim = 0): Tensor {
    return sh.stack(tensors, dim);
  },
  where(condition: Tensor, input: TensorLike, other: TensorLike): Tensor {
    return ew.where(condition, input, other);
  },
  allclose,
  matmul(input: Tensor, other: Tensor): Tensor {
    return matmulImpl(input, other);
  },
  bmm(input: Tensor, mat2: Tensor): Tensor {
    return bmmImpl(input, mat2);
  },
  softmax(input: Tensor, dim: number): Tensor {
    return softmaxImpl(input, dim);
  },
  logSoftmax(input: Tensor, dim: number): Tensor {
    return logSoftmaxImpl(input, dim);
  },

  // shape ops
  clone(input: Tensor): Tensor {
    return sh.clone(input);
  },
  reshape(input: Tensor, ...shape: ShapeArgs): Tensor {
    return sh.reshape(input, shape);
  },
  transpose(input: Tensor, dim0: number, dim1: number): Tensor {
    return sh.transpose(input, dim0, dim1);
  },
  permute(input: Tensor, ...dims: ShapeArgs): Tensor {
    return sh.permute(input, dims);
  },
  unsqueeze(input: Tensor, dim: number): Tensor {
    return sh.unsqueeze(input, dim);
  },
  squeeze(input: Tensor, dim?: number | readonly number[]): Tensor {
    return sh.squeeze(input, dim);
  },
  flatten(input: Tensor, startDim = 0, endDim = -1): Tensor {
    return sh.flatten(input, startDim, endDim);
  },
  narrow(input: Tensor, dim: number, start: number, length: number): Tensor {
    return sh.narrow(input, dim, start, length);
  },
  select(input: Tensor, dim: number, index: number): Tensor {
    return sh.select(input, dim, index);
  },
  indexSelect(input: Tensor, dim: number, index: Tensor): Tensor {
    return sh.indexSelect(input, dim, index);
  },
  sliceScatter(input: Tensor, src: Tensor, dim = 0, start?: number | null, end?: number | null, step = 1): Tensor {
    return sh.sliceScatter(input, src, dim, start, end, step);
  },
  maskedFill(input: Tensor, mask: Tensor, value: TensorLike): Tensor {
    return ew.maskedFill(input, mask, value);
  },

  // elementwise
  add(input: TensorLike, other: TensorLike): Tensor {
    return ew.binary("add", input, other);
  },
  sub(input: TensorLike, other: TensorLike): Tensor {
    return ew.binary("sub", input, other);
  },
  mul(input: TensorLike, other: TensorLike): Tensor {
    return ew.binary("mul", input, other);
  },
  div(input: TensorLike, other: TensorLike): Tensor {
    return ew.binary("div", input, other);
  },
  pow(input: TensorLike, exponent: TensorLike): Tensor {
    return ew.binary("pow", input, exponent);
  },
  maximum(input: Tensor, other: TensorLike): Tensor {
    return ew.binary("maximum", input, other);
  },
  minimum(input: Tensor, other: TensorLike): Tensor {
    return ew.binary("minimum", input, other);
  },
  neg(input: Tensor): Tensor {
    return ew.unary("neg", input);
  },
  abs(input: Tensor): Tensor {
    return ew.unary("abs", input);
  },
  exp(input: Tensor): Tensor {
    return ew.unary("exp", input);
  },
  log(input: Tensor): Tensor {
    return ew.unary("log", input);
  },
  sqrt(input: Tensor): Tensor {
    return ew.unary("sqrt", input);
  },
  rsqrt(input: Tensor): Tensor {
    return ew.unary("rsqrt", input);
  },
  sin(input: Tensor): Tensor {
    return ew.unary("sin", input);
  },
  cos(input: Tensor): Tensor {
    return ew.unary("cos", input);
  },
  tanh(input: Tensor): Tensor {
    return ew.unary("tanh", input);
  },
  sigmoid(input: Tensor): Tensor {
    return ew.unary("sigmoid", input);
  },
  relu(input: Tensor): Tensor {
    return ew.unary("relu", input);
  },
  clamp(input: Tensor, min?: TensorLike | null, max?: TensorLike | null): Tensor {
    return ew.clamp(input, min, max);
  },
  eq(input: Tensor, other: TensorLike): Tensor {
    return ew.binary("eq", input, other);
  },
  ne(input: Tensor, other: TensorLike): Tensor {
    return ew.binary("ne", input, other);
  },
  lt(input: Tensor, other: TensorLike): Tensor {
    return ew.binary("lt", input, other);
  },
  le(input: Tensor, other: TensorLike): Tensor {
    return ew.binary("le", input, other);
  },
  gt(input: Tensor, other: TensorLike): Tensor {
    return ew.binary("gt", input, other);
  },
  ge(input: Tensor, other: TensorLike): Tensor {
    return ew.binary("ge", input, other);
  },
  logicalNot(input: Tensor): Tensor {
    return ew.unary("logicalNot", input);
  },
  logicalAnd(input: Tensor, other: TensorLike): Tensor {
    return ew.binary("logicalAnd", input, other);
  },
  logicalOr(input: Tensor, other: TensorLike): Tensor {
    return ew.binary("logicalOr", input, other);
  },
  isnan(input: Tensor): Tensor {
    return ew.unary("isnan", input);
  },
  isinf(input: Tensor): Tensor {
    return ew.unary("isinf", input);
  },
  isfinite(input: Tensor): Tensor {
    return ew.unary("isfinite", input);
  },

  // reductions
  sum(input: Tensor, dim?: Dims, keepdim = false): Tensor {
    return red.sum(input, dim, keepdim);
  },
  mean(input: Tensor, dim?: Dims, keepdim = false): Tensor {
    return red.mean(input, dim, keepdim);
  },
  max: maxFn,
  min: minFn,
  amax(input: Tensor, dim?: Dims, keepdim = false): Tensor {
    return red.amaxmin(input, dim, keepdim, true);
  },
  amin(input: Tensor, dim?: Dims, keepdim = false): Tensor {
    return red.amaxmin(input, dim, keepdim, false);
  },
  argmax(input: Tensor, dim?: number | null, keepdim = false): Tensor {
    return red.argExtreme(input, dim, keepdim, true);
  },
  argmin(input: Tensor, dim?: number | null, keepdim = false): Tensor {
    return red.argExtreme(input, dim, keepdim, false);
  },
  var(input: Tensor, dim?: Dims, options?: VarOptions | boolean, keepdim?: boolean): Tensor {
    return red.variance(input, dim, options, keepdim, false);
  },
  std(input: Tensor, dim?: Dims, options?: VarOptions | boolean, keepdim?: boolean): Tensor {
    return red.variance(input, dim, options, keepdim, true);
  },
  any(input: Tensor, dim?: Dims, keepdim = false): Tensor {
    return red.anyAll(input, dim, keepdim, false);
  },
  all(input: Tensor, dim?: Dims, keepdim = false): Tensor {
    return red.anyAll(input, dim, keepdim, true);
  },
};

function maxFn(input: Tensor): Tensor;
function maxFn(input: Tensor, dim: number, keepdim?: boolean): ValuesIndices;
function maxFn(input: Tensor, other: Tensor): Tensor;
function maxFn(input: Tensor, arg?: number | Tensor, keepdim = false): Tensor | ValuesIndices {
  return red.maxMin(input, arg, keepdim, true);
}
function minFn(input: Tensor): Tensor;
function minFn(input: Tensor, dim: number, keepdim?: boolean): ValuesIndices;
function minFn(input: Tensor, other: Tensor): Tensor;
function minFn(input: Tensor, arg?: number | Tensor, keepdim = false): Tensor | ValuesIndices {
  return red.maxMin(input, arg, keepdim, false);
}

type TensorT = Tensor;
type GeneratorT = Generator;
type DTypeT = DType;
/** Type names so that `torch.Tensor`, `torch.Generator`, `torch.dtype` work in type positions. */
export declare namespace torch {
  type Tensor = TensorT;
  type Generator = GeneratorT;
  type dtype = DTypeT;
}
