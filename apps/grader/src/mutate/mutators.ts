/**
 * AST mutation of a model solution, built on the TypeScript compiler API.
 *
 * Why not StrykerJS: its instrumenter (Babel) has no numeric-constant, axis, off-by-one, swapped-argument
 * or removed-call mutators, which are the mistakes this course's exercises are about, and it is built
 * to switch mutants inside one instrumented bundle run by a test runner, whereas here each mutant must
 * be an ordinary submission graded by the real grader in its sandbox. What is kept from Stryker is the
 * idea of a mutant as (location, mutator, replacement text), applied as a text edit.
 */
import ts from "typescript";

export const MUTATORS = [
  "arithmetic",
  "comparison",
  "equality",
  "logical",
  "assignment",
  "unary",
  "update",
  "constant",
  "axis",
  "off-by-one",
  "drop-statement",
  "swap-arguments",
  "remove-call",
  "boolean",
  "condition",
  "string",
  "regex",
] as const;
export type MutatorName = (typeof MUTATORS)[number];

export interface Mutant {
  /** Stable id: `line:column mutator original -> replacement` (1-based line, 1-based column). */
  id: string;
  mutator: MutatorName;
  line: number;
  column: number;
  start: number;
  end: number;
  original: string;
  replacement: string;
}

/** The source with one mutant applied. */
export function applyMutant(source: string, m: Mutant): string {
  return source.slice(0, m.start) + m.replacement + source.slice(m.end);
}

const BINARY_SWAPS: Partial<Record<ts.SyntaxKind, { mutator: MutatorName; to: string[] }>> = {
  [ts.SyntaxKind.PlusToken]: { mutator: "arithmetic", to: ["-"] },
  [ts.SyntaxKind.MinusToken]: { mutator: "arithmetic", to: ["+"] },
  [ts.SyntaxKind.AsteriskToken]: { mutator: "arithmetic", to: ["/"] },
  [ts.SyntaxKind.SlashToken]: { mutator: "arithmetic", to: ["*"] },
  [ts.SyntaxKind.PercentToken]: { mutator: "arithmetic", to: ["*"] },
  [ts.SyntaxKind.AsteriskAsteriskToken]: { mutator: "arithmetic", to: ["*"] },
  [ts.SyntaxKind.LessThanToken]: { mutator: "comparison", to: ["<=", ">="] },
  [ts.SyntaxKind.LessThanEqualsToken]: { mutator: "comparison", to: ["<", ">"] },
  [ts.SyntaxKind.GreaterThanToken]: { mutator: "comparison", to: [">=", "<="] },
  [ts.SyntaxKind.GreaterThanEqualsToken]: { mutator: "comparison", to: [">", "<"] },
  [ts.SyntaxKind.EqualsEqualsEqualsToken]: { mutator: "equality", to: ["!=="] },
  [ts.SyntaxKind.ExclamationEqualsEqualsToken]: { mutator: "equality", to: ["==="] },
  [ts.SyntaxKind.EqualsEqualsToken]: { mutator: "equality", to: ["!="] },
  [ts.SyntaxKind.ExclamationEqualsToken]: { mutator: "equality", to: ["=="] },
  [ts.SyntaxKind.AmpersandAmpersandToken]: { mutator: "logical", to: ["||"] },
  [ts.SyntaxKind.BarBarToken]: { mutator: "logical", to: ["&&"] },
  [ts.SyntaxKind.QuestionQuestionToken]: { mutator: "logical", to: ["&&"] },
  [ts.SyntaxKind.PlusEqualsToken]: { mutator: "assignment", to: ["-="] },
  [ts.SyntaxKind.MinusEqualsToken]: { mutator: "assignment", to: ["+="] },
  [ts.SyntaxKind.AsteriskEqualsToken]: { mutator: "assignment", to: ["/="] },
  [ts.SyntaxKind.SlashEqualsToken]: { mutator: "assignment", to: ["*="] },
};

/** Prints a number the way a person would write it in source (1e-12, 20, 0.5). */
function numberText(v: number): string {
  return Object.is(v, -0) ? "0" : String(v);
}

/** Replacement values for a numeric constant `v` (sign included). */
function constantVariants(v: number): { mutator: MutatorName; value: number }[] {
  const out: { mutator: MutatorName; value: number }[] = [];
  const abs = Math.abs(v);
  if (Number.isInteger(v) && abs < 1e6) {
    // Negative small integers are axes (dim = -1, -2): move to the neighbouring axis.
    if (v < 0 && v >= -4) out.push({ mutator: "axis", value: v === -1 ? -2 : v + 1 });
    else {
      out.push({ mutator: "off-by-one", value: v + 1 });
      if (v !== 0) out.push({ mutator: "off-by-one", value: v - 1 });
    }
  } else if (abs >= 1e6) {
    // A "very large" fill (-1e9) replaced by one that only looks large (-20).
    out.push({ mutator: "constant", value: Math.sign(v) * 20 });
  } else if (abs > 0 && abs < 1e-3) {
    out.push({ mutator: "constant", value: Math.sign(v) * 1e-12 });
  } else {
    out.push({ mutator: "constant", value: v * 2 }, { mutator: "constant", value: v / 2 });
  }
  // 0 <-> 1 is among the off-by-one variants of integers above.
  return out;
}

function isErrorConstruction(node: ts.Node): boolean {
  for (let p: ts.Node | undefined = node.parent; p !== undefined; p = p.parent) {
    if (ts.isNewExpression(p) && ts.isIdentifier(p.expression) && /Error$/.test(p.expression.text)) return true;
    if (ts.isThrowStatement(p)) return true;
    if (ts.isFunctionLike(p) || ts.isBlock(p)) return false;
  }
  return false;
}

/** Indices of a regex source's characters outside character classes, escapes skipped (JS: `[]` is an empty class). */
function* outsideClasses(body: string): Generator<number> {
  let inClass = false;
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c === "\\") {
      i++;
    } else if (inClass) {
      if (c === "]") inClass = false;
    } else if (c === "[") {
      inClass = true;
    } else {
      yield i;
    }
  }
}

/** Parts of a regex source split at top-level '|' (outside classes and groups). */
function topLevelAlternatives(body: string): { start: number; end: number }[] {
  const parts: { start: number; end: number }[] = [];
  let depth = 0;
  let from = 0;
  for (const i of outsideClasses(body)) {
    const c = body[i];
    if (c === "(") depth++;
    else if (c === ")") depth--;
    else if (c === "|" && depth === 0) {
      parts.push({ start: from, end: i });
      from = i + 1;
    }
  }
  parts.push({ start: from, end: body.length });
  return parts;
}

/** Regex mutants: drop or reorder an alternative, drop one character of a class, change a quantifier. */
function regexVariants(text: string): string[] {
  const close = text.lastIndexOf("/");
  const body = text.slice(1, close);
  const flags = text.slice(close);
  const out = new Set<string>();
  const alts = topLevelAlternatives(body);
  if (alts.length > 1) {
    const pieces = alts.map((a) => body.slice(a.start, a.end));
    for (let k = 0; k < pieces.length; k++) {
      out.add(pieces.filter((_, j) => j !== k).join("|"));
      if (k + 1 < pieces.length) {
        const swapped = [...pieces];
        [swapped[k], swapped[k + 1]] = [swapped[k + 1] as string, swapped[k] as string];
        out.add(swapped.join("|"));
      }
    }
  }
  // Character classes: drop each literal character (escaped ones count as one).
  for (let i = 0; i < body.length; i++) {
    if (body[i] === "\\") {
      i++;
      continue;
    }
    if (body[i] !== "[") continue;
    let j = i + 1;
    if (body[j] === "^") j++;
    const items: { start: number; end: number }[] = [];
    while (j < body.length && body[j] !== "]") {
      const len = body[j] === "\\" ? 2 : 1;
      if (body[j + len] === "-" && body[j + len + 1] !== "]" && body[j + len + 1] !== undefined) {
        items.push({ start: j, end: j + len + 2 });
        j += len + 2;
      } else {
        items.push({ start: j, end: j + len });
        j += len;
      }
    }
    if (items.length > 1) for (const it of items) out.add(body.slice(0, it.start) + body.slice(it.end));
    i = j;
  }
  // Quantifiers outside character classes.
  for (const i of outsideClasses(body)) {
    const c = body[i];
    const braces = /^\{(\d+)\}/.exec(body.slice(i));
    const q = c === "*" || c === "+" ? c : braces?.[0];
    if (q === undefined) continue;
    const n = Number(braces?.[1]);
    const repl = q === "*" ? ["+"] : q === "+" ? ["*"] : ["+", `{${n - 1}}`, `{${n},}`];
    for (const r of repl) out.add(body.slice(0, i) + r + body.slice(i + q.length));
  }
  out.delete(body);
  return [...out].map((b) => `/${b}${flags}`);
}

export interface MutateOptions {
  /** Lines (1-based, inclusive ranges) that are not mutated: code the grader owns. */
  skipLines?: readonly [number, number][];
  /**
   * Top-level functions that are not mutated: an entry point the grader replaces with its own copy
   * (the exercise's driver.ts), so that nothing in the student's copy is ever called.
   */
  skipFunctions?: readonly string[];
}

/**
 * Lines between `// mutate: off` and `// mutate: on` (or the end of the file) are not mutated:
 * a driver the grader calls and the statement says must be kept as it is.
 */
export function skippedLineRanges(source: string): [number, number][] {
  const ranges: [number, number][] = [];
  const lines = source.split("\n");
  let from: number | null = null;
  lines.forEach((l, i) => {
    if (/\/\/\s*mutate:\s*off\b/.test(l) && from === null) from = i + 1;
    if (/\/\/\s*mutate:\s*on\b/.test(l) && from !== null) {
      ranges.push([from, i + 1]);
      from = null;
    }
  });
  if (from !== null) ranges.push([from, lines.length]);
  return ranges;
}

const oneLine = (s: string): string => s.replace(/\s+/g, " ").trim();

/**
 * `original -> replacement`, both on one line; when either is long, only the part that changed,
 * with its offset and a little context (`@12 …{2}| -> …{2,}|`), so that ids stay short and unique.
 */
export function describeEdit(original: string, replacement: string): string {
  const a = oneLine(original);
  const b = oneLine(replacement);
  if (a.length <= 60 && b.length <= 60) return `${a} -> ${b}`;
  let p = 0;
  while (p < a.length && p < b.length && a[p] === b[p]) p++;
  let q = 0;
  while (q < a.length - p && q < b.length - p && a[a.length - 1 - q] === b[b.length - 1 - q]) q++;
  const from = Math.max(0, p - 6);
  const cut = (s: string): string => {
    const mid = s.slice(from, s.length - Math.max(0, q - 6));
    return `${from > 0 ? "…" : ""}${mid.length > 70 ? `${mid.slice(0, 67)}...` : mid}${q > 6 ? "…" : ""}`;
  };
  return `@${from} ${cut(a)} -> ${cut(b)}`;
}

/** Calls whose result does not depend on the order of their arguments (all of them, or the two axes). */
const SYMMETRIC_CALLS = new Set(["Math.max", "Math.min", "Math.hypot", "torch.maximum", "torch.minimum", "torch.add", "torch.mul", "torch.eq", "torch.ne"]);
const SYMMETRIC_LAST_TWO = new Set(["transpose", "swapaxes", "swapdims"]);

/**
 * Swapping arguments k and k + 1 is tried only for k below the returned index: a swap that cannot
 * change the result (Math.max(a, b), x.transpose(0, 1)) is not a mutant but noise.
 */
function symmetricArguments(node: ts.CallExpression | ts.NewExpression, count: number): number {
  const callee = node.expression;
  if (!ts.isPropertyAccessExpression(callee)) return count;
  const method = callee.name.text;
  const owner = ts.isIdentifier(callee.expression) ? `${callee.expression.text}.${method}` : "";
  if (SYMMETRIC_CALLS.has(owner)) return 0;
  if (SYMMETRIC_LAST_TWO.has(method) && count >= 2) return count - 2;
  return count;
}

/** Every mutant of one TypeScript source, in source order, ids unique. */
export function generateMutants(source: string, fileName = "solution.ts", options: MutateOptions = {}): Mutant[] {
  const sf = ts.createSourceFile(fileName, source, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const skip = [...(options.skipLines ?? skippedLineRanges(source))];
  for (const st of sf.statements) {
    if (ts.isFunctionDeclaration(st) && st.name !== undefined && (options.skipFunctions ?? []).includes(st.name.text)) {
      skip.push([sf.getLineAndCharacterOfPosition(st.getStart(sf)).line + 1, sf.getLineAndCharacterOfPosition(st.getEnd()).line + 1]);
    }
  }
  const mutants: Mutant[] = [];
  const seen = new Set<string>();

  const add = (mutator: MutatorName, start: number, end: number, replacement: string): void => {
    const original = source.slice(start, end);
    if (original === replacement) return;
    const pos = sf.getLineAndCharacterOfPosition(start);
    const line = pos.line + 1;
    if (skip.some(([a, b]) => line >= a && line <= b)) return;
    const id = `${line}:${pos.character + 1} ${mutator} ${describeEdit(original, replacement)}`;
    const edit = `${start}:${end}:${replacement}`;
    if (seen.has(id) || seen.has(edit)) return;
    seen.add(id);
    seen.add(edit);
    mutants.push({ id, mutator, line, column: pos.character + 1, start, end, original, replacement });
  };
  const text = (n: ts.Node): string => source.slice(n.getStart(sf), n.getEnd());

  const visit = (node: ts.Node): void => {
    // Types, imports and declarations of shape carry no behaviour.
    if (ts.isTypeNode(node) || ts.isImportDeclaration(node) || ts.isInterfaceDeclaration(node) || ts.isTypeAliasDeclaration(node)) return;
    // Error messages are for people; their wording is not what a test checks.
    if (ts.isThrowStatement(node)) return;

    if (ts.isBinaryExpression(node)) {
      const swap = BINARY_SWAPS[node.operatorToken.kind];
      if (swap !== undefined) {
        for (const to of swap.to) add(swap.mutator, node.operatorToken.getStart(sf), node.operatorToken.getEnd(), to);
      }
    }
    if (ts.isPrefixUnaryExpression(node)) {
      const opStart = node.getStart(sf);
      if (node.operator === ts.SyntaxKind.MinusToken && ts.isNumericLiteral(node.operand)) {
        const v = -Number(node.operand.text);
        for (const c of constantVariants(v)) add(c.mutator, opStart, node.getEnd(), numberText(c.value));
        ts.forEachChild(node.operand, visit);
        return;
      }
      if (node.operator === ts.SyntaxKind.MinusToken || node.operator === ts.SyntaxKind.ExclamationToken) {
        add("unary", opStart, node.operand.getStart(sf), "");
      }
      if (node.operator === ts.SyntaxKind.PlusPlusToken) add("update", opStart, opStart + 2, "--");
      if (node.operator === ts.SyntaxKind.MinusMinusToken) add("update", opStart, opStart + 2, "++");
    }
    if (ts.isPostfixUnaryExpression(node)) {
      const opStart = node.getEnd() - 2;
      add("update", opStart, node.getEnd(), node.operator === ts.SyntaxKind.PlusPlusToken ? "--" : "++");
    }
    if (ts.isNumericLiteral(node)) {
      for (const c of constantVariants(Number(node.text))) add(c.mutator, node.getStart(sf), node.getEnd(), numberText(c.value));
    }
    if (node.kind === ts.SyntaxKind.TrueKeyword) add("boolean", node.getStart(sf), node.getEnd(), "false");
    if (node.kind === ts.SyntaxKind.FalseKeyword) add("boolean", node.getStart(sf), node.getEnd(), "true");
    if (ts.isElementAccessExpression(node) && !ts.isStringLiteralLike(node.argumentExpression) && !ts.isNumericLiteral(node.argumentExpression)) {
      const arg = node.argumentExpression;
      for (const d of ["+ 1", "- 1"]) add("off-by-one", arg.getStart(sf), arg.getEnd(), `${text(arg)} ${d}`);
    }
    if (ts.isStringLiteral(node) && !isErrorConstruction(node) && !ts.isImportDeclaration(node.parent) && !ts.isPropertyAssignment(node.parent)) {
      add("string", node.getStart(sf), node.getEnd(), node.text.length === 0 ? '"x"' : '""');
    }
    if (ts.isRegularExpressionLiteral(node)) {
      for (const r of regexVariants(node.text)) add("regex", node.getStart(sf), node.getEnd(), r);
    }
    if (ts.isCallExpression(node) || ts.isNewExpression(node)) {
      const args = node.arguments ?? ts.factory.createNodeArray();
      const symmetric = symmetricArguments(node, args.length);
      for (let k = 0; k + 1 < args.length; k++) {
        if (k >= symmetric) continue;
        const a = args[k] as ts.Expression;
        const b = args[k + 1] as ts.Expression;
        if (ts.isSpreadElement(a) || ts.isSpreadElement(b)) continue;
        add("swap-arguments", a.getStart(sf), b.getEnd(), `${text(b)}, ${text(a)}`);
      }
      if (ts.isCallExpression(node) && !isErrorConstruction(node)) {
        // x.f(...) -> x: the call removed, its receiver kept.
        if (ts.isPropertyAccessExpression(node.expression) && !ts.isIdentifier(node.expression.expression)) {
          add("remove-call", node.getStart(sf), node.getEnd(), text(node.expression.expression));
        } else if (ts.isPropertyAccessExpression(node.expression) && ts.isIdentifier(node.expression.expression) && /^[a-z]/.test(node.expression.expression.text) && !["torch", "Math", "Object", "JSON", "Number", "Array", "console", "String"].includes(node.expression.expression.text)) {
          add("remove-call", node.getStart(sf), node.getEnd(), text(node.expression.expression));
        }
        // f(x) -> x: a one-argument function (Math.sqrt, Math.round) skipped.
        const only = args[0];
        if (args.length === 1 && only !== undefined && !ts.isSpreadElement(only) && !ts.isArrowFunction(only) && !ts.isFunctionExpression(only)) {
          add("remove-call", node.getStart(sf), node.getEnd(), `(${text(only)})`);
        }
      }
    }
    if (ts.isConditionalExpression(node)) {
      add("condition", node.condition.getStart(sf), node.condition.getEnd(), "true");
      add("condition", node.condition.getStart(sf), node.condition.getEnd(), "false");
    }
    if (ts.isIfStatement(node) || ts.isWhileStatement(node)) {
      const cond = node.expression;
      add("condition", cond.getStart(sf), cond.getEnd(), ts.isWhileStatement(node) ? "false" : "true");
      add("condition", cond.getStart(sf), cond.getEnd(), "false");
    }
    if (ts.isForStatement(node) && node.condition !== undefined) {
      add("condition", node.condition.getStart(sf), node.condition.getEnd(), "false");
    }
    // Statements dropped: expression statements, ifs, returns inside blocks (not declarations).
    if ((ts.isExpressionStatement(node) || ts.isIfStatement(node) || ts.isContinueStatement(node) || ts.isBreakStatement(node)) && (ts.isBlock(node.parent) || ts.isSourceFile(node.parent) || ts.isIfStatement(node.parent) || ts.isForStatement(node.parent) || ts.isForOfStatement(node.parent) || ts.isCaseClause(node.parent))) {
      const inBlock = ts.isBlock(node.parent) || ts.isSourceFile(node.parent) || ts.isCaseClause(node.parent);
      add("drop-statement", node.getStart(sf), node.getEnd(), inBlock ? "" : "{}");
    }
    ts.forEachChild(node, visit);
  };
  ts.forEachChild(sf, visit);
  return mutants;
}
