import type { WireValue } from "@tfm/contract";
import { defineReference } from "@tfm/spec";

/**
 * SMILES tokenizer written as a single left-to-right scan: no regular expression, so no
 * backtracking, and every character is looked at a bounded number of times (linear time even
 * for adversarial strings such as "[[[[[[..." without a closing bracket).
 */

const MAX_LENGTH = 100_000;
const SINGLE = new Set("BCNOPSFIbcnosp*0123456789-=#$:/\\().+~@?>");

interface Rules {
  /** Br and Cl are one token (false: the regex forgot them, 'r' and 'l' are lost). */
  twoLetter: boolean;
  /** %NN is one token (false: '%' and each digit are separate tokens). */
  percent: boolean;
  /** How a bracket atom is read: up to the next ']', up to the last ']' (greedy .+), or not at all. */
  bracket: "atom" | "greedy" | "split";
}

const CORRECT: Rules = { twoLetter: true, percent: true, bracket: "atom" };

function isDigit(c: string | undefined): boolean {
  return c !== undefined && c >= "0" && c <= "9";
}

function tokenize(smiles: string, rules: Rules): string[] {
  if (smiles.length > MAX_LENGTH) throw new Error(`reference: SMILES longer than ${MAX_LENGTH} characters`);
  const out: string[] = [];
  let i = 0;
  while (i < smiles.length) {
    const c = smiles[i] as string;
    if (c === "[" && rules.bracket !== "split") {
      const close = rules.bracket === "greedy" ? smiles.lastIndexOf("]") : smiles.indexOf("]", i + 1);
      if (close < i) throw new Error(`reference: unclosed bracket atom at ${i} in ${smiles}`);
      out.push(smiles.slice(i, close + 1));
      i = close + 1;
      continue;
    }
    const next = smiles[i + 1];
    if ((c === "B" && next === "r") || (c === "C" && next === "l")) {
      if (rules.twoLetter) out.push(c + next);
      else out.push(c); // the 'r' / 'l' matches no alternative of the regex and is dropped
      i += 2;
      continue;
    }
    if (c === "%" && rules.percent && isDigit(next) && isDigit(smiles[i + 2])) {
      out.push(smiles.slice(i, i + 3));
      i += 3;
      continue;
    }
    if (SINGLE.has(c) || c === "%" || rules.bracket === "split") {
      out.push(c);
      i += 1;
      continue;
    }
    throw new Error(`reference: unexpected character '${c}' at ${i} in ${smiles}`);
  }
  return out;
}

function smilesArg(args: readonly WireValue[]): string {
  const s = args[0];
  if (typeof s !== "string") throw new Error("reference: the argument must be a SMILES string");
  return s;
}

const run = (rules: Rules) => (args: readonly WireValue[]): WireValue => tokenize(smilesArg(args), rules);

export default defineReference({
  expected: run(CORRECT),
  variants: {
    "smiles-char-split": (args) => [...smilesArg(args)],
    "smiles-two-letter-split": run({ ...CORRECT, twoLetter: false }),
    "smiles-ring-percent-split": run({ ...CORRECT, percent: false }),
    "smiles-bracket-split": run({ ...CORRECT, bracket: "split" }),
    "smiles-greedy-bracket": run({ ...CORRECT, bracket: "greedy" }),
  },
});
