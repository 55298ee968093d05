/**
 * matmul (PyTorch rules: 1-D, 2-D, batched with broadcast batch dims), bmm and the linear
 * kernel. The inner kernel computes C = A · Bᵀ from row-major A [M, K] and Bt [N, K] in
 * 2x4 register blocks, accumulating in float64 locals.
 */
import type { DType, NumArray, Storage } from "./dtype.ts";
import { alloc, torchName } from "./dtype.ts";
import { KitError, fmtShape } from "./errors.ts";
import { broadcastShapes, broadcastStrides } from "./broadcast.ts";
import { shapeNumel } from "./shape-utils.ts";
import type { Tensor } from "./tensor.ts";
import { dataOf, dtypeOf, makeTensor, shapeOf } from "./tensor.ts";
import { requireTensor } from "./ops-elementwise.ts";
import { wasmGemm, wasmGemmFits } from "./wasm-gemm.ts";

/**
 * out[outOff + i*N + j] = sum_k a[aOff + i*K + k] * bt[btOff + j*K + k] (+ bias[biasOff + j]).
 * Register-blocked 2 rows x 4 columns; both operands are read contiguously along k.
 */
export function gemmABt(
  a: NumArray, aOff: number, bt: NumArray, btOff: number, out: Storage, outOff: number,
  M: number, K: number, N: number, bias: NumArray | null, biasOff: number,
): void {
  const N4 = N - (N % 4);
  const M2 = M - (M % 2);
  for (let i = 0; i < M2; i += 2) {
    const a0 = aOff + i * K;
    const a1 = a0 + K;
    const o0 = outOff + i * N;
    const o1 = o0 + N;
    let j = 0;
    for (; j < N4; j += 4) {
      const b0 = btOff + j * K;
      const b1 = b0 + K;
      const b2 = b1 + K;
      const b3 = b2 + K;
      let s00 = 0, s01 = 0, s02 = 0, s03 = 0, s10 = 0, s11 = 0, s12 = 0, s13 = 0;
      for (let p = 0; p < K; p++) {
        const x0 = a[a0 + p]!;
        const x1 = a[a1 + p]!;
        const y0 = bt[b0 + p]!;
        const y1 = bt[b1 + p]!;
        const y2 = bt[b2 + p]!;
        const y3 = bt[b3 + p]!;
        s00 += x0 * y0;
        s01 += x0 * y1;
        s02 += x0 * y2;
        s03 += x0 * y3;
        s10 += x1 * y0;
        s11 += x1 * y1;
        s12 += x1 * y2;
        s13 += x1 * y3;
      }
      if (bias !== null) {
        const c0 = bias[biasOff + j]!;
        const c1 = bias[biasOff + j + 1]!;
        const c2 = bias[biasOff + j + 2]!;
        const c3 = bias[biasOff + j + 3]!;
        s00 += c0; s01 += c1; s02 += c2; s03 += c3;
        s10 += c0; s11 += c1; s12 += c2; s13 += c3;
      }
      out[o0 + j] = s00;
      out[o0 + j + 1] = s01;
      out[o0 + j + 2] = s02;
      out[o0 + j + 3] = s03;
      out[o1 + j] = s10;
      out[o1 + j + 1] = s11;
      out[o1 + j + 2] = s12;
      out[o1 + j + 3] = s13;
    }
    for (; j < N; j++) {
      const b0 = btOff + j * K;
      let s0 = 0;
      let s1 = 0;
      for (let p = 0; p < K; p++) {
        const y = bt[b0 + p]!;
        s0 += a[a0 + p]! * y;
        s1 += a[a1 + p]! * y;
      }
      if (bias !== null) {
        const c = bias[biasOff + j]!;
        s0 += c;
        s1 += c;
      }
      out[o0 + j] = s0;
      out[o1 + j] = s1;
    }
  }
  if (M2 < M) {
    const a0 = aOff + M2 * K;
    const o0 = outOff + M2 * N;
    let j = 0;
    for (; j < N4; j += 4) {
      const b0 = btOff + j * K;
      const b1 = b0 + K;
      const b2 = b1 + K;
      const b3 = b2 + K;
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      for (let p = 0; p < K; p++) {
        const x = a[a0 + p]!;
        s0 += x * bt[b0 + p]!;
        s1 += x * bt[b1 + p]!;
        s2 += x * bt[b2 + p]!;
        s3 += x * bt[b3 + p]!;
      }
      if (bias !== null) {
        s0 += bias[biasOff + j]!;
        s1 += bias[biasOff + j + 1]!;
        s2 += bias[biasOff + j + 2]!;
        s3 += bias[biasOff + j + 3]!;
      }
      out[o0 + j] = s0;
      out[o0 + j + 1] = s1;
      out[o0 + j + 2] = s2;
      out[o0 + j + 3] = s3;
    }
    for (; j < N; j++) {
      const b0 = btOff + j * K;
      let s = 0;
      for (let p = 0; p < K; p++) s += a[a0 + p]! * bt[b0 + p]!;
      if (bias !== null) s += bias[biasOff + j]!;
      out[o0 + j] = s;
    }
  }
}

/** dst[j*K + k] = src[off + k*N + j] : transposes one K x N matrix into N x K. */
function transposeInto(src: NumArray, off: number, K: number, N: number, dst: Storage): void {
  for (let k = 0; k < K; k++) {
    const row = off + k * N;
    for (let j = 0, d = k; j < N; j++, d += K) dst[d] = src[row + j]!;
  }
}

/**
 * PyTorch's matrix products never promote: both operands must have the same dtype, and bool has
 * no product ("addmm_impl_cpu_" not implemented for 'Bool').
 */
function resultType(a: Tensor, b: Tensor, fn: string): DType {
  const da = dtypeOf(a);
  const db = dtypeOf(b);
  if (da === "bool" || db === "bool") {
    throw new KitError(
      `${fn}: not implemented for bool tensors (dtypes ${da} and ${db}, shapes ${fmtShape(shapeOf(a))} and ${fmtShape(shapeOf(b))}); convert with .float() first`,
      `${fn}: bool テンソルには使えません（dtype ${da} と ${db}、形状 ${fmtShape(shapeOf(a))} と ${fmtShape(shapeOf(b))}）。先に .float() で変換してください`,
    );
  }
  if (da !== db) {
    throw new KitError(
      `${fn}: expected scalar type ${torchName(da)} but found ${torchName(db)} (dtypes ${da} and ${db}, shapes ${fmtShape(shapeOf(a))} and ${fmtShape(shapeOf(b))}); ` +
        "both operands must have the same dtype: convert one with .float() or .int()",
      `${fn}: 両方のオペランドの dtype が同じでなければなりません（${da} と ${db}、形状 ${fmtShape(shapeOf(a))} と ${fmtShape(shapeOf(b))}）。` +
        ".float() か .int() でそろえてください",
    );
  }
  return da;
}

function mismatch(fn: string, as: readonly number[], bs: readonly number[], k1: number, k2: number): KitError {
  return new KitError(
    `${fn}: shapes ${fmtShape(as)} and ${fmtShape(bs)} cannot be multiplied (${k1} != ${k2})`,
    `${fn}: 形状 ${fmtShape(as)} と ${fmtShape(bs)} は掛け合わせられません (${k1} != ${k2})`,
  );
}

/**
 * Batched product over broadcast batch dims. aBatch/bBatch are the batch shapes of A [.., M, K]
 * and B [.., K, N]. B is transposed per distinct batch into a reusable scratch buffer.
 */
function batchedMatmul(
  a: Tensor, b: Tensor, aBatch: readonly number[], bBatch: readonly number[], batch: readonly number[],
  M: number, K: number, N: number, outType: DType, outShape: number[],
): Tensor {
  const total = shapeNumel(batch);
  const ad = dataOf(a);
  const bd = dataOf(b);
  let wasmOut: Float32Array | null = null;
  if (outType === "float32" && total * M * N > 0 && wasmGemmFits(ad.length + bd.length + total * M * N, total * M * K * N)) {
    // No scratch here (B is read with strides), so the output is the only allocation.
    wasmOut = alloc("float32", total * M * N, outShape);
    const viaWasm = wasmGemm(ad as Float32Array, bd as Float32Array, null, wasmOut, M, K, N, N, 1, (gemm) => forEachBatch(aBatch, bBatch, batch, M, K, N, gemm));
    if (viaWasm) return makeTensor(outType, outShape, wasmOut);
  }
  const needT = N > 1 && total * M * N > 0;
  // The small scratch first: when memory runs out, the error names the big output.
  const bt: NumArray = needT ? alloc(dtypeOf(b), K * N, [N, K]) : bd;
  const out = wasmOut ?? alloc(outType, total * M * N, outShape);
  if (out.length === 0) return makeTensor(outType, outShape, out);
  let lastB = -1;
  forEachBatch(aBatch, bBatch, batch, M, K, N, (aOff, bOff, outOff) => {
    let btOff = bOff;
    if (needT) {
      if (bOff !== lastB) {
        transposeInto(bd, bOff, K, N, bt as Storage);
        lastB = bOff;
      }
      btOff = 0;
    }
    gemmABt(ad, aOff, bt, btOff, out, outOff, M, K, N, null, 0);
  });
  return makeTensor(outType, outShape, out);
}

/** Calls `product` with the (a, b, out) offsets, in floats, of each batch's product, batch by batch. */
function forEachBatch(
  aBatch: readonly number[], bBatch: readonly number[], batch: readonly number[], M: number, K: number, N: number,
  product: (aOff: number, bOff: number, outOff: number) => void,
): void {
  const total = shapeNumel(batch);
  const aStr = broadcastStrides(aBatch, batch);
  const bStr = broadcastStrides(bBatch, batch);
  for (let bi = 0; bi < total; bi++) {
    let rem = bi;
    let am = 0;
    let bm = 0;
    for (let d = batch.length - 1; d >= 0; d--) {
      const size = batch[d]!;
      const ix = rem % size;
      rem = (rem - ix) / size;
      am += ix * aStr[d]!;
      bm += ix * bStr[d]!;
    }
    product(am * M * K, bm * K * N, bi * M * N);
  }
}

/** torch.matmul semantics. */
export function matmul(x: Tensor, y: Tensor): Tensor {
  const a = requireTensor(x, "matmul", "input");
  const b = requireTensor(y, "matmul", "other");
  const as = shapeOf(a);
  const bs = shapeOf(b);
  if (as.length === 0 || bs.length === 0) {
    throw new KitError(
      `both arguments to matmul need to be at least 1D, but they are ${as.length}D and ${bs.length}D (shapes ${fmtShape(as)} and ${fmtShape(bs)})`,
      `matmul の引数はどちらも 1 次元以上でなければなりませんが、${as.length} 次元と ${bs.length} 次元です（形状 ${fmtShape(as)} と ${fmtShape(bs)}）`,
    );
  }
  const outType = resultType(a, b, "matmul");
  if (as.length === 1 && bs.length === 1) {
    if (as[0] !== bs[0]) throw mismatch("matmul", as, bs, as[0]!, bs[0]!);
    const ad = dataOf(a);
    const bd = dataOf(b);
    let s = 0;
    for (let i = 0; i < ad.length; i++) s += ad[i]! * bd[i]!;
    const out = alloc(outType, 1, []);
    out[0] = s;
    return makeTensor(outType, [], out);
  }
  const aS = as.length === 1 ? [1, as[0]!] : as;
  const bS = bs.length === 1 ? [bs[0]!, 1] : bs;
  const M = aS[aS.length - 2]!;
  const K = aS[aS.length - 1]!;
  const K2 = bS[bS.length - 2]!;
  const N = bS[bS.length - 1]!;
  if (K !== K2) throw mismatch("matmul", as, bs, K, K2);
  const aBatch = aS.slice(0, -2);
  const bBatch = bS.slice(0, -2);
  let batch: number[];
  try {
    batch = broadcastShapes(aBatch, bBatch);
  } catch {
    throw new KitError(
      `matmul: shapes ${fmtShape(as)} and ${fmtShape(bs)} cannot be multiplied: batch dimensions ${fmtShape(aBatch)} and ${fmtShape(bBatch)} are not broadcastable`,
      `matmul: 形状 ${fmtShape(as)} と ${fmtShape(bs)} は掛け合わせられません: バッチ次元 ${fmtShape(aBatch)} と ${fmtShape(bBatch)} がブロードキャストできません`,
    );
  }
  const outShape = batch.slice();
  if (as.length > 1) outShape.push(M);
  if (bs.length > 1) outShape.push(N);
  return batchedMatmul(a, b, aBatch, bBatch, batch, M, K, N, outType, outShape);
}

/** torch.bmm: strict 3-D batched product with equal batch sizes. */
export function bmm(x: Tensor, y: Tensor): Tensor {
  const a = requireTensor(x, "bmm", "input");
  const b = requireTensor(y, "bmm", "mat2");
  const as = shapeOf(a);
  const bs = shapeOf(b);
  if (as.length !== 3 || bs.length !== 3) {
    throw new KitError(
      `bmm: both arguments must be 3D tensors, but got shapes ${fmtShape(as)} and ${fmtShape(bs)}`,
      `bmm: 引数はどちらも 3 次元テンソルでなければなりませんが、形状 ${fmtShape(as)} と ${fmtShape(bs)} が渡されました`,
    );
  }
  if (as[0] !== bs[0]) {
    throw new KitError(
      `bmm: shapes ${fmtShape(as)} and ${fmtShape(bs)} have different batch sizes (${as[0]} != ${bs[0]})`,
      `bmm: 形状 ${fmtShape(as)} と ${fmtShape(bs)} のバッチサイズが異なります (${as[0]} != ${bs[0]})`,
    );
  }
  if (as[2] !== bs[1]) throw mismatch("bmm", as, bs, as[2]!, bs[1]!);
  const outType = resultType(a, b, "bmm");
  const batch = [as[0]!];
  return batchedMatmul(a, b, batch, batch, batch, as[1]!, as[2]!, bs[2]!, outType, [as[0]!, as[1]!, bs[2]!]);
}

/** F.linear: x [..., in] · weightᵀ [in, out] + bias [out]. weight is used as Bt directly. */
export function linear(xt: Tensor, wt: Tensor, bt?: Tensor | null): Tensor {
  const x = requireTensor(xt, "linear", "input");
  const w = requireTensor(wt, "linear", "weight");
  const xs = shapeOf(x);
  const ws = shapeOf(w);
  if (ws.length === 1) {
    // PyTorch: a 1-D weight makes F.linear a product over the last dim (x @ w), without bias.
    if (bt !== undefined && bt !== null) {
      throw new KitError(
        `linear: a 1-D weight (shape ${fmtShape(ws)}) cannot take a bias: mat2 must be a matrix, got 1-D tensor`,
        `linear: 1 次元の weight（形状 ${fmtShape(ws)}）には bias を使えません`,
      );
    }
    if (xs.length === 0) {
      throw new KitError(
        `linear: input must be at least 1-D, but got shape ${fmtShape(xs)} (weight shape ${fmtShape(ws)})`,
        `linear: 入力は 1 次元以上でなければなりません（入力の形状 ${fmtShape(xs)}、weight の形状 ${fmtShape(ws)}）`,
      );
    }
    return matmul(x, w);
  }
  if (ws.length !== 2) {
    throw new KitError(
      `linear: weight must be 2-D [out_features, in_features], but got shape ${fmtShape(ws)} (input shape ${fmtShape(xs)})`,
      `linear: weight は 2 次元 [out_features, in_features] でなければなりませんが、形状 ${fmtShape(ws)} です（入力の形状 ${fmtShape(xs)}）`,
    );
  }
  const outF = ws[0]!;
  const inF = ws[1]!;
  if (xs.length === 0 || xs[xs.length - 1] !== inF) {
    const k = xs.length === 0 ? 0 : xs[xs.length - 1]!;
    const rows = xs.length === 0 ? 1 : shapeNumel(xs) / Math.max(k, 1);
    throw new KitError(
      `linear: input shape ${fmtShape(xs)} and weight shape ${fmtShape(ws)} cannot be multiplied (${k} != ${inF}); ` +
        `mat1 and mat2 shapes cannot be multiplied (${rows}x${k} and ${inF}x${outF})`,
      `linear: 入力の形状 ${fmtShape(xs)} と weight の形状 ${fmtShape(ws)} は掛け合わせられません (${k} != ${inF})`,
    );
  }
  const outType = resultType(x, w, "linear");
  let biasData: NumArray | null = null;
  if (bt !== undefined && bt !== null) {
    const b = requireTensor(bt, "linear", "bias");
    const bsh = shapeOf(b);
    if (bsh.length > 1 || dataOf(b).length !== outF) {
      throw new KitError(
        `linear: bias shape ${fmtShape(bsh)} does not match weight shape ${fmtShape(ws)} (expected [${outF}])`,
        `linear: bias の形状 ${fmtShape(bsh)} が weight の形状 ${fmtShape(ws)} と合いません（[${outF}] が必要です）`,
      );
    }
    if (dtypeOf(b) !== outType) {
      throw new KitError(
        `linear: bias of dtype ${dtypeOf(b)} does not match input and weight of dtype ${outType}: self and mat2 must have the same dtype`,
        `linear: bias の dtype ${dtypeOf(b)} が入力と weight の dtype ${outType} と一致しません`,
      );
    }
    biasData = dataOf(b);
  }
  const outShape = xs.slice(0, -1);
  outShape.push(outF);
  const M = shapeNumel(xs) / Math.max(inF, 1);
  const rows = inF === 0 ? shapeNumel(outShape) / Math.max(outF, 1) : M;
  const out = alloc(outType, rows * outF, outShape);
  // The weight [out, in] is B transposed: read with strides (1 along in, in along out).
  const viaWasm = outType === "float32" && out.length > 0 && wasmGemm(dataOf(x) as Float32Array, dataOf(w) as Float32Array, biasData as Float32Array | null, out as Float32Array, rows, inF, outF, 1, inF, (gemm) => gemm(0, 0, 0));
  if (!viaWasm) gemmABt(dataOf(x), 0, dataOf(w), 0, out, 0, rows, inF, outF, biasData, 0);
  return makeTensor(outType, outShape, out);
}
