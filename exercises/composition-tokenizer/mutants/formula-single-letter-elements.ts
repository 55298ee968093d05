// Reads every letter as an element of its own: "Li" becomes "L" and "i" (and nothing is checked against the table).
export interface FormulaToken {
  element: string;
  amount: number;
}

const SEPARATORS = new Set(["·", "*", "."]);
const CLOSER: Record<string, string> = { "(": ")", "[": "]" };
const isDigit = (c: string | undefined): boolean => c !== undefined && c >= "0" && c <= "9";
const isUpper = (c: string | undefined): boolean => c !== undefined && c >= "A" && c <= "Z";
const isLower = (c: string | undefined): boolean => c !== undefined && c >= "a" && c <= "z";

/**
 * Recursive descent: a formula is parts joined by hydrate separators, a part is an optional
 * coefficient and items, an item is an element or a bracketed group, each with an optional number.
 */
export function tokenizeFormula(formula: string): FormulaToken[] {
  if (formula.length === 0) throw new Error("empty formula");
  let i = 0;

  const number = (): number => {
    const start = i;
    while (isDigit(formula[i])) i++;
    // A '.' between two digits is a decimal point; any other '.' separates a hydrate.
    if (formula[i] === "." && isDigit(formula[i + 1])) {
      i++;
      while (isDigit(formula[i])) i++;
    }
    return Number(formula.slice(start, i));
  };

  const items = (open: string | null): FormulaToken[] => {
    const out: FormulaToken[] = [];
    for (;;) {
      const c = formula[i];
      if (c === undefined || (open === null && SEPARATORS.has(c)) || c === "·" || c === "*") {
        if (open !== null) throw new Error(`unbalanced parenthesis: '${open}' is never closed in ${formula}`);
        return out;
      }
      if (c === ")" || c === "]") {
        if (open === null) throw new Error(`unbalanced parenthesis: '${c}' at position ${i} closes nothing`);
        if (CLOSER[open] !== c) throw new Error(`unbalanced parenthesis: '${open}' is closed by '${c}' at position ${i}`);
        return out;
      }
      if (c === "(" || c === "[") {
        i++;
        const inner = items(c);
        i++;
        if (inner.length === 0) throw new Error(`empty group '${c}${CLOSER[c]}' in ${formula}`);
        const k = isDigit(formula[i]) ? number() : 1;
        for (const t of inner) out.push({ element: t.element, amount: t.amount * k });
        continue;
      }
      if (isUpper(c) || isLower(c)) {
        const symbol = c;
        i += 1;
        out.push({ element: symbol, amount: isDigit(formula[i]) ? number() : 1 });
        continue;
      }
      throw new Error(`unexpected character '${c}' at position ${i} in ${formula}`);
    }
  };

  const merged = new Map<string, FormulaToken>();
  const result: FormulaToken[] = [];
  for (;;) {
    const coefficient = isDigit(formula[i]) ? number() : 1;
    const part = items(null);
    if (part.length === 0) throw new Error(`empty part at position ${i} in ${formula}`);
    for (const t of part) {
      const seen = merged.get(t.element);
      if (seen !== undefined) seen.amount += t.amount * coefficient;
      else {
        const token = { element: t.element, amount: t.amount * coefficient };
        merged.set(t.element, token);
        result.push(token);
      }
    }
    if (i >= formula.length) return result;
    i++; // the separator that ended the part
  }
}
