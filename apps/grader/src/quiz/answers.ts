import { type Localized, UNIT_FACTORS, UNIT_SYMBOLS, type UnitSymbol } from "@tfm/contract";

/**
 * Lenient readers for what students type: full-width digits, thousands separators, scientific
 * notation, a unit glued to the number, shapes with brackets, parentheses or none.
 */
export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: Localized };

export interface NumberWithUnit {
  value: number;
  /** As typed; resolved against the question's units later. */
  unit: string | null;
}

const NUMBER =
  /^([+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|[+-]?\.\d+)(?:\s*[eE]\s*([+-]?\d+))?(?:\s*[x×*]\s*10\s*(?:\^|\*\*)\s*([+-]?\d+))?\s*([A-Za-z]+)?$/;

export function parseNumberWithUnit(input: string): Parsed<NumberWithUnit> {
  const text = input
    .normalize("NFKC")
    .trim()
    .replace(/^(?:約|およそ|≈|~|about\s+|approx\.?\s*)/i, "")
    .replace(/[−–]/g, "-")
    .trim();
  const m = NUMBER.exec(text);
  if (m === null) {
    return {
      ok: false,
      reason: {
        ja: `「${input}」を数値として読めませんでした。例: 1050624、0.665、2.56e10、25.6 GB`,
        en: `Could not read "${input}" as a number. Examples: 1050624, 0.665, 2.56e10, 25.6 GB`,
      },
    };
  }
  const mantissa = (m[1] ?? "").replace(/,/g, "");
  const exponent = Number(m[2] ?? 0) + Number(m[3] ?? 0);
  const value = Number(`${mantissa}e${exponent}`);
  if (!Number.isFinite(value)) {
    return { ok: false, reason: { ja: `「${input}」は有限の数ではありません`, en: `"${input}" is not a finite number` } };
  }
  return { ok: true, value: { value, unit: m[4] ?? null } };
}

/** Exact symbol first; otherwise a case-insensitive match ("gib" is GiB, "kb" is kB). */
export function lookupUnit(symbol: string): UnitSymbol | null {
  const exact = UNIT_SYMBOLS.find((u) => u === symbol);
  if (exact !== undefined) return exact;
  const folded = UNIT_SYMBOLS.filter((u) => u.toLowerCase() === symbol.toLowerCase());
  return folded.length === 1 ? (folded[0] ?? null) : null;
}

export function unitFactor(unit: UnitSymbol): number {
  return UNIT_FACTORS[unit];
}

export function parseShape(input: string): Parsed<number[]> {
  const bad = (why: Localized): Parsed<number[]> => ({
    ok: false,
    reason: {
      ja: `「${input}」を shape として読めませんでした (${why.ja})。例: (2, 8, 5, 7)`,
      en: `Could not read "${input}" as a shape (${why.en}). Example: (2, 8, 5, 7)`,
    },
  });
  let text = input.normalize("NFKC").trim();
  const torchSize = /^torch\.Size\s*\((.*)\)$/s.exec(text);
  if (torchSize !== null) text = (torchSize[1] ?? "").trim();
  // At most two layers of brackets: "([2, 8])" is as readable as "(2, 8)".
  for (let layer = 0; layer < 2; layer++) {
    const open = /^[([]/.test(text);
    const close = /[)\]]$/.test(text);
    if (open !== close) return bad({ ja: "括弧の対応が取れていません", en: "unbalanced brackets" });
    if (!open) break;
    text = text.slice(1, -1).trim();
  }
  if (/[()[\]]/.test(text)) return bad({ ja: "括弧が入れ子になっています", en: "nested brackets" });
  if (text === "") return { ok: true, value: [] };
  // A trailing comma is how Python writes a one-element tuple: "(5,)".
  const parts = text.replace(/,\s*$/, "").split(/\s*[,×x*]\s*|\s+/);
  const sizes: number[] = [];
  for (const part of parts) {
    if (!/^\d+$/.test(part)) {
      return bad(part === "" ? { ja: "空の要素があります", en: "an empty entry" } : { ja: `「${part}」は 0 以上の整数ではありません`, en: `"${part}" is not a whole number` });
    }
    sizes.push(Number(part));
  }
  if (sizes.length > 8) return bad({ ja: "軸が多すぎます", en: "too many axes" });
  return { ok: true, value: sizes };
}
