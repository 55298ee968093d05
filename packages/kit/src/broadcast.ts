/**
 * Broadcasting (NumPy/PyTorch rules) and the strided iteration plan shared by the kernels.
 */
import { KitError, fmtShape } from "./errors.ts";
import { contiguousStrides } from "./shape-utils.ts";

/** Broadcast shape of a and b; throws PyTorch's message naming both shapes. */
export function broadcastShapes(a: readonly number[], b: readonly number[]): number[] {
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const da = i - (n - a.length);
    const db = i - (n - b.length);
    const sa = da >= 0 ? a[da]! : 1;
    const sb = db >= 0 ? b[db]! : 1;
    if (sa === sb || sb === 1) out[i] = sa;
    else if (sa === 1) out[i] = sb;
    else {
      throw new KitError(
        `The size of tensor a (${sa}) must match the size of tensor b (${sb}) at non-singleton dimension ${i}; ` +
          `shapes ${fmtShape(a)} and ${fmtShape(b)}`,
        `テンソル a のサイズ (${sa}) は、サイズ 1 でない次元 ${i} でテンソル b のサイズ (${sb}) と一致しなければなりません。` +
          `形状 ${fmtShape(a)} と ${fmtShape(b)}`,
      );
    }
  }
  return out;
}

/**
 * Strides (in elements of a dense row-major tensor of `inShape`) that read it broadcast to
 * `outShape`: 0 for broadcast or missing leading dims.
 */
export function broadcastStrides(inShape: readonly number[], outShape: readonly number[]): number[] {
  const dense = contiguousStrides(inShape);
  const n = outShape.length;
  const off = n - inShape.length;
  const st = new Array<number>(n).fill(0);
  for (let i = off; i < n; i++) {
    const s = inShape[i - off]!;
    st[i] = s === 1 && outShape[i] !== 1 ? 0 : dense[i - off]!;
  }
  return st;
}

/** An iteration plan: coalesced dims and one stride list per operand. */
export interface Plan {
  shape: number[];
  strides: number[][];
}

/**
 * Drops size-1 dims and merges adjacent dims that every operand walks contiguously, so the
 * innermost loop is as long as possible. The result always has at least one dim.
 */
export function coalesce(shape: readonly number[], strides: readonly (readonly number[])[]): Plan {
  const k = strides.length;
  const cs: number[] = [];
  const cst: number[][] = [];
  for (let j = 0; j < k; j++) cst.push([]);
  for (let d = 0; d < shape.length; d++) {
    const s = shape[d]!;
    if (s === 1) continue;
    const last = cs.length - 1;
    if (last >= 0) {
      let merge = true;
      for (let j = 0; j < k; j++) {
        if (cst[j]![last] !== strides[j]![d]! * s) {
          merge = false;
          break;
        }
      }
      if (merge) {
        cs[last] = cs[last]! * s;
        for (let j = 0; j < k; j++) cst[j]![last] = strides[j]![d]!;
        continue;
      }
    }
    cs.push(s);
    for (let j = 0; j < k; j++) cst[j]!.push(strides[j]![d]!);
  }
  if (cs.length === 0) {
    cs.push(1);
    for (let j = 0; j < k; j++) cst[j]!.push(0);
  }
  return { shape: cs, strides: cst };
}

/**
 * Calls `row(offs)` once per innermost row of the plan; `offs[j]` is operand j's offset at the
 * start of the row (starting from `bases`). The innermost length and strides are
 * plan.shape[last] / plan.strides[j][last]. The offs array is reused between calls.
 */
export function forEachRow(plan: Plan, bases: readonly number[], row: (offs: number[]) => void): void {
  const shape = plan.shape;
  const strides = plan.strides;
  const k = bases.length;
  const offs = bases.slice();
  const outer = shape.length - 1;
  let rows = 1;
  for (let d = 0; d < outer; d++) rows *= shape[d]!;
  if (rows === 0 || shape[outer] === 0) return;
  const idx = new Array<number>(outer).fill(0);
  for (let r = 0; r < rows; r++) {
    row(offs);
    for (let d = outer - 1; d >= 0; d--) {
      idx[d] = idx[d]! + 1;
      for (let j = 0; j < k; j++) offs[j] = offs[j]! + strides[j]![d]!;
      if (idx[d]! < shape[d]!) break;
      for (let j = 0; j < k; j++) offs[j] = offs[j]! - strides[j]![d]! * shape[d]!;
      idx[d] = 0;
    }
  }
}
