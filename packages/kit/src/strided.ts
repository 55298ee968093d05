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
