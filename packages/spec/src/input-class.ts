import { type Localized, type WireTensor, type WireValue, isWireTensor } from "@tfm/contract";

/**
 * What kind of input a hidden case drew, in words that say nothing of its values: "a dimension of
 * size 1", "large values", "an empty string". A failed hidden test tells the student this much, so
 * they know where to look without seeing the input (issue 14, item 7).
 */
export function describeInputClass(args: readonly WireValue[]): Localized[] {
  const found = new Map<string, Localized>();
  const add = (key: string, ja: string, en: string): void => {
    if (!found.has(key)) found.set(key, { ja, en });
  };
  const tensors: WireTensor[] = [];
  const visit = (v: WireValue, depth: number): void => {
    if (depth > 8) return;
    if (isWireTensor(v)) {
      tensors.push(v);
      return;
    }
    if (Array.isArray(v)) {
      if (v.length === 0) add("empty-list", "空の配列", "an empty list");
      for (const x of v) visit(x, depth + 1);
      return;
    }
    if (v !== null && typeof v === "object") {
      for (const x of Object.values(v)) visit(x, depth + 1);
      return;
    }
    if (typeof v === "string") describeString(v, add);
    if (typeof v === "number" && Number.isFinite(v)) {
      if (v === 0) add("zero-number", "数値の引数が 0", "a number argument of 0");
      else if (Math.abs(v) >= 1e6) add("huge-number", "非常に大きな数値の引数", "a very large number argument");
    }
  };
  for (const a of args) visit(a, 0);
  for (const t of tensors) describeTensor(t, add);
  const seqLengths = new Set(tensors.filter((t) => t.$tensor.dtype === "float32" && t.$tensor.shape.length >= 2).map((t) => t.$tensor.shape[t.$tensor.shape.length - 2]));
  if (seqLengths.size > 1) add("uneven", "長さの違う系列 (T_q ≠ T_k など)", "sequences of different lengths (T_q != T_k, ...)");
  return [...found.values()];
}

type Add = (key: string, ja: string, en: string) => void;

function describeTensor(t: WireTensor, add: Add): void {
  const { dtype, shape, data } = t.$tensor;
  if (shape.some((d) => d === 0)) add("empty-dim", "大きさ 0 の次元", "an empty dimension (size 0)");
  else if (shape.some((d) => d === 1)) add("size-one", "大きさ 1 の次元", "a dimension of size 1");
  if (shape.length >= 4) add("rank4", "4 次元以上のテンソル", "a tensor of 4 or more dimensions");
  if (data.length >= 100_000) add("large-tensor", "大きなテンソル (長い系列)", "a large tensor (a long sequence)");
  if (dtype === "float32") {
    let max = 0;
    for (let i = 0; i < data.length; i++) max = Math.max(max, Math.abs(data[i] as number));
    if (max >= 20) add("large-values", "絶対値の大きな値", "values of large magnitude");
    else if (max > 0 && max <= 1e-3) add("tiny-values", "ごく小さな値", "very small values");
  } else if (shape.length >= 1) {
    // A 0/1 tensor is a mask: a row with no 1 has nothing visible.
    const n = shape[shape.length - 1] ?? 0;
    let binary = true;
    for (let i = 0; i < data.length && binary; i++) binary = data[i] === 0 || data[i] === 1;
    if (binary && n > 0) {
      for (let start = 0; start < data.length; start += n) {
        let any = false;
        for (let j = 0; j < n; j++) any ||= data[start + j] === 1;
        if (!any) {
          add("empty-mask-row", "すべてマスクされた行 (見てよい位置がない)", "a row that is entirely masked (nothing visible)");
          break;
        }
      }
    }
  }
}

function describeString(s: string, add: Add): void {
  if (s.length === 0) {
    add("empty-string", "空の文字列", "an empty string");
    return;
  }
  if (s.length > 60) add("long-string", "長い文字列", "a long string");
  if (/[^\x20-\x7e]/.test(s)) add("non-ascii", "ASCII 以外の文字を含む文字列", "a string with characters outside ASCII");
  if (/[[\]()]/.test(s)) add("brackets", "括弧を含む文字列", "a string with brackets");
  if (/\d{2,}/.test(s)) add("digits", "数字が続く文字列", "a string with several digits in a row");
}
