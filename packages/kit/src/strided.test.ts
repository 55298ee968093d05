import { describe, expect, it } from "vitest";
import { contiguousStrides, shapeNumel } from "./shape-utils.ts";
import { stridedCopy } from "./strided.ts";

/** dst[dstBase + i·dstStrides] = src[srcBase + i·srcStrides] for every index i, one element at a time. */
function naiveCopy(dst: Float32Array, dstBase: number, dstStrides: number[], src: Float32Array, srcBase: number, srcStrides: number[], shape: number[]): void {
  const idx = new Array<number>(shape.length).fill(0);
  for (let k = 0; k < shapeNumel(shape); k++) {
    let d = dstBase;
    let s = srcBase;
    for (let j = 0; j < shape.length; j++) {
      d += idx[j]! * dstStrides[j]!;
      s += idx[j]! * srcStrides[j]!;
    }
    dst[d] = src[s]!;
    for (let j = shape.length - 1; j >= 0; j--) {
      idx[j] = idx[j]! + 1;
      if (idx[j]! < shape[j]!) break;
      idx[j] = 0;
    }
  }
}

/** A small deterministic generator (the kit's own is not under test here). */
function lcg(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return x / 2 ** 32;
  };
}

describe("stridedCopy", () => {
  it("copies like an element-by-element walk, for every rank the plan coalesces to (loops up to three, rows beyond)", () => {
    const rand = lcg(7);
    let checked = 0;
    for (let t = 0; t < 400; t++) {
      const rank = 1 + Math.floor(rand() * 5);
      const shape = Array.from({ length: rank }, () => 1 + Math.floor(rand() * 4));
      // The source is a permuted (and sometimes broadcast) view of a dense tensor, with an offset.
      const perm = Array.from({ length: rank }, (_, i) => i).sort(() => rand() - 0.5);
      const dense = contiguousStrides(perm.map((p) => shape[p]!));
      const srcStrides = shape.map((_, i) => (rand() < 0.15 ? 0 : dense[perm.indexOf(i)]!));
      const srcBase = Math.floor(rand() * 3);
      const src = Float32Array.from({ length: shapeNumel(shape) + srcBase }, (_, i) => i + 0.5);
      // The destination is dense or a slice of a larger buffer (a scatter).
      const pad = rand() < 0.5 ? 0 : 1;
      const dstShape = shape.map((s, i) => (i === rank - 1 ? s + pad : s));
      const dstStrides = contiguousStrides(dstShape);
      const dstBase = pad;
      const size = shapeNumel(dstShape) + pad;
      const got = new Float32Array(size).fill(-1);
      const want = new Float32Array(size).fill(-1);
      stridedCopy(got, dstBase, dstStrides, src, srcBase, srcStrides, shape);
      naiveCopy(want, dstBase, dstStrides, src, srcBase, srcStrides, shape);
      expect(Array.from(got), `shape ${shape} src strides ${srcStrides} dst strides ${dstStrides}`).toEqual(Array.from(want));
      checked++;
    }
    expect(checked).toBe(400);
  });
});
