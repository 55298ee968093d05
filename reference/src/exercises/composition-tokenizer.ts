import type { WireValue } from "@tfm/contract";
import { defineReference, expectThrow } from "@tfm/spec";

/**
 * Chemical formula -> element/amount tokens, by recursive descent over the characters:
 *
 *   formula := part (SEP part)*          SEP := '·' | '*' | '.' (a '.' between two digits is a decimal point)
 *   part    := number? item+             the leading number multiplies the whole part (5H2O)
 *   item    := element number? | '(' item+ ')' number? | '[' item+ ']' number?
 *   element := [A-Z][a-z]?               one of the 118 symbols
 *   number  := [0-9]+ ('.' [0-9]+)?
 *
 * Amounts are multiplied out, equal elements merged, in order of first appearance.
 */

const ELEMENTS = new Set(
  ("H He Li Be B C N O F Ne Na Mg Al Si P S Cl Ar K Ca Sc Ti V Cr Mn Fe Co Ni Cu Zn Ga Ge As Se Br Kr " +
    "Rb Sr Y Zr Nb Mo Tc Ru Rh Pd Ag Cd In Sn Sb Te I Xe Cs Ba La Ce Pr Nd Pm Sm Eu Gd Tb Dy Ho Er Tm Yb Lu " +
    "Hf Ta W Re Os Ir Pt Au Hg Tl Pb Bi Po At Rn Fr Ra Ac Th Pa U Np Pu Am Cm Bk Cf Es Fm Md No Lr " +
    "Rf Db Sg Bh Hs Mt Ds Rg Cn Nh Fl Mc Lv Ts Og").split(" "),
);

type ErrorKind = "empty" | "unknown-element" | "parenthesis" | "unexpected";

class FormulaError extends Error {
  constructor(
    readonly kind: ErrorKind,
    message: string,
    readonly symbol = "",
  ) {
    super(message);
  }
}

interface Mistakes {
  /** Every letter is an element of its own ("Li" -> "L", "i"), nothing validated. */
  singleLetter: boolean;
  /** The number after a hydrate dot is not applied. */
  ignoreHydrate: boolean;
  /** Amounts read with parseInt ("0.5" -> 0). */
  truncate: boolean;
  /** Repeated elements kept as separate tokens. */
  noMerge: boolean;
}

const CORRECT: Mistakes = { singleLetter: false, ignoreHydrate: false, truncate: false, noMerge: false };

interface Token {
  element: string;
  amount: number;
}

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= "0" && c <= "9";
const isUpper = (c: string | undefined): boolean => c !== undefined && c >= "A" && c <= "Z";
const isLower = (c: string | undefined): boolean => c !== undefined && c >= "a" && c <= "z";
const CLOSER: Record<string, string> = { "(": ")", "[": "]" };

class Parser {
  private i = 0;
  constructor(
    private readonly s: string,
    private readonly m: Mistakes,
  ) {}

  parse(): Token[] {
    if (this.s.length === 0) throw new FormulaError("empty", "empty formula");
    const out: Token[] = [];
    for (;;) {
      const start = this.i;
      let multiplier = 1;
      if (isDigit(this.s[this.i])) multiplier = this.number();
      if (this.m.ignoreHydrate) multiplier = 1;
      const items = this.items(null);
      if (items.length === 0) throw new FormulaError("empty", `empty part at position ${start}`);
      for (const t of items) out.push({ element: t.element, amount: t.amount * multiplier });
      if (this.i >= this.s.length) break;
      const c = this.s[this.i] as string;
      if (c === "·" || c === "*" || c === ".") {
        this.i++;
        if (this.i >= this.s.length) throw new FormulaError("empty", "empty part after the last separator");
        continue;
      }
      if (c === ")" || c === "]") throw new FormulaError("parenthesis", `unbalanced parenthesis: '${c}' at position ${this.i} closes nothing`);
      throw new FormulaError("unexpected", `unexpected character '${c}' at position ${this.i}`);
    }
    return this.m.noMerge ? out : merge(out);
  }

  /** Items up to the closer of `open` (or a separator / the end at top level). */
  private items(open: string | null): Token[] {
    const out: Token[] = [];
    for (;;) {
      const c = this.s[this.i];
      if (c === undefined || c === "·" || c === "*" || (c === "." && open === null)) {
        if (open !== null) throw new FormulaError("parenthesis", `unbalanced parenthesis: '${open}' is never closed`);
        return out;
      }
      if (c === ")" || c === "]") {
        if (open === null) return out;
        if (CLOSER[open] !== c) throw new FormulaError("parenthesis", `unbalanced parenthesis: '${open}' closed by '${c}'`);
        return out;
      }
      if (c === "(" || c === "[") {
        this.i++;
        const inner = this.items(c);
        this.i++; // the closer, checked above
        if (inner.length === 0) throw new FormulaError("empty", `empty group '${c}${CLOSER[c]}'`);
        const k = isDigit(this.s[this.i]) ? this.number() : 1;
        for (const t of inner) out.push({ element: t.element, amount: t.amount * k });
        continue;
      }
      if (this.m.singleLetter && (isUpper(c) || isLower(c))) {
        this.i++;
        out.push({ element: c, amount: isDigit(this.s[this.i]) ? this.number() : 1 });
        continue;
      }
      if (isUpper(c)) {
        const symbol = isLower(this.s[this.i + 1]) ? c + (this.s[this.i + 1] as string) : c;
        if (!ELEMENTS.has(symbol)) throw new FormulaError("unknown-element", `unknown element '${symbol}' at position ${this.i}`, symbol);
        this.i += symbol.length;
        out.push({ element: symbol, amount: isDigit(this.s[this.i]) ? this.number() : 1 });
        continue;
      }
      throw new FormulaError("unexpected", `unexpected character '${c}' at position ${this.i}`);
    }
  }

  private number(): number {
    const start = this.i;
    while (isDigit(this.s[this.i])) this.i++;
    if (this.s[this.i] === "." && isDigit(this.s[this.i + 1])) {
      this.i++;
      while (isDigit(this.s[this.i])) this.i++;
    }
    const text = this.s.slice(start, this.i);
    return this.m.truncate ? Number.parseInt(text, 10) : Number(text);
  }
}

function merge(tokens: readonly Token[]): Token[] {
  const out: Token[] = [];
  const at = new Map<string, Token>();
  for (const t of tokens) {
    const seen = at.get(t.element);
    if (seen !== undefined) seen.amount += t.amount;
    else {
      const copy = { ...t };
      at.set(t.element, copy);
      out.push(copy);
    }
  }
  return out;
}

function formulaArg(args: readonly WireValue[]): string {
  const f = args[0];
  if (typeof f !== "string") throw new Error("reference: the argument must be a formula string");
  return f;
}

const escapeRegex = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

function expected(args: readonly WireValue[]): WireValue {
  const formula = formulaArg(args);
  try {
    return toWire(new Parser(formula, CORRECT).parse());
  } catch (e) {
    if (!(e instanceof FormulaError)) throw e;
    switch (e.kind) {
      case "empty":
        return expectThrow("empty", {
          ja: `${JSON.stringify(formula)} は空の式 (または空の部分) なので、"empty" を含むメッセージの Error を投げる必要があります`,
          en: `${JSON.stringify(formula)} is empty (or has an empty part): throw an Error whose message contains "empty"`,
        });
      case "unknown-element":
        return expectThrow(`^(?=[\\s\\S]*unknown element)(?=[\\s\\S]*${escapeRegex(e.symbol)})`, {
          ja: `${JSON.stringify(formula)} の ${e.symbol} は元素ではないので、"unknown element" と記号 ${e.symbol} を含むメッセージの Error を投げる必要があります`,
          en: `${e.symbol} in ${JSON.stringify(formula)} is not an element: throw an Error whose message contains "unknown element" and the symbol ${e.symbol}`,
        });
      case "parenthesis":
        return expectThrow("parenthes|bracket", {
          ja: `${JSON.stringify(formula)} は括弧の対応がとれていないので、"parenthesis" (または "bracket") を含むメッセージの Error を投げる必要があります`,
          en: `${JSON.stringify(formula)} has unbalanced brackets: throw an Error whose message contains "parenthesis" (or "bracket")`,
        });
      case "unexpected":
        return expectThrow("unexpected character|invalid character", {
          ja: `${JSON.stringify(formula)} には式に使えない文字があるので、"unexpected character" (または "invalid character") を含むメッセージの Error を投げる必要があります`,
          en: `${JSON.stringify(formula)} contains a character formulas cannot have: throw an Error whose message contains "unexpected character" (or "invalid character")`,
        });
    }
  }
}

function toWire(tokens: readonly Token[]): WireValue {
  return tokens.map((t) => ({ element: t.element, amount: t.amount }));
}

/** A mistaken parser that rejects the formula cannot explain a returned result: no match. */
function variant(mistakes: Partial<Mistakes>, rewrite: (formula: string) => string = (f) => f) {
  return (args: readonly WireValue[]): WireValue => {
    try {
      return toWire(new Parser(rewrite(formulaArg(args)), { ...CORRECT, ...mistakes }).parse());
    } catch (e) {
      if (e instanceof FormulaError) return null;
      throw e;
    }
  };
}

export default defineReference({
  expected,
  variants: {
    "formula-single-letter-elements": variant({ singleLetter: true }),
    // Brackets dropped, so a group's multiplier sticks to the last element written inside it.
    "formula-group-multiplier-ignored": variant({}, (f) => f.replace(/[()[\]]/g, "")),
    "formula-hydrate-ignored": variant({ ignoreHydrate: true }),
    "formula-fraction-truncated": variant({ truncate: true }),
    "formula-duplicates-not-merged": variant({ noMerge: true }),
  },
});
