import { type Localized, type WireTensor, type WireValue, isWireTensor, shapeText, wireTensor } from "@tfm/contract";
import type { InvariantDef, InvariantOutcome, MismatchContext } from "./define.ts";
import type { Rng } from "./rng.ts";
import { broadcastAt, copyTensor, fromValues, randn, strides, unravel } from "./tensors.ts";

/**
 * Host-side checks shared by the attention exercises. Each one drives the student's function.
 * They state what is violated but name no pitfall: several mistakes break the same property,
 * and the reference variants name the mistake precisely.
 */

export function partOf(result: WireValue, part: number | null): WireTensor | null {
  const v = part === null ? result : Array.isArray(result) ? result[part] : undefined;
  return isWireTensor(v) ? v : null;
}

function notATensor(what: Localized): InvariantOutcome {
  return { ok: false, message: { ja: `${what.ja}が Tensor ではありません`, en: `${what.en} is not a Tensor` } };
}

const WEIGHTS: Localized = { ja: "注意重み", en: "the attention weights" };

/** Every row of the weights (last axis) sums to 1. */
export function rowsSumToOne(id: string, make: (rng: Rng) => WireValue[], weightsPart: number): InvariantDef {
  return {
    id,
    name: { ja: "注意重みの各行の和は 1", en: "each row of the attention weights sums to 1" },
    async run({ rng, call }) {
      const w = partOf(await call(make(rng)), weightsPart);
      if (w === null) return notATensor(WEIGHTS);
      const { shape, data } = w.$tensor;
      const n = shape[shape.length - 1] ?? 0;
      for (let start = 0; start < data.length; start += n) {
        let sum = 0;
        for (let j = 0; j < n; j++) sum += data[start + j] as number;
        if (!(Math.abs(sum - 1) <= 1e-4)) {
          const row = unravel(start, shape).slice(0, -1);
          return {
            ok: false,
            message: {
              ja: `行 ${shapeText(row)} の重みの和が ${sum} です (1 であるべき)。softmax を最後の軸 (キー) でとっているか確認してください`,
              en: `row ${shapeText(row)} of the weights sums to ${sum}, not 1; check that the softmax runs over the last axis (the keys)`,
            },
          };
        }
      }
      return { ok: true };
    },
  };
}

/** No weight lands where the mask is 0 (mask broadcast to the weights' shape). */
export function noWeightOnMasked(
  id: string,
  make: (rng: Rng) => { args: WireValue[]; mask: WireTensor },
  weightsPart: number,
): InvariantDef {
  return {
    id,
    name: { ja: "マスクされた位置の重みは 0", en: "masked positions get zero weight" },
    async run({ rng, call }) {
      const { args, mask } = make(rng);
      const w = partOf(await call(args), weightsPart);
      if (w === null) return notATensor(WEIGHTS);
      const { shape, data } = w.$tensor;
      for (let i = 0; i < data.length; i++) {
        const idx = unravel(i, shape);
        if (broadcastAt(mask, idx) === 0 && !(Math.abs(data[i] as number) <= 1e-6)) {
          // A row whose keys are all masked is allowed uniform weights.
          const rowStart = i - (idx[idx.length - 1] ?? 0);
          const n = shape[shape.length - 1] ?? 0;
          let anyVisible = false;
          for (let j = 0; j < n; j++) if (broadcastAt(mask, unravel(rowStart + j, shape)) !== 0) anyVisible = true;
          if (!anyVisible) continue;
          return {
            ok: false,
            message: {
              ja: `マスク (0) の位置 ${shapeText(idx)} に重み ${data[i]} が乗っています`,
              en: `masked position ${shapeText(idx)} (mask 0) has weight ${data[i]}`,
            },
          };
        }
      }
      return { ok: true };
    },
  };
}

/**
 * Causality: with a causal mask, changing the keys and values of positions after t must not
 * change the output at positions <= t.
 */
export function futureDoesNotLeak(
  id: string,
  make: (rng: Rng) => { args: WireValue[]; perturb: readonly number[]; seqLen: number; seqAxis: number },
  outputPart: number,
  tolerance = 1e-5,
): InvariantDef {
  return {
    id,
    name: { ja: "未来のトークンを変えても過去の出力は変わらない", en: "changing future tokens leaves earlier outputs unchanged" },
    async run({ rng, call }) {
      const { args, perturb, seqLen, seqAxis } = make(rng);
      const cut = Math.max(1, Math.floor(seqLen / 2));
      const before = partOf(await call(args), outputPart);
      const changed = args.map((a, i) => (perturb.includes(i) && isWireTensor(a) ? perturbAfter(a, seqAxis, cut, rng) : a));
      const after = partOf(await call(changed), outputPart);
      if (before === null || after === null) return notATensor({ ja: "出力", en: "the output" });
      const { shape } = before.$tensor;
      const axis = seqAxis < 0 ? shape.length + seqAxis : seqAxis;
      for (let i = 0; i < before.$tensor.data.length; i++) {
        const idx = unravel(i, shape);
        if ((idx[axis] ?? 0) >= cut) continue;
        const a = before.$tensor.data[i] as number;
        const b = after.$tensor.data[i] as number;
        if (!(Math.abs(a - b) <= tolerance + 1e-4 * Math.abs(a))) {
          return {
            ok: false,
            message: {
              ja: `位置 ${cut} 以降のトークンを変えただけで、位置 ${idx[axis]} の出力が変わりました (${a} → ${b})。未来の情報が漏れています`,
              en: `changing only the tokens from position ${cut} on changed the output at position ${idx[axis]} (${a} -> ${b}): the future leaks`,
            },
          };
        }
      }
      return { ok: true };
    },
  };
}

function perturbAfter(t: WireTensor, seqAxis: number, cut: number, rng: Rng): WireTensor {
  const out = copyTensor(t);
  const { shape, data } = out.$tensor;
  const axis = seqAxis < 0 ? shape.length + seqAxis : seqAxis;
  for (let i = 0; i < data.length; i++) {
    if ((unravel(i, shape)[axis] ?? 0) >= cut) data[i] = (data[i] as number) + rng.normal() * 2;
  }
  return out;
}

/** Reorders `t` along `axis` by `perm` (new position i takes old position perm[i]). */
export function permuteAxis(t: WireTensor, axis: number, perm: readonly number[]): WireTensor {
  const { dtype, shape, data } = t.$tensor;
  const ax = axis < 0 ? shape.length + axis : axis;
  const out = copyTensor(t);
  const st = strides(shape);
  for (let i = 0; i < data.length; i++) {
    const idx = unravel(i, shape);
    const src = [...idx];
    src[ax] = perm[idx[ax] ?? 0] ?? 0;
    let flat = 0;
    for (let d = 0; d < src.length; d++) flat += (src[d] ?? 0) * (st[d] ?? 0);
    out.$tensor.data[i] = data[flat] as number;
  }
  return wireTensor(dtype, shape, out.$tensor.data);
}

/**
 * Without positional information attention is permutation-equivariant: permuting the tokens
 * permutes the output the same way.
 */
export function permutationEquivariant(
  id: string,
  make: (rng: Rng) => { args: WireValue[]; permute: readonly number[]; seqLen: number; seqAxis: number },
  outputPart: number | null,
  tolerance = 1e-4,
): InvariantDef {
  return {
    id,
    name: { ja: "位置情報がなければ並べ替えに対して同変", en: "permuting the tokens permutes the output (no positional information)" },
    async run({ rng, call }) {
      const { args, permute, seqLen, seqAxis } = make(rng);
      const perm = rng.shuffle(Array.from({ length: seqLen }, (_, i) => i));
      const base = partOf(await call(args), outputPart);
      const permutedArgs = args.map((a, i) => (permute.includes(i) && isWireTensor(a) ? permuteAxis(a, seqAxis, perm) : a));
      const permuted = partOf(await call(permutedArgs), outputPart);
      if (base === null || permuted === null) return notATensor({ ja: "出力", en: "the output" });
      const expected = permuteAxis(base, seqAxis, perm).$tensor.data;
      const got = permuted.$tensor.data;
      if (expected.length !== got.length) {
        return { ok: false, message: { ja: "並べ替えた入力で出力の大きさが変わりました", en: "the output size changed when the tokens were permuted" } };
      }
      for (let i = 0; i < got.length; i++) {
        const e = expected[i] as number;
        const g = got[i] as number;
        if (!(Math.abs(e - g) <= tolerance + 1e-3 * Math.abs(e))) {
          return {
            ok: false,
            message: {
              ja: `トークンを並べ替えると出力が同じように並べ替わるはずですが、${shapeText(unravel(i, base.$tensor.shape))} で ${e} ではなく ${g} でした`,
              en: `permuting the tokens should permute the output the same way, but at ${shapeText(unravel(i, base.$tensor.shape))} got ${g} instead of ${e}`,
            },
          };
        }
      }
      return { ok: true };
    },
  };
}

/** "Only masked positions differ" and friends, for tuple results whose part `weightsPart` are weights. */
export function describeMaskedMismatch(maskArg: number, weightsPart: number) {
  return (ctx: MismatchContext): Localized | null => {
    const mask = ctx.args[maskArg];
    if (!isWireTensor(mask) || ctx.part !== weightsPart || ctx.mismatches.length === 0) return null;
    const masked = ctx.mismatches.filter((idx) => broadcastAt(mask, idx) === 0).length;
    if (masked === ctx.mismatches.length) {
      return {
        ja: "不一致はマスクされた位置 (mask = 0) だけにあります: 塞ぐべき位置に重みが乗っています",
        en: "only masked positions (mask = 0) differ: weight lands where it must not",
      };
    }
    if (masked > 0) {
      return {
        ja: `不一致はマスクされた位置 ${masked} 個とされていない位置 ${ctx.mismatches.length - masked} 個の両方にあります`,
        en: `mismatches are at ${masked} masked and ${ctx.mismatches.length - masked} unmasked positions`,
      };
    }
    return null;
  };
}


/**
 * Multi-head attention weights {Wq, bq, ..., Wo, bo} for d_model = d, nn.Linear layout (out, in),
 * scaled like a Xavier initialisation so that the softmax is neither flat nor saturated.
 */
export function mhaWeights(rng: Rng, d: number): WireValue {
  const s = 1 / Math.sqrt(d);
  return {
    Wq: randn(rng, [d, d], s * 1.5), bq: randn(rng, [d], 0.1),
    Wk: randn(rng, [d, d], s * 1.5), bk: randn(rng, [d], 0.1),
    Wv: randn(rng, [d, d], s), bv: randn(rng, [d], 0.1),
    Wo: randn(rng, [d, d], s), bo: randn(rng, [d], 0.1),
  };
}

/** Padding mask broadcastable to (B, h, T, T): shape (B, 1, 1, T), 1 for real tokens. */
export function headPaddingMask(lengths: number[], t: number): WireTensor {
  const values = lengths.flatMap((len) => Array.from({ length: t }, (_, j) => (j < len ? 1 : 0)));
  return fromValues("int32", [lengths.length, 1, 1, t], values);
}
