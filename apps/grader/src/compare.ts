import {
  type Localized,
  type Mismatches,
  type Tolerance,
  type WireTensor,
  type WireValue,
  isWireTensor,
  shapeText,
} from "@tfm/contract";
import { unravel } from "@tfm/spec";

export interface CompareOptions {
  tolerance: Tolerance;
  /** Names of the parts of a tuple result (output, attention weights, ...). */
  labels?: Localized[];
  /** Treat NaN as equal to NaN (used only to recognise pitfall variants, never to pass a test). */
  nanEqual?: boolean;
  /** Tuple parts whose rows (last dim) must be probability distributions. */
  probabilityParts?: number[];
  describeMismatch?: (part: number, shape: readonly number[], mismatches: readonly (readonly number[])[]) => Localized | null;
}

export interface Comparison {
  ok: boolean;
  part: number | null;
  partLabel: Localized | null;
  message: Localized;
  expectedShape: number[] | null;
  actualShape: number[] | null;
  maxAbsError: number | null;
  maxRelError: number | null;
  mismatches: Mismatches | null;
}

const MAX_LISTED = 5;

function describeKind(v: WireValue | undefined): Localized {
  if (v === undefined) return { ja: "何もない値", en: "nothing" };
  if (v === null) return { ja: "null", en: "null" };
  if (isWireTensor(v)) return { ja: `形状 ${shapeText(v.$tensor.shape)} の Tensor`, en: `a Tensor of shape ${shapeText(v.$tensor.shape)}` };
  if (Array.isArray(v)) return { ja: `長さ ${v.length} の配列`, en: `an array of length ${v.length}` };
  if (typeof v === "object") return { ja: "オブジェクト", en: "an object" };
  if (typeof v === "string") return { ja: `文字列 ${JSON.stringify(clipText(v))}`, en: `the string ${JSON.stringify(clipText(v))}` };
  return { ja: `${typeof v === "number" ? "数値" : "真偽値"} ${String(v)}`, en: `the ${typeof v} ${String(v)}` };
}

function clipText(s: string): string {
  return s.length > 60 ? `${s.slice(0, 60)}…` : s;
}

export function fmt(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (x === 0) return "0";
  const a = Math.abs(x);
  return a >= 1e-3 && a < 1e5 ? String(Number(x.toPrecision(6))) : x.toExponential(3);
}

function pass(): Comparison {
  return {
    ok: true,
    part: null,
    partLabel: null,
    message: { ja: "一致しました", en: "matches" },
    expectedShape: null,
    actualShape: null,
    maxAbsError: null,
    maxRelError: null,
    mismatches: null,
  };
}

function failure(message: Localized, extra: Partial<Comparison> = {}): Comparison {
  return {
    ok: false,
    part: null,
    partLabel: null,
    message,
    expectedShape: null,
    actualShape: null,
    maxAbsError: null,
    maxRelError: null,
    mismatches: null,
    ...extra,
  };
}

/** Compares an actual result with the expected one: structure, then shape, then values. */
export function compareValues(expected: WireValue, actual: WireValue | undefined, opts: CompareOptions): Comparison {
  const labels = opts.labels;
  if (labels !== undefined && Array.isArray(expected) && labels.length === expected.length) {
    if (!Array.isArray(actual)) {
      return failure({
        ja: `${expected.length} 個の結果 (${labels.map((l) => l.ja).join("、")}) の配列を返してください。返された値: ${describeKind(actual).ja}`,
        en: `return an array of ${expected.length} results (${labels.map((l) => l.en).join(", ")}); got ${describeKind(actual).en}`,
      });
    }
    if (actual.length !== expected.length) {
      return failure({
        ja: `${expected.length} 個の結果 (${labels.map((l) => l.ja).join("、")}) が必要ですが ${actual.length} 個でした`,
        en: `expected ${expected.length} results (${labels.map((l) => l.en).join(", ")}), got ${actual.length}`,
      });
    }
    for (let i = 0; i < expected.length; i++) {
      const c = compareAt(expected[i] as WireValue, actual[i], opts, i);
      if (!c.ok) {
        const label = labels[i] as Localized;
        return { ...c, part: i, partLabel: label, message: { ja: `${label.ja}: ${c.message.ja}`, en: `${label.en}: ${c.message.en}` } };
      }
    }
    return pass();
  }
  return compareAt(expected, actual, opts, 0);
}

function compareAt(expected: WireValue, actual: WireValue | undefined, opts: CompareOptions, part: number): Comparison {
  if (isWireTensor(expected)) return compareTensor(expected, actual, opts, part);
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) {
      return failure({ ja: `${describeKind(expected).ja}が必要ですが、${describeKind(actual).ja}でした`, en: `expected ${describeKind(expected).en}, got ${describeKind(actual).en}` });
    }
    if (actual.length !== expected.length) {
      return failure({ ja: `長さ ${expected.length} の配列が必要ですが、長さは ${actual.length} でした`, en: `expected an array of length ${expected.length}, got length ${actual.length}` });
    }
    for (let i = 0; i < expected.length; i++) {
      const c = compareAt(expected[i] as WireValue, actual[i], opts, part);
      if (!c.ok) return { ...c, message: { ja: `[${i}] ${c.message.ja}`, en: `[${i}] ${c.message.en}` } };
    }
    return pass();
  }
  if (expected !== null && typeof expected === "object") {
    if (actual === null || actual === undefined || typeof actual !== "object" || Array.isArray(actual) || isWireTensor(actual)) {
      return failure({ ja: `オブジェクトが必要ですが、${describeKind(actual).ja}でした`, en: `expected an object, got ${describeKind(actual).en}` });
    }
    const missing = Object.keys(expected).filter((k) => !Object.hasOwn(actual, k));
    const extra = Object.keys(actual).filter((k) => !Object.hasOwn(expected, k));
    if (missing.length > 0 || extra.length > 0) {
      return failure({
        ja: `キーが一致しません (不足: ${missing.join(", ") || "なし"}、余分: ${extra.join(", ") || "なし"})`,
        en: `keys differ (missing: ${missing.join(", ") || "none"}; unexpected: ${extra.join(", ") || "none"})`,
      });
    }
    for (const key of Object.keys(expected)) {
      const c = compareAt(expected[key] as WireValue, actual[key], opts, part);
      if (!c.ok) return { ...c, message: { ja: `${key}: ${c.message.ja}`, en: `${key}: ${c.message.en}` } };
    }
    return pass();
  }
  if (typeof expected === "number") {
    if (typeof actual !== "number") {
      return failure({ ja: `数値が必要ですが、${describeKind(actual).ja}でした`, en: `expected a number, got ${describeKind(actual).en}` });
    }
    if (!closeEnough(expected, actual, opts)) {
      return failure(
        { ja: `期待値 ${fmt(expected)} に対して ${fmt(actual)} でした`, en: `expected ${fmt(expected)}, got ${fmt(actual)}` },
        { maxAbsError: finiteOrNull(Math.abs(actual - expected)) },
      );
    }
    return pass();
  }
  if (actual !== expected) {
    return failure({ ja: `${describeKind(expected).ja}が必要ですが、${describeKind(actual).ja}でした`, en: `expected ${describeKind(expected).en}, got ${describeKind(actual).en}` });
  }
  return pass();
}

function finiteOrNull(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}

function closeEnough(e: number, a: number, opts: CompareOptions): boolean {
  if (Number.isNaN(e) || Number.isNaN(a)) return opts.nanEqual === true && Number.isNaN(e) && Number.isNaN(a);
  if (!Number.isFinite(e) || !Number.isFinite(a)) return opts.nanEqual === true && e === a;
  return Math.abs(a - e) <= opts.tolerance.atol + opts.tolerance.rtol * Math.abs(e);
}

function shapeMessage(expected: readonly number[], actual: readonly number[]): Localized {
  if (expected.length !== actual.length) {
    return {
      ja: `形状が違います: 期待 ${shapeText(expected)} (${expected.length} 次元)、実際 ${shapeText(actual)} (${actual.length} 次元)`,
      en: `shape mismatch: expected ${shapeText(expected)} (${expected.length} dims), got ${shapeText(actual)} (${actual.length} dims)`,
    };
  }
  const axes = expected.map((e, i) => (e !== actual[i] ? i : -1)).filter((i) => i >= 0);
  const axisTextEn = axes.map((i) => `axis ${i} should be ${expected[i]} but is ${actual[i]}`).join("; ");
  const axisTextJa = axes.map((i) => `軸 ${i} は ${expected[i]} であるべきところ ${actual[i]}`).join("、");
  const sameSizes = [...expected].sort((a, b) => a - b).join(",") === [...actual].sort((a, b) => a - b).join(",");
  return {
    ja: `形状が違います: 期待 ${shapeText(expected)}、実際 ${shapeText(actual)} (${axisTextJa})${sameSizes ? "。軸の順序が入れ替わっています (transpose/permute を確認)" : ""}`,
    en: `shape mismatch: expected ${shapeText(expected)}, got ${shapeText(actual)} (${axisTextEn})${sameSizes ? "; the axes look swapped (check transpose/permute)" : ""}`,
  };
}

function compareTensor(expected: WireTensor, actual: WireValue | undefined, opts: CompareOptions, part: number): Comparison {
  const eShape = expected.$tensor.shape;
  if (!isWireTensor(actual)) {
    return failure(
      { ja: `${describeKind(expected).ja}が必要ですが、${describeKind(actual).ja}でした`, en: `expected ${describeKind(expected).en}, got ${describeKind(actual).en}` },
      { expectedShape: [...eShape] },
    );
  }
  const aShape = actual.$tensor.shape;
  if (eShape.length !== aShape.length || eShape.some((d, i) => d !== aShape[i])) {
    return failure(shapeMessage(eShape, aShape), { expectedShape: [...eShape], actualShape: [...aShape] });
  }
  const e = expected.$tensor.data;
  const a = actual.$tensor.data;
  let count = 0;
  let nonFinite = 0;
  let maxAbs = 0;
  let maxRel = 0;
  const first: number[][] = [];
  const all: number[] = [];
  for (let i = 0; i < e.length; i++) {
    const ev = e[i] as number;
    const av = a[i] as number;
    if (!Number.isFinite(av)) nonFinite++;
    if (closeEnough(ev, av, opts)) continue;
    count++;
    all.push(i);
    if (first.length < MAX_LISTED) first.push(unravel(i, eShape));
    const abs = Math.abs(av - ev);
    if (Number.isFinite(abs)) {
      maxAbs = Math.max(maxAbs, abs);
      // A relative error means little where the expected value is (near) zero.
      if (Math.abs(ev) > opts.tolerance.atol) maxRel = Math.max(maxRel, abs / Math.abs(ev));
    } else {
      maxAbs = Infinity;
      maxRel = Infinity;
    }
  }
  const base = { expectedShape: [...eShape], actualShape: [...aShape] };
  if (count === 0) return { ...pass(), ...base };

  const notes: Localized[] = [];
  if (nonFinite > 0) {
    notes.push({ ja: `NaN または Inf が ${nonFinite} 個含まれています`, en: `${nonFinite} values are NaN or Inf` });
  }
  if (opts.probabilityParts?.includes(part)) {
    const row = badProbabilityRow(actual);
    if (row !== null) {
      notes.push({
        ja: `行の和が 1 になっていません (行 ${shapeText(row.index)} の和は ${fmt(row.sum)}; softmax の軸を確認)`,
        en: `rows do not sum to 1 (row ${shapeText(row.index)} sums to ${fmt(row.sum)}; check the softmax axis)`,
      });
    }
  }
  const where = opts.describeMismatch?.(part, eShape, all.map((i) => unravel(i, eShape))) ?? null;
  if (where !== null) notes.push(where);
  const firstIndex = first[0] ?? [];
  const firstFlat = all[0] ?? 0;
  const message: Localized = {
    ja: `${e.length} 個中 ${count} 個の値が許容誤差 (atol ${opts.tolerance.atol}, rtol ${opts.tolerance.rtol}) を超えています。最大絶対誤差 ${fmt(maxAbs)}、最大相対誤差 ${fmt(maxRel)}。最初の不一致 ${shapeText(firstIndex)}: 期待 ${fmt(e[firstFlat] as number)}、実際 ${fmt(a[firstFlat] as number)}${notes.map((n) => `。${n.ja}`).join("")}`,
    en: `${count} of ${e.length} values differ beyond tolerance (atol ${opts.tolerance.atol}, rtol ${opts.tolerance.rtol}); max abs error ${fmt(maxAbs)}, max rel error ${fmt(maxRel)}; first at ${shapeText(firstIndex)}: expected ${fmt(e[firstFlat] as number)}, got ${fmt(a[firstFlat] as number)}${notes.map((n) => `; ${n.en}`).join("")}`,
  };
  return failure(message, {
    ...base,
    maxAbsError: finiteOrNull(maxAbs),
    maxRelError: finiteOrNull(maxRel),
    mismatches: { count, total: e.length, nonFinite, first, where },
  });
}

function badProbabilityRow(t: WireTensor): { index: number[]; sum: number } | null {
  const { shape, data } = t.$tensor;
  const n = shape[shape.length - 1] ?? 0;
  if (n === 0) return null;
  for (let start = 0; start < data.length; start += n) {
    let sum = 0;
    for (let j = 0; j < n; j++) sum += data[start + j] as number;
    if (!(Math.abs(sum - 1) <= 1e-3)) return { index: unravel(start, shape).slice(0, -1), sum };
  }
  return null;
}
