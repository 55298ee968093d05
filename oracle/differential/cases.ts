/**
 * The kit-against-PyTorch differential suite: seeded cases over every op family the kit's README
 * documents. A case is a chain of calls; the first step's arguments are given, every later step
 * gets the previous step's result as its first argument (so `transpose` then `view` checks that
 * the kit's view fails exactly where PyTorch's does). The same JSON is run by the kit
 * (oracle/differential/run.ts) and by PyTorch 1.13 (oracle/differential.py).
 *
 * Op names: `x.<method>` (a Tensor method; args[0] is the tensor), `torch.<fn>`, `F.<fn>`,
 * `nn.<Module>` (build, copy the given parameters in, forward) and `init.<fn>`.
 * Arguments are wire JSON (oracle/cases.ts encodeWire): tensors as {"$tensor": ...}, plain
 * numbers, booleans, null, arrays and option objects ({dtype}, {unbiased, keepdim}, ...).
 *
 * check: "values" (default) compares dtype, shape, contiguity and values; "shape" only dtype and
 * shape (the kit's random numbers are its own generator's, see deviations.json); "dropout" wants
 * every element 0 or the expected scaled value; "bound" wants every |value| <= the expected bound.
 */
import { createHash } from "node:crypto";
import { Rng } from "@tfm/spec";
import type { Json } from "../cases.ts";

export type Check = "values" | "shape" | "dropout" | "bound";

export interface Step {
  op: string;
  args: Json[];
}

export interface DiffCase {
  id: string;
  family: string;
  steps: Step[];
  check?: Check;
  /** The id of a deviation in packages/kit/src/deviations.json that the PyTorch side applies. */
  deviation?: string;
}

export const DIFFERENTIAL_SEED = 20_240_613;

type DT = "float32" | "int32" | "bool";

function tensorJson(dtype: DT, shape: readonly number[], data: readonly (number | string)[]): Json {
  return { $tensor: { dtype, shape: [...shape], data: [...data] } };
}

function numelOf(shape: readonly number[]): number {
  let n = 1;
  for (const s of shape) n *= s;
  return n;
}

/** Everything the generators draw from one seeded stream. */
class Gen {
  readonly cases: DiffCase[] = [];
  private readonly counts = new Map<string, number>();
  constructor(readonly rng: Rng) {}

  add(family: string, steps: Step[], extra: { check?: Check; deviation?: string } = {}): void {
    const n = this.counts.get(family) ?? 0;
    this.counts.set(family, n + 1);
    const c: DiffCase = { id: `${family}-${String(n).padStart(4, "0")}`, family, steps };
    if (extra.check !== undefined && extra.check !== "values") c.check = extra.check;
    if (extra.deviation !== undefined) c.deviation = extra.deviation;
    this.cases.push(c);
  }

  int(lo: number, hi: number): number {
    return this.rng.int(lo, hi);
  }
  pick<T>(items: readonly T[]): T {
    return this.rng.pick(items);
  }
  chance(p: number): boolean {
    return this.rng.random() < p;
  }

  /** A small shape of rank r: sizes 1..4, sometimes 0 when `empty`. */
  shape(r: number, empty = false): number[] {
    const s: number[] = [];
    for (let i = 0; i < r; i++) s.push(empty && this.chance(0.08) ? 0 : this.int(1, 5));
    return s;
  }

  /** A float32 value that is short in JSON and exact in float32: k/16 in [-4, 4]. */
  floatValue(): number {
    return this.int(-64, 65) / 16;
  }

  values(dtype: DT, n: number, specials = false): (number | string)[] {
    const out: (number | string)[] = [];
    for (let i = 0; i < n; i++) {
      if (dtype === "bool") out.push(this.int(0, 2));
      else if (dtype === "int32") out.push(this.int(-5, 6));
      else if (specials && this.chance(0.12)) out.push(this.pick(["NaN", "Infinity", "-Infinity", 0, -1e20, 1e20, 60, -60]));
      else out.push(this.floatValue());
    }
    return out;
  }

  tensor(dtype: DT, shape: readonly number[], specials = false): Json {
    return tensorJson(dtype, shape, this.values(dtype, numelOf(shape), specials));
  }

  positive(shape: readonly number[]): Json {
    const n = numelOf(shape);
    const out: number[] = [];
    for (let i = 0; i < n; i++) out.push(this.int(1, 65) / 16);
    return tensorJson("float32", shape, out);
  }

  dtype(): DT {
    return this.pick(["float32", "float32", "int32", "bool"] as const);
  }

  /** A dim in [-r, r) (and, rarely, one out of range). */
  dim(r: number, allowBad = true): number {
    if (allowBad && this.chance(0.05)) return this.pick([r, -r - 1]);
    const rr = Math.max(r, 1);
    return this.int(-rr, rr);
  }

  scalar(): number | boolean {
    return this.pick([2, -3, 0, 1, 0.5, -1.25, 2.5, true, false, 1e-3]);
  }

  /** A shape broadcastable with `s` (or, sometimes, one that is not). */
  broadcastable(s: readonly number[]): number[] {
    const r = this.int(0, s.length + 1);
    const out = s.slice(s.length - r).map((d) => (this.chance(0.35) ? 1 : d));
    if (this.chance(0.2)) out.unshift(this.int(1, 3));
    if (this.chance(0.07) && out.length > 0) out[out.length - 1] = (out[out.length - 1] ?? 1) + 2;
    return out;
  }
}

// ------------------------------------------------------------------ families

function creation(g: Gen): void {
  const dtypeOpt = (): Json[] => (g.chance(0.5) ? [{ dtype: g.pick(["float32", "int32", "bool", "long", "float"]) }] : []);
  for (let i = 0; i < 20; i++) {
    const fn = g.pick(["zeros", "ones", "empty"]);
    const s = g.shape(g.int(0, 4), true);
    const spread = g.chance(0.5);
    g.add("creation", [{ op: `torch.${fn}`, args: [...(spread ? s : [s]), ...dtypeOpt()] }]);
  }
  for (const fn of ["zeros", "ones", "empty"]) {
    g.add("creation", [{ op: `torch.${fn}`, args: [] }]);
    g.add("creation", [{ op: `torch.${fn}`, args: [{ dtype: "int32" }] }]);
    g.add("creation", [{ op: `torch.${fn}`, args: [[2, -1]] }]);
    g.add("creation", [{ op: `torch.${fn}`, args: [[]] }]);
  }
  for (let i = 0; i < 40; i++) {
    const s = g.shape(g.int(0, 3), true);
    const v = g.pick([3, 0, -2, 2.5, -0.125, true, false, 7, 1e9, -1e9, 1e-3, "Infinity"]);
    const value: Json = v === "Infinity" ? { $number: "Infinity" } : v;
    g.add("creation", [{ op: "torch.full", args: [s, value, ...dtypeOpt()] }]);
  }
  for (let i = 0; i < 30; i++) {
    const fn = g.pick(["zerosLike", "onesLike", "fullLike"]);
    const dt = g.dtype();
    const x = g.tensor(dt, g.shape(g.int(0, 3)));
    const args: Json[] = fn === "fullLike" ? [x, g.pick([2, -1.5, 0, true])] : [x];
    g.add("creation", [{ op: `torch.${fn}`, args: [...args, ...dtypeOpt()] }]);
  }
  for (let i = 0; i < 30; i++) {
    const n = g.int(1, 4);
    const nums = n === 1 ? [g.pick([5, 0, 3, 2.5, 7])] : n === 2 ? [g.int(-3, 3), g.pick([4, 6, 2.5, -4])] : [g.int(-3, 3), g.pick([8, -8, 5]), g.pick([2, -2, 0.5, 1.5, 0, -1])];
    g.add("creation", [{ op: "torch.arange", args: [...nums, ...(g.chance(0.3) ? [{ dtype: g.pick(["float32", "int32"]) }] : [])] }]);
  }
  for (let i = 0; i < 16; i++) {
    g.add("creation", [{ op: "torch.linspace", args: [g.pick([0, -1, 2.5]), g.pick([1, 3, -2, 0.75]), g.pick([0, 1, 2, 5, 7, -1])] }]);
  }
  for (let i = 0; i < 12; i++) {
    const n = g.int(0, 4);
    g.add("creation", [{ op: "torch.eye", args: g.chance(0.5) ? [n] : [n, g.int(1, 5)] }]);
  }
  // torch.tensor from nested lists: the kit's default dtype for numbers is float32 (deviation).
  for (let i = 0; i < 24; i++) {
    const kind = g.pick(["float", "int", "bool", "ragged"]);
    const rows = g.int(1, 4);
    const cols = g.int(1, 4);
    const nested: Json[] = [];
    for (let r = 0; r < rows; r++) {
      const row: Json[] = [];
      const len = kind === "ragged" && r === rows - 1 ? cols + 1 : cols;
      for (let c = 0; c < len; c++) row.push(kind === "bool" ? g.chance(0.5) : kind === "int" ? g.int(-4, 5) : g.floatValue());
      nested.push(row);
    }
    const opt = g.chance(0.4) ? [{ dtype: g.pick(["float32", "int32", "bool"]) }] : [];
    g.add("creation", [{ op: "torch.tensor", args: [nested, ...opt] }], opt.length === 0 && kind !== "bool" ? { deviation: "tensor-default-float32" } : {});
  }
}

/** A non-contiguous (or contiguous) start for a chain: transpose, permute, expand, slice, or none. */
function layoutStep(g: Gen, shape: number[]): { steps: Step[]; shape: number[] } {
  const r = shape.length;
  const kind = r < 2 ? g.pick(["none", "expand", "slice"]) : g.pick(["none", "transpose", "permute", "expand", "slice", "select"]);
  switch (kind) {
    case "transpose": {
      const a = g.int(0, r);
      const b = g.int(0, r);
      const s = shape.slice();
      [s[a], s[b]] = [s[b]!, s[a]!];
      return { steps: [{ op: "x.transpose", args: [a, b] }], shape: s };
    }
    case "permute": {
      const perm = g.rng.shuffle([...Array(r).keys()]);
      return { steps: [{ op: "x.permute", args: [perm] }], shape: perm.map((p) => shape[p]!) };
    }
    case "expand": {
      const s = [g.int(1, 4), ...shape];
      return { steps: [{ op: "x.unsqueeze", args: [0] }, { op: "x.expand", args: [s] }], shape: s };
    }
    case "slice": {
      const d = g.int(0, Math.max(r, 1));
      if (r === 0) return { steps: [], shape };
      const s = shape.slice();
      const step = g.pick([1, 2]);
      s[d] = Math.ceil(s[d]! / step);
      return { steps: [{ op: "x.slice", args: [d, null, null, step] }], shape: s };
    }
    case "select": {
      const d = g.int(0, r);
      const s = shape.slice();
      s.splice(d, 1);
      return { steps: [{ op: "x.select", args: [d, 0] }], shape: s };
    }
    default:
      return { steps: [], shape };
  }
}

function shapeOps(g: Gen): void {
  const base = (): { x: Json; shape: number[]; dt: DT } => {
    const dt = g.dtype();
    const shape = g.shape(g.int(1, 4));
    return { x: g.tensor(dt, shape), shape, dt };
  };
  for (let i = 0; i < 420; i++) {
    const { x, shape } = base();
    const lay = layoutStep(g, shape);
    const s = lay.shape;
    const r = s.length;
    const n = numelOf(s);
    let op: Step;
    switch (g.int(0, 18)) {
      case 0: {
        const target = g.chance(0.8) ? [n] : g.chance(0.5) ? [-1, s[r - 1] ?? 1] : [n + 1];
        op = { op: "x.view", args: [target] };
        break;
      }
      case 1: {
        const target = g.chance(0.7) ? [-1] : g.chance(0.5) ? [s[0] ?? 1, -1] : [-1, -1];
        op = { op: "x.reshape", args: [target] };
        break;
      }
      case 2:
        op = { op: "x.transpose", args: [g.dim(r), g.dim(r)] };
        break;
      case 3:
        op = { op: "x.permute", args: [g.chance(0.9) ? g.rng.shuffle([...Array(r).keys()]) : [...Array(r).keys()].map(() => 0)] };
        break;
      case 4:
        op = { op: "x.unsqueeze", args: [g.int(-r - 1, r + 1)] };
        break;
      case 5:
        op = g.chance(0.4) ? { op: "x.squeeze", args: [] } : { op: "x.squeeze", args: [g.dim(r)] };
        break;
      case 6:
        op = { op: "x.flatten", args: [g.int(-r, Math.max(r, 1)), g.chance(0.3) ? -1 : g.int(-r, Math.max(r, 1))] };
        break;
      case 7: {
        const sizes = s.map((d) => (d === 1 ? g.pick([1, 3]) : g.pick([d, -1, d + 1])));
        if (g.chance(0.3)) sizes.unshift(2);
        op = { op: "x.expand", args: [sizes] };
        break;
      }
      case 8: {
        const reps = s.map(() => g.int(1, 3));
        if (g.chance(0.3)) reps.unshift(2);
        if (g.chance(0.1)) reps.pop();
        op = { op: "x.repeat", args: [reps] };
        break;
      }
      case 9: {
        const d = g.dim(r);
        op = { op: "x.narrow", args: [d, g.int(-2, 3), g.int(0, 3)] };
        break;
      }
      case 10: {
        const d = g.dim(r);
        op = { op: "x.slice", args: [d, g.pick([null, 0, 1, -1, -3, 5]), g.pick([null, 2, -1, 10, 0]), g.pick([1, 1, 2, 3, 0])] };
        break;
      }
      case 11: {
        const d = g.dim(r);
        op = { op: "x.select", args: [d, g.int(-4, 5)] };
        break;
      }
      case 12: {
        const d = g.dim(r, false);
        const size = s[d < 0 ? d + r : d] ?? 1;
        const m = g.int(0, 5);
        const idx: number[] = [];
        for (let k = 0; k < m; k++) idx.push(g.chance(0.1) ? g.pick([-1, size, -size - 1]) : g.int(0, size));
        const idt = g.chance(0.9) ? "int32" : "float32";
        op = { op: "x.indexSelect", args: [d, tensorJson(idt, [m], idx)] };
        break;
      }
      case 13: {
        const d = g.dim(r, false);
        const dd = d < 0 ? d + r : d;
        const start = g.pick([null, 0, 1]);
        const step = g.pick([1, 2]);
        const len = s[dd] ?? 1;
        const st = start ?? 0;
        const cnt = Math.max(0, Math.ceil((len - st) / step));
        const srcShape = s.slice();
        srcShape[dd] = g.chance(0.9) ? cnt : cnt + 1;
        op = { op: "x.sliceScatter", args: [g.tensor(g.pick(["float32", "int32"]), srcShape), d, start, null, step] };
        break;
      }
      case 14:
        op = { op: g.pick(["x.tril", "x.triu"]), args: [g.int(-2, 3)] };
        break;
      case 15:
        op = { op: g.pick(["x.clone", "x.contiguous"]), args: [] };
        break;
      case 16:
        op = { op: "x.isContiguous", args: [] };
        break;
      default:
        op = { op: "x.view", args: [s.length >= 2 ? [s[0]! * s[1]!, ...s.slice(2)] : [n]] };
    }
    const steps: Step[] = [{ op: "x.clone", args: [x] }, ...lay.steps, op];
    // Half the chains also say whether the result is contiguous afterwards (PyTorch's strides).
    if (op.op !== "x.isContiguous" && g.chance(0.25)) steps.push({ op: "x.isContiguous", args: [] });
    g.add("shape", steps);
  }
}

function info(g: Gen): void {
  for (let i = 0; i < 80; i++) {
    const dt = g.dtype();
    const shape = g.shape(g.int(0, 4), true);
    const x = g.tensor(dt, shape);
    const r = shape.length;
    const op = g.pick(["x.shape", "x.ndim", "x.dim", "x.size", "x.sizeDim", "x.numel", "x.dtype", "x.item", "x.tolist", "x.get"]);
    let step: Step;
    if (op === "x.sizeDim") step = { op: "x.size", args: [x, g.dim(r)] };
    else if (op === "x.get") step = { op: "x.get", args: [x, ...shape.map((d) => g.int(-d, d + (g.chance(0.1) ? 1 : 0)))] };
    else step = { op, args: [x] };
    g.add("info", [step]);
  }
  for (let i = 0; i < 20; i++) {
    const dt = g.dtype();
    g.add("info", [{ op: "x.item", args: [g.tensor(dt, g.chance(0.7) ? [] : [1, 1])] }]);
  }
}

function maskedFill(g: Gen): void {
  for (let i = 0; i < 130; i++) {
    const dt = g.dtype();
    const s = g.shape(g.int(1, 4));
    const ms = g.broadcastable(s);
    const mdt = g.chance(0.9) ? "bool" : g.pick(["int32", "float32"] as const);
    const vals: Json[] = [-1e9, 0, 2, -3.5, { $number: "-Infinity" }, { $number: "Infinity" }, { $number: "NaN" }, 3e38, -3.4028234663852886e38, 1e39, -1e20, true, 3e9];
    let value = g.pick(vals);
    if (g.chance(0.08)) value = g.tensor(g.pick(["float32", "int32"]), g.pick([[], [1], [2]]));
    g.add("maskedFill", [{ op: g.pick(["x.maskedFill", "x.masked_fill", "torch.maskedFill"]), args: [g.tensor(dt, s), g.tensor(mdt, ms), value] }], mdt === "bool" ? {} : { deviation: "mask-must-be-bool" });
  }
}

const BINARY = ["add", "sub", "mul", "div", "pow", "maximum", "minimum", "eq", "ne", "lt", "le", "gt", "ge", "logicalAnd", "logicalOr"];

function binary(g: Gen): void {
  for (const op of BINARY) {
    for (let i = 0; i < 34; i++) {
      const adt = g.dtype();
      const s = g.shape(g.int(0, 4));
      const a = op === "pow" && adt === "float32" && g.chance(0.5) ? g.positive(s) : g.tensor(adt, s, g.chance(0.15));
      let other: Json;
      let deviation: string | undefined;
      if (g.chance(0.35)) {
        other = g.scalar();
        if (op === "maximum" || op === "minimum" || op === "logicalAnd" || op === "logicalOr") deviation = "number-as-tensor";
      } else {
        const bdt = g.dtype();
        other = g.tensor(bdt, g.broadcastable(s), g.chance(0.15));
      }
      const form = g.pick(["x", "torch"]);
      g.add("binary", [{ op: `${form}.${op}`, args: [a, other] }], deviation ? { deviation } : {});
    }
  }
  // A scalar first argument: torch.add(2, x).
  for (let i = 0; i < 10; i++) {
    g.add("binary", [{ op: `torch.${g.pick(["add", "mul", "sub", "pow"])}`, args: [g.pick([2, 0.5, 3]), g.tensor(g.dtype(), g.shape(2))] }]);
  }
}

const UNARY = ["neg", "abs", "exp", "log", "sqrt", "rsqrt", "sin", "cos", "tanh", "sigmoid", "relu", "logicalNot", "isnan", "isinf", "isfinite"];

function unary(g: Gen): void {
  for (const op of UNARY) {
    for (let i = 0; i < 16; i++) {
      const dt = g.dtype();
      const s = g.shape(g.int(0, 4));
      const x = (op === "log" || op === "sqrt" || op === "rsqrt") && dt === "float32" && g.chance(0.6) ? g.positive(s) : g.tensor(dt, s, true);
      g.add("unary", [{ op: `${g.pick(["x", "torch"])}.${op}`, args: [x] }]);
    }
  }
  for (let i = 0; i < 36; i++) {
    const op = g.pick(["F.relu", "F.gelu"]);
    g.add("unary", [{ op, args: [g.tensor(g.dtype(), g.shape(g.int(0, 3)), true)] }]);
  }
}

function clamp(g: Gen): void {
  for (let i = 0; i < 70; i++) {
    const dt = g.dtype();
    const s = g.shape(g.int(1, 3));
    const bound = (): Json => {
      const k = g.int(0, 5);
      if (k === 0) return null;
      if (k === 1) return g.tensor(g.pick(["float32", "int32"]), g.broadcastable(s));
      return g.pick([-1, 0.5, 2, -0.25, 3]);
    };
    const lo = bound();
    const hi = g.chance(0.7) ? bound() : null;
    const args: Json[] = g.chance(0.2) && hi === null ? [g.tensor(dt, s), lo] : [g.tensor(dt, s), lo, hi];
    g.add("clamp", [{ op: g.pick(["x.clamp", "torch.clamp"]), args }]);
  }
}

function reductions(g: Gen): void {
  const ops = ["sum", "mean", "max", "min", "amax", "amin", "argmax", "argmin", "var", "std", "any", "all"];
  for (const op of ops) {
    for (let i = 0; i < 30; i++) {
      const dt = g.dtype();
      const s = g.shape(g.int(0, 4), op === "sum" || op === "max");
      const x = g.tensor(dt, s, g.chance(0.1));
      const r = s.length;
      const form = g.pick(["x", "torch"]);
      const kd = g.chance(0.5);
      let args: Json[];
      const mode = g.int(0, 4);
      if (mode === 0) args = [x];
      else if (op === "max" || op === "min") {
        args = mode === 3 ? [x, g.tensor(g.dtype(), g.broadcastable(s))] : [x, g.dim(r), kd];
      } else if (op === "var" || op === "std") {
        const dim: Json = mode === 3 && r >= 2 ? [0, -1] : g.dim(r);
        args = g.chance(0.5) ? [x, dim, { unbiased: g.chance(0.5), keepdim: kd }] : [x, dim];
      } else if (op === "argmax" || op === "argmin" || op === "any" || op === "all") {
        args = [x, g.dim(r), kd];
      } else {
        const dim: Json = mode === 3 && r >= 2 ? g.pick([[0, -1], [-1, 0], [0, 0]]) : g.dim(r);
        args = [x, dim, kd];
      }
      g.add("reduction", [{ op: `${form}.${op}`, args }]);
    }
  }
}

function softmaxFamily(g: Gen): void {
  for (let i = 0; i < 110; i++) {
    const dt = g.chance(0.85) ? "float32" : g.pick(["int32", "bool"] as const);
    const s = g.shape(g.int(0, 4));
    const r = s.length;
    let x = g.tensor(dt, s, g.chance(0.3));
    // Masked rows: large negative fills (the chapter's -1e9, -1e20, float32's minimum, -inf).
    if (dt === "float32" && g.chance(0.3)) {
      const fill = g.pick([-1e9, -1e20, -3.4028234663852886e38, 1e12, -1e12, 3e20]);
      const n = numelOf(s);
      const data: (number | string)[] = [];
      for (let k = 0; k < n; k++) data.push(g.chance(0.6) ? fill : g.floatValue());
      if (g.chance(0.5)) data.fill(fill);
      x = tensorJson("float32", s, data);
    }
    const op = g.pick(["F.softmax", "F.logSoftmax", "x.softmax", "x.logSoftmax", "torch.softmax", "torch.logSoftmax"]);
    g.add("softmax", [{ op, args: [x, g.dim(r)] }]);
  }
}

function matmulFamily(g: Gen): void {
  for (let i = 0; i < 130; i++) {
    const M = g.int(1, 4);
    const K = g.int(1, 5);
    const N = g.int(1, 4);
    const k2 = g.chance(0.08) ? K + 1 : K;
    const kind = g.int(0, 6);
    let as: number[];
    let bs: number[];
    if (kind === 0) { as = [K]; bs = [k2]; }
    else if (kind === 1) { as = [K]; bs = [k2, N]; }
    else if (kind === 2) { as = [M, K]; bs = [k2]; }
    else if (kind === 3) { as = [M, K]; bs = [k2, N]; }
    else if (kind === 4) { as = [2, M, K]; bs = [k2, N]; }
    else { as = [g.pick([1, 2]), 1, M, K]; bs = [3, k2, N]; }
    const adt = g.chance(0.75) ? "float32" : g.dtype();
    const bdt = g.chance(0.75) ? "float32" : g.dtype();
    const op = g.pick(["torch.matmul", "x.matmul"]);
    g.add("matmul", [{ op, args: [g.tensor(adt, as), g.tensor(bdt, bs)] }]);
  }
  for (let i = 0; i < 24; i++) {
    const B = g.int(1, 3);
    const as = g.chance(0.85) ? [B, g.int(1, 4), 3] : [B, 3];
    const bs = [g.chance(0.9) ? B : B + 1, 3, g.int(1, 4)];
    g.add("matmul", [{ op: "torch.bmm", args: [g.tensor(g.chance(0.85) ? "float32" : g.dtype(), as), g.tensor("float32", bs)] }]);
  }
}

function dtypeFamily(g: Gen): void {
  for (let i = 0; i < 60; i++) {
    const dt = g.dtype();
    const s = g.shape(g.int(0, 3));
    const lay = layoutStep(g, s);
    const op = g.pick(["x.float", "x.int", "x.bool", "x.to"]);
    const args: Json[] = op === "x.to" ? [g.pick(["float32", "int32", "bool", "long", "float", "int64"])] : [];
    const steps: Step[] = [{ op: "x.clone", args: [g.tensor(dt, s, dt === "float32" && g.chance(0.2))] }, ...lay.steps, { op, args }];
    if (g.chance(0.4)) steps.push({ op: "x.isContiguous", args: [] });
    g.add("dtype", steps);
  }
}

function inPlace(g: Gen): void {
  for (let i = 0; i < 70; i++) {
    const dt = g.dtype();
    const s = g.shape(g.int(0, 3));
    const x = g.tensor(dt, s);
    const op = g.pick(["x.fill_", "x.zero_", "x.copy_", "x.copy_"]);
    let args: Json[];
    if (op === "x.fill_") args = [g.pick([2, -1.5, true, 0, 1e9, { $number: "Infinity" }, { $number: "NaN" }, 1e39])];
    else if (op === "x.copy_") args = [g.tensor(g.dtype(), g.broadcastable(s))];
    else args = [];
    g.add("inplace", [{ op: "x.clone", args: [x] }, { op, args }]);
  }
}

function structure(g: Gen): void {
  for (let i = 0; i < 60; i++) {
    const s = g.shape(g.int(1, 4));
    const d = g.dim(s.length);
    const k = g.int(1, 4);
    const list: Json[] = [];
    for (let j = 0; j < k; j++) {
      const t = s.slice();
      const dd = d < 0 ? d + s.length : d;
      if (g.chance(0.6) && dd >= 0 && dd < s.length) t[dd] = g.int(1, 4);
      if (g.chance(0.05)) t.push(1);
      list.push(g.tensor(g.chance(0.8) ? "float32" : g.dtype(), t));
    }
    g.add("structure", [{ op: "torch.cat", args: [list, d] }]);
  }
  for (let i = 0; i < 40; i++) {
    const s = g.shape(g.int(0, 3));
    const k = g.int(1, 4);
    const list: Json[] = [];
    for (let j = 0; j < k; j++) list.push(g.tensor(g.chance(0.85) ? "float32" : g.dtype(), g.chance(0.92) ? s : [...s, 2]));
    g.add("structure", [{ op: "torch.stack", args: [list, g.int(-s.length - 1, s.length + 1)] }]);
  }
  for (let i = 0; i < 50; i++) {
    const s = g.shape(g.int(1, 3));
    const c = g.tensor(g.chance(0.9) ? "bool" : "int32", g.broadcastable(s));
    const a = g.chance(0.2) ? g.pick([0, -1e9, 1.5]) : g.tensor(g.dtype(), s);
    const b = g.chance(0.3) ? g.pick([0, -1e9, 2.5]) : g.tensor(g.dtype(), g.broadcastable(s));
    g.add("structure", [{ op: "torch.where", args: [c, a, b] }]);
  }
  for (let i = 0; i < 30; i++) {
    const s = g.shape(g.int(1, 3));
    const a = g.tensor("float32", s, g.chance(0.2));
    const data = (a as { $tensor: { data: (number | string)[] } }).$tensor.data.map((v) => (typeof v === "number" && g.chance(0.5) ? v + g.pick([0, 1e-9, 1e-4, 1e-6]) : v));
    const b = tensorJson("float32", s, data.map((v) => (typeof v === "number" ? Math.fround(v) : v)));
    const args: Json[] = g.chance(0.5) ? [a, b] : [a, b, g.pick([1e-5, 1e-3]), g.pick([1e-8, 1e-6])];
    g.add("structure", [{ op: "torch.allclose", args }]);
  }
  for (let i = 0; i < 30; i++) {
    const dt = g.dtype();
    const s = g.shape(g.int(1, 4));
    g.add("structure", [{ op: `torch.${g.pick(["tril", "triu"])}`, args: [g.tensor(dt, s), g.int(-2, 3)] }]);
  }
  // Function forms of shape ops.
  for (let i = 0; i < 45; i++) {
    const s = g.shape(g.int(1, 4));
    const x = g.tensor(g.dtype(), s);
    const r = s.length;
    const forms = ["reshape", "transpose", "permute", "unsqueeze", "squeeze", "flatten", "narrow", "select", "clone"];
    const op = forms[i % forms.length]!;
    let args: Json[];
    switch (op) {
      case "reshape": args = [x, [-1]]; break;
      case "transpose": args = [x, g.dim(r), g.dim(r)]; break;
      case "permute": args = [x, g.rng.shuffle([...Array(r).keys()])]; break;
      case "unsqueeze": args = [x, g.int(-r - 1, r + 1)]; break;
      case "squeeze": args = [x]; break;
      case "flatten": args = [x]; break;
      case "narrow": args = [x, g.dim(r), 0, 1]; break;
      case "select": args = [x, g.dim(r), g.int(-1, 2)]; break;
      default: args = [x];
    }
    g.add("structure", [{ op: `torch.${op}`, args }]);
  }
}

/**
 * Every group of `d` consecutive values (a layer norm's normalized slice) gets -3 first and 3
 * last: a well-conditioned variance. With a few close values PyTorch's float32 kernel loses
 * digits to cancellation (relative error ~ 6e-8 · mean² / variance) where the kit's float64 does
 * not; that is float32 rounding (deviations.json: float64-accumulation), not a behaviour to test.
 */
function spreadGroups(t: Json, d: number): Json {
  const data = (t as { $tensor: { data: (number | string)[] } }).$tensor.data;
  for (let i = 0; i + d <= data.length; i += d) {
    data[i] = -3;
    data[i + d - 1] = 3;
  }
  return t;
}

function functional(g: Gen): void {
  for (let i = 0; i < 80; i++) {
    const inF = g.int(1, 5);
    const outF = g.int(1, 4);
    const lead = g.pick([[], [2], [2, 3], [1]]);
    const xdt = g.chance(0.85) ? "float32" : g.dtype();
    const wdt = g.chance(0.85) ? "float32" : g.dtype();
    const x = g.tensor(xdt, [...lead, g.chance(0.93) ? inF : inF + 1]);
    const wShape = g.chance(0.15) ? [inF] : g.chance(0.05) ? [1, outF, inF] : [outF, inF];
    const w = g.tensor(wdt, wShape);
    const bdt = g.chance(0.9) ? "float32" : "int32";
    const bias: Json = g.chance(0.5) ? null : g.tensor(bdt, g.chance(0.9) ? [wShape.length === 1 ? 1 : outF] : [outF + 1]);
    const deviation = bias !== null && bdt !== xdt ? { deviation: "linear-bias-dtype" } : {};
    g.add("functional", [{ op: "F.linear", args: bias === null && g.chance(0.5) ? [x, w] : [x, w, bias] }], deviation);
  }
  for (let i = 0; i < 40; i++) {
    const n = g.int(2, 6);
    const d = g.int(1, 4);
    const idShape = g.shape(g.int(0, 3));
    const idsData: number[] = [];
    for (let k = 0; k < numelOf(idShape); k++) idsData.push(g.chance(0.05) ? g.pick([n, -1]) : g.int(0, n));
    const ids = tensorJson(g.chance(0.9) ? "int32" : "float32", idShape, idsData);
    const args: Json[] = [ids, g.tensor("float32", [n, d])];
    if (g.chance(0.3)) args.push(g.pick([0, 1, -1, n + 1]));
    g.add("functional", [{ op: "F.embedding", args }]);
  }
  for (let i = 0; i < 50; i++) {
    // A normalized size of at least 2 with ordinary values: over one element (variance 0) PyTorch's
    // float32 kernel gives rounding noise of ~1e-5 instead of 0, and over 1e20 it overflows to NaN
    // where the kit's float64 accumulation does not (deviations.json: float64-accumulation).
    const s = g.shape(g.int(1, 4)).map((d, i, all) => (i === all.length - 1 ? d + 1 : d));
    const k = g.int(1, Math.min(3, s.length) + 1);
    const ns: number[] = s.slice(s.length - k);
    if (g.chance(0.08)) ns[0] = (ns[0] ?? 1) + 1;
    const x = spreadGroups(g.tensor("float32", s), numelOf(s.slice(s.length - k)));
    const wb = g.int(0, 3);
    const args: Json[] = [x, ns.length === 1 && g.chance(0.5) ? ns[0]! : ns];
    if (wb >= 1) args.push(g.tensor("float32", g.chance(0.92) ? ns : [...ns, 1]));
    if (wb >= 2) args.push(g.tensor("float32", ns));
    if (wb >= 2 && g.chance(0.4)) args.push(g.pick([1e-5, 1e-3, 0.1]));
    g.add("functional", [{ op: "F.layerNorm", args }]);
  }
  for (let i = 0; i < 40; i++) {
    const s = g.shape(g.int(0, 3));
    const p = g.pick([0, 0.1, 0.5, 0.9, 1, -0.1, 1.5]);
    const training = g.chance(0.6);
    g.add("functional", [{ op: "F.dropout", args: [g.tensor("float32", s), p, training] }], training ? { check: "dropout" } : {});
  }
  for (let i = 0; i < 50; i++) {
    const dt = g.dtype();
    const s = g.shape(g.int(1, 4));
    const k = g.int(1, Math.min(3, s.length) + 1);
    const pads: number[] = [];
    for (let j = 0; j < 2 * k; j++) pads.push(g.int(-1, 3));
    if (g.chance(0.05)) pads.push(1);
    const args: Json[] = [g.tensor(dt, s), pads];
    if (g.chance(0.5)) args.push(g.pick([0, 1, -1e9, 2.5]));
    g.add("functional", [{ op: "F.pad", args }]);
  }
}

function modules(g: Gen): void {
  for (let i = 0; i < 24; i++) {
    const inF = g.int(1, 5);
    const outF = g.int(1, 4);
    const bias = g.chance(0.7);
    const args: Json[] = [inF, outF, { bias }, g.tensor("float32", [outF, inF]), bias ? g.tensor("float32", [outF]) : null, g.tensor("float32", [...g.pick([[], [2], [2, 3]]), inF])];
    g.add("nn", [{ op: "nn.Linear", args }]);
  }
  for (let i = 0; i < 16; i++) {
    const n = g.int(2, 6);
    const d = g.int(1, 4);
    const ids = tensorJson("int32", [g.int(1, 4)], Array.from({ length: 3 }, () => g.int(0, n)).slice(0, 1));
    const pad = g.chance(0.4) ? g.int(0, n) : null;
    g.add("nn", [{ op: "nn.Embedding", args: [n, d, pad === null ? {} : { paddingIdx: pad }, g.tensor("float32", [n, d]), tensorJson("int32", [1], [g.int(0, n)]) ] }]);
    void ids;
  }
  for (let i = 0; i < 16; i++) {
    const d = g.int(2, 6);
    const x = spreadGroups(g.tensor("float32", [...g.pick([[], [2], [2, 3]]), d]), d);
    g.add("nn", [{ op: "nn.LayerNorm", args: [d, g.chance(0.5) ? {} : { eps: g.pick([1e-6, 1e-3]) }, x] }]);
  }
  for (let i = 0; i < 8; i++) {
    g.add("nn", [{ op: "nn.Dropout", args: [g.pick([0, 0.1, 0.5]), g.tensor("float32", g.shape(2))] }]);
  }
  const nonlin = ["linear", "conv1d", "sigmoid", "tanh", "relu", "leaky_relu", "selu", "identity"];
  for (const n of nonlin) {
    g.add("init", [{ op: "init.calculateGain", args: [n] }]);
    if (n === "leaky_relu") for (const p of [0.01, 0.2, 0, 1]) g.add("init", [{ op: "init.calculateGain", args: [n, p] }]);
  }
  g.add("init", [{ op: "init.calculateGain", args: ["softmax"] }]);
  for (let i = 0; i < 40; i++) {
    const fn = g.pick(["xavierUniform_", "xavierNormal_", "kaimingUniform_", "kaimingNormal_", "uniform_", "normal_", "zeros_", "ones_", "constant_"]);
    const shape = g.pick([[3, 4], [5, 2], [2, 3, 4], [4], [6, 1], [2, 2, 2, 2]]);
    const t = tensorJson("float32", shape, new Array<number>(numelOf(shape)).fill(0));
    let args: Json[] = [t];
    if (fn === "xavierUniform_" || fn === "xavierNormal_") args = [t, g.pick([1, 0.5, 2])];
    else if (fn === "kaimingUniform_" || fn === "kaimingNormal_") args = [t, { a: g.pick([0, 0.1, Math.sqrt(5)]), mode: g.pick(["fan_in", "fan_out"]), nonlinearity: g.pick(["leaky_relu", "relu", "tanh", "linear"]) }];
    else if (fn === "uniform_") args = [t, -0.5, 0.5];
    else if (fn === "normal_") args = [t, 0, 0.02];
    else if (fn === "constant_") args = [t, g.pick([0.5, -2])];
    const check: Check = fn.endsWith("Uniform_") || fn === "uniform_" ? "bound" : fn.endsWith("Normal_") || fn === "normal_" ? "shape" : "values";
    g.add("init", [{ op: `init.${fn}`, args }], { check, ...(check !== "values" ? { deviation: "random-generator" } : {}) });
  }
}

function random(g: Gen): void {
  for (let i = 0; i < 40; i++) {
    const fn = g.pick(["rand", "randn", "randint", "randperm"]);
    const s = g.shape(g.int(0, 3), true);
    let args: Json[];
    if (fn === "randint") args = [g.pick([0, -3]), g.pick([5, 10, 0]), s];
    else if (fn === "randperm") args = [g.int(0, 7)];
    else args = g.chance(0.5) ? s : [s];
    g.add("random", [{ op: `torch.${fn}`, args }], { check: "shape", deviation: "random-generator" });
  }
}

/** Every case, in a fixed order, from one seed. */
export function differentialCases(seed = DIFFERENTIAL_SEED): DiffCase[] {
  const g = new Gen(new Rng(seed));
  creation(g);
  info(g);
  shapeOps(g);
  maskedFill(g);
  binary(g);
  unary(g);
  clamp(g);
  reductions(g);
  softmaxFamily(g);
  matmulFamily(g);
  dtypeFamily(g);
  inPlace(g);
  structure(g);
  functional(g);
  modules(g);
  random(g);
  return g.cases;
}

/** sha256 of the cases' JSON: the expectations name the inputs they were computed from. */
export function casesSha256(cases: readonly DiffCase[]): string {
  return createHash("sha256").update(JSON.stringify(cases)).digest("hex");
}
