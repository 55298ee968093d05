/**
 * Internal kernels behind the withholdable public entry points: softmax, logSoftmax,
 * layerNorm, dropout, embedding, pad. Public forms (torch.*, F.*, Tensor.prototype.*) call
 * these; nothing in the kit calls the public forms.
 */
import type { NumArray } from "./dtype.ts";
import { alloc, torchName } from "./dtype.ts";
import { KitError, fmtShape } from "./errors.ts";
import { contiguousStrides, normDim, sameShape, shapeNumel } from "./shape-utils.ts";
import { stridedCopy } from "./strided.ts";
import type { Tensor } from "./tensor.ts";
import { dataOf, describe, dtypeOf, makeTensor, shapeOf } from "./tensor.ts";
import { requireTensor } from "./ops-elementwise.ts";
import type { Generator } from "./random.ts";
import { resolveGenerator, uniformChunks } from "./random.ts";

function softmaxCore(t: Tensor, dim: number, log: boolean): Tensor {
  const fn = log ? "log_softmax" : "softmax";
  const x = requireTensor(t, fn, "input");
  if (dim === undefined) {
    throw new KitError(`${fn}(): argument 'dim' is required (e.g. ${fn}(x, -1))`, `${fn}(): 引数 'dim' が必要です（例: ${fn}(x, -1)）`);
  }
  const shape = shapeOf(x);
  if (dtypeOf(x) !== "float32") {
    throw new KitError(
      `"${fn}" not implemented for '${torchName(dtypeOf(x))}' (shape ${fmtShape(shape)}): ${fn} needs a float tensor; convert with .float() first`,
      `${fn} は ${dtypeOf(x)} のテンソルには使えません（形状 ${fmtShape(shape)}）。float のテンソルが必要です。先に .float() で変換してください`,
    );
  }
  const nd = shape.length;
  const d = normDim(dim, nd);
  const n = nd === 0 ? 1 : shape[d]!;
  let outer = 1;
  let inner = 1;
  for (let i = 0; i < d; i++) outer *= shape[i]!;
  for (let i = d + 1; i < nd; i++) inner *= shape[i]!;
  const src = dataOf(x);
  const out = alloc("float32", src.length, shape);
  if (src.length === 0) return makeTensor("float32", shape.slice(), out);
  if (inner === 1) {
    for (let o = 0; o < outer; o++) {
      const base = o * n;
      const end = base + n;
      let mx = -Infinity;
      for (let i = base; i < end; i++) {
        const v = src[i]!;
        if (v > mx || v !== v) mx = v;
      }
      let s = 0;
      if (log) {
        for (let i = base; i < end; i++) s += Math.exp(src[i]! - mx);
        // (x - max) - log(sum), never x - (max + log(sum)): with |x| >= 1e12 the log(sum) would
        // vanish in max + log(sum) and a fully masked row would give 0 instead of -log n.
        const ls = Math.log(s);
        for (let i = base; i < end; i++) out[i] = src[i]! - mx - ls;
      } else {
        for (let i = base; i < end; i++) {
          const e = Math.exp(src[i]! - mx);
          out[i] = e;
          s += e;
        }
        const inv = 1 / s;
        for (let i = base; i < end; i++) out[i] = out[i]! * inv;
      }
    }
  } else {
    const mx = alloc("float64", inner, [inner]);
    const sm = alloc("float64", inner, [inner]);
    for (let o = 0; o < outer; o++) {
      const base = o * n * inner;
      mx.fill(-Infinity);
      sm.fill(0);
      for (let k = 0; k < n; k++) {
        const row = base + k * inner;
        for (let i = 0; i < inner; i++) {
          const v = src[row + i]!;
          if (v > mx[i]! || v !== v) mx[i] = v;
        }
      }
      for (let k = 0; k < n; k++) {
        const row = base + k * inner;
        for (let i = 0; i < inner; i++) {
          const e = Math.exp(src[row + i]! - mx[i]!);
          if (!log) out[row + i] = e;
          sm[i] = sm[i]! + e;
        }
      }
      if (log) {
        for (let i = 0; i < inner; i++) sm[i] = Math.log(sm[i]!);
        for (let k = 0; k < n; k++) {
          const row = base + k * inner;
          for (let i = 0; i < inner; i++) out[row + i] = src[row + i]! - mx[i]! - sm[i]!;
        }
      } else {
        for (let i = 0; i < inner; i++) sm[i] = 1 / sm[i]!;
        for (let k = 0; k < n; k++) {
          const row = base + k * inner;
          for (let i = 0; i < inner; i++) out[row + i] = out[row + i]! * sm[i]!;
        }
      }
    }
  }
  return makeTensor("float32", shape.slice(), out);
}

/** Numerically stable softmax along dim (subtracts the row max). Output float32. */
export function softmax(x: Tensor, dim: number): Tensor {
  return softmaxCore(x, dim, false);
}

export function logSoftmax(x: Tensor, dim: number): Tensor {
  return softmaxCore(x, dim, true);
}

/** Layer normalization over the trailing `normalizedShape` dims (biased variance). */
export function layerNorm(
  t: Tensor, normalizedShape: number | readonly number[], weight?: Tensor | null, bias?: Tensor | null, eps = 1e-5,
): Tensor {
  const x = requireTensor(t, "layer_norm", "input");
  const shape = shapeOf(x);
  const ns: readonly number[] = typeof normalizedShape === "number" ? [normalizedShape] : normalizedShape;
  if (!Array.isArray(ns) || ns.length === 0) {
    throw new KitError(
      `layer_norm: normalized_shape must be a positive integer or a non-empty array, got ${describe(normalizedShape)}`,
      `layer_norm: normalized_shape は正の整数か空でない配列でなければなりません（${describe(normalizedShape)}）`,
    );
  }
  const k = ns.length;
  let ok = shape.length >= k;
  for (let i = 0; ok && i < k; i++) if (shape[shape.length - k + i] !== ns[i]) ok = false;
  if (!ok) {
    throw new KitError(
      `Given normalized_shape=${fmtShape(ns)}, expected input with shape [*, ${ns.join(", ")}], but got input of size ${fmtShape(shape)}`,
      `normalized_shape=${fmtShape(ns)} に対しては形状 [*, ${ns.join(", ")}] の入力が必要ですが、形状 ${fmtShape(shape)} の入力が渡されました`,
    );
  }
  const checkParam = (p: Tensor | null | undefined, name: string): NumArray | null => {
    if (p === undefined || p === null) return null;
    const pt = requireTensor(p, "layer_norm", name);
    if (!sameShape(shapeOf(pt), ns)) {
      throw new KitError(
        `Expected ${name} to be of same shape as normalized_shape, but got ${name} of shape ${fmtShape(shapeOf(pt))} and normalized_shape = ${fmtShape(ns)}`,
        `${name} の形状は normalized_shape と同じでなければなりませんが、${name} の形状は ${fmtShape(shapeOf(pt))}、normalized_shape = ${fmtShape(ns)} です`,
      );
    }
    return dataOf(pt);
  };
  const w = checkParam(weight, "weight");
  const b = checkParam(bias, "bias");
  const D = shapeNumel(ns);
  const src = dataOf(x);
  const out = alloc("float32", src.length, shape);
  const rows = D === 0 ? 0 : src.length / D;
  for (let r = 0; r < rows; r++) {
    const base = r * D;
    const end = base + D;
    let s = 0;
    for (let i = base; i < end; i++) s += src[i]!;
    const mu = s / D;
    let v = 0;
    for (let i = base; i < end; i++) {
      const dv = src[i]! - mu;
      v += dv * dv;
    }
    const rstd = 1 / Math.sqrt(v / D + eps);
    for (let i = base, j = 0; i < end; i++, j++) {
      let y = (src[i]! - mu) * rstd;
      if (w !== null) y *= w[j]!;
      if (b !== null) y += b[j]!;
      out[i] = y;
    }
  }
  return makeTensor("float32", shape.slice(), out);
}

/** Inverted dropout: keep where random() >= p, scaled by 1/(1-p). Not training -> a copy. */
export function dropout(t: Tensor, p = 0.5, training = true, generator?: Generator | null): Tensor {
  const x = requireTensor(t, "dropout", "input");
  if (typeof p !== "number" || !(p >= 0 && p <= 1)) {
    throw new KitError(
      `dropout probability has to be between 0 and 1, but got ${String(p)}`,
      `dropout の確率は 0 から 1 の間でなければなりません（${String(p)} が指定されました）`,
    );
  }
  const shape = shapeOf(x);
  const src = dataOf(x);
  const dt = dtypeOf(x);
  const out = alloc(dt, src.length, shape);
  if (!training || p === 0) {
    out.set(src);
    return makeTensor(dt, shape.slice(), out);
  }
  const g = resolveGenerator(generator);
  if (p === 1) {
    // Draws as many numbers as a mask would, so the generator ends where it would after any p.
    uniformChunks(g, src.length, () => {});
    return makeTensor(dt, shape.slice(), out);
  }
  const scale = 1 / (1 - p);
  // The uniforms a chunk at a time (the same numbers as random(g) in order: see uniformChunks).
  uniformChunks(g, src.length, (u, start, m) => {
    for (let i = 0; i < m; i++) out[start + i] = u[i]! >= p ? src[start + i]! * scale : 0;
  });
  return makeTensor(dt, shape.slice(), out);
}

/** Embedding lookup: weight[ids] with shape ids.shape + [d]. */
export function embedding(idsT: Tensor, weightT: Tensor, paddingIdx?: number | null): Tensor {
  const ids = requireTensor(idsT, "embedding", "input");
  const weight = requireTensor(weightT, "embedding", "weight");
  const ws = shapeOf(weight);
  const is = shapeOf(ids);
  if (ws.length !== 2) {
    throw new KitError(
      `embedding: weight must be 2-D [num_embeddings, embedding_dim], but got shape ${fmtShape(ws)} (input shape ${fmtShape(is)})`,
      `embedding: weight は 2 次元 [num_embeddings, embedding_dim] でなければなりませんが、形状 ${fmtShape(ws)} です（入力の形状 ${fmtShape(is)}）`,
    );
  }
  if (dtypeOf(ids) !== "int32") {
    throw new KitError(
      `Expected tensor for argument #1 'indices' to have one of the following scalar types: Long, Int; but got ${dtypeOf(ids)} instead (indices shape ${fmtShape(is)}, weight shape ${fmtShape(ws)})`,
      `引数 'indices' は整数 (int32) のテンソルでなければなりませんが、${dtypeOf(ids)} です（indices の形状 ${fmtShape(is)}、weight の形状 ${fmtShape(ws)}）`,
    );
  }
  const n = ws[0]!;
  const d = ws[1]!;
  if (paddingIdx !== undefined && paddingIdx !== null && (!Number.isInteger(paddingIdx) || paddingIdx < -n || paddingIdx >= n)) {
    throw new KitError(`Padding_idx must be within num_embeddings (got ${paddingIdx}, num_embeddings ${n})`, `padding_idx は num_embeddings の範囲内でなければなりません（${paddingIdx}、num_embeddings ${n}）`);
  }
  const idd = dataOf(ids);
  const w = dataOf(weight);
  const outShape = is.slice();
  outShape.push(d);
  const dt = dtypeOf(weight);
  const out = alloc(dt, idd.length * d, outShape);
  for (let i = 0; i < idd.length; i++) {
    const v = idd[i]!;
    if (v < 0 || v >= n) {
      throw new KitError(
        `index out of range in self: index ${v} is not in [0, ${n}) (indices shape ${fmtShape(is)}, weight shape ${fmtShape(ws)})`,
        `インデックスが範囲外です: ${v} は [0, ${n}) にありません（indices の形状 ${fmtShape(is)}、weight の形状 ${fmtShape(ws)}）`,
      );
    }
    const from = v * d;
    const to = i * d;
    for (let j = 0; j < d; j++) out[to + j] = w[from + j]!;
  }
  return makeTensor(dt, outShape, out);
}

/** Constant padding; pads are given for the last dims first (left, right, top, bottom, ...). */
export function pad(t: Tensor, pads: readonly number[], modeOrValue?: string | number, maybeValue?: number): Tensor {
  const x = requireTensor(t, "pad", "input");
  let value = 0;
  if (typeof modeOrValue === "string") {
    if (modeOrValue !== "constant") {
      throw new KitError(`pad: only mode 'constant' is supported, got '${modeOrValue}'`, `pad: 対応しているのは 'constant' モードだけです（'${modeOrValue}'）`);
    }
    value = maybeValue ?? 0;
  } else if (typeof modeOrValue === "number") {
    value = modeOrValue;
  }
  const shape = shapeOf(x);
  const nd = shape.length;
  if (!Array.isArray(pads) || pads.length % 2 !== 0) {
    const len = Array.isArray(pads) ? String(pads.length) : describe(pads);
    throw new KitError(
      `Padding length must be divisible by 2 (got ${len}); pad is [left, right, top, bottom, ...] for the last dims first`,
      `パディングの長さは 2 で割り切れなければなりません（${len}）。pad は最後の次元から [左, 右, 上, 下, ...] の順で指定します`,
    );
  }
  if (pads.length / 2 > nd) {
    throw new KitError(
      `Padding length too large: ${pads.length} values for a tensor of shape ${fmtShape(shape)}`,
      `パディングの長さが大きすぎます: 形状 ${fmtShape(shape)} のテンソルに ${pads.length} 個の値`,
    );
  }
  const left = new Array<number>(nd).fill(0);
  const right = new Array<number>(nd).fill(0);
  for (let i = 0; i < pads.length / 2; i++) {
    const d = nd - 1 - i;
    const l = pads[2 * i]!;
    const r = pads[2 * i + 1]!;
    if (!Number.isInteger(l) || !Number.isInteger(r)) {
      throw new KitError(`pad: padding sizes must be integers, got ${fmtShape(pads)}`, `pad: パディングは整数でなければなりません（${fmtShape(pads)}）`);
    }
    left[d] = l;
    right[d] = r;
  }
  const outShape: number[] = [];
  // Like PyTorch: all pads <= 0 only narrow (a size may reach 0); with any positive pad, every
  // padded dim must keep a size > 0.
  let anyPositive = false;
  for (let i = 0; i < pads.length; i++) if (pads[i]! > 0) anyPositive = true;
  const padded = pads.length / 2;
  for (let d = 0; d < nd; d++) {
    const s = shape[d]! + left[d]! + right[d]!;
    if (s < 0 || (s === 0 && anyPositive && d >= nd - padded)) {
      throw new KitError(
        `The input size ${shape[d]}, plus negative padding ${left[d]} and ${right[d]} resulted in a negative output size, which is invalid. Check dimension ${d} of your input (shape ${fmtShape(shape)}).`,
        `入力サイズ ${shape[d]} に負のパディング ${left[d]} と ${right[d]} を加えると出力サイズが負になります。入力（形状 ${fmtShape(shape)}）の次元 ${d} を確認してください。`,
      );
    }
    outShape.push(s);
  }
  const dt = dtypeOf(x);
  const out = alloc(dt, shapeNumel(outShape), outShape);
  if (value !== 0) out.fill(dt === "bool" ? (value !== 0 ? 1 : 0) : value);
  // Copy the overlapping region.
  const region: number[] = [];
  let srcBase = 0;
  let dstBase = 0;
  const srcSt = contiguousStrides(shape);
  const dstSt = contiguousStrides(outShape);
  for (let d = 0; d < nd; d++) {
    const s0 = Math.max(0, -left[d]!);
    const s1 = shape[d]! - Math.max(0, -right[d]!);
    region.push(Math.max(0, s1 - s0));
    srcBase += s0 * srcSt[d]!;
    dstBase += Math.max(0, left[d]!) * dstSt[d]!;
  }
  stridedCopy(out, dstBase, dstSt, dataOf(x), srcBase, srcSt, region);
  return makeTensor(dt, outShape, out);
}
