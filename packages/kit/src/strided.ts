/**
 * The one strided copy kernel: gathers (permute, expand, slice, ...) and scatters
 * (sliceScatter, pad, cat) are all dst[dstBase + i·dstStrides] = src[srcBase + i·srcStrides].
 */
import type { NumArray, Storage } from "./dtype.ts";
import { coalesce, forEachRow } from "./broadcast.ts";
import { shapeNumel } from "./shape-utils.ts";

export function stridedCopy(
  dst: Storage,
  dstBase: number,
  dstStrides: readonly number[],
  src: NumArray,
  srcBase: number,
  srcStrides: readonly number[],
  shape: readonly number[],
): void {
  if (shapeNumel(shape) === 0) return;
  const plan = coalesce(shape, [dstStrides, srcStrides]);
  const last = plan.shape.length - 1;
  const n = plan.shape[last]!;
  const ds = plan.strides[0]![last]!;
  const ss = plan.strides[1]![last]!;
  if (last <= 2) {
    // Up to three dimensions after coalescing (a transpose of the last two dimensions of a batch of
    // matrices, a slice, a concatenation): plain loops, no call per row. A fresh isolate runs the kit
    // in V8's baseline tiers, where a closure call per row of a few elements costs more than the row.
    const dp = plan.strides[0]!;
    const sp = plan.strides[1]!;
    const n0 = last === 2 ? plan.shape[0]! : 1;
    const n1 = last >= 1 ? plan.shape[last - 1]! : 1;
    const d0 = last === 2 ? dp[0]! : 0;
    const s0 = last === 2 ? sp[0]! : 0;
    const d1 = last >= 1 ? dp[last - 1]! : 0;
    const s1 = last >= 1 ? sp[last - 1]! : 0;
    for (let a = 0, da = dstBase, sa = srcBase; a < n0; a++, da += d0, sa += s0) {
      for (let b = 0, db = da, sb = sa; b < n1; b++, db += d1, sb += s1) {
        for (let i = 0, d = db, s = sb; i < n; i++, d += ds, s += ss) dst[d] = src[s]!;
      }
    }
    return;
  }
  if (ds === 1 && ss === 1) {
    forEachRow(plan, [dstBase, srcBase], (offs) => {
      const d0 = offs[0]!;
      const s0 = offs[1]!;
      for (let i = 0; i < n; i++) dst[d0 + i] = src[s0 + i]!;
    });
    return;
  }
  forEachRow(plan, [dstBase, srcBase], (offs) => {
    let d = offs[0]!;
    let s = offs[1]!;
    for (let i = 0; i < n; i++, d += ds, s += ss) dst[d] = src[s]!;
  });
}
