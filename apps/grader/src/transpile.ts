import { createHash } from "node:crypto";
import type { CompileError } from "@tfm/contract";
import * as esbuild from "esbuild";
import { boundCompileErrors, clipText, MAX_COMPILE_ERRORS, MAX_QUOTED_CHARS } from "./bounded.ts";

export const KIT_MODULE = "@tfm/kit";
/**
 * What a grader-owned driver imports to reach the student's module (see transpile's `driver`): the
 * starter, so that the driver type-checks against the starter's signatures in the repository.
 */
export const SUBMISSION_MODULE = "./starter.ts";

export type TranspileOutcome =
  | { ok: true; code: string; sourceMap: string }
  | { ok: false; errors: CompileError[] };

/**
 * Limits of one transpile. esbuild runs as a separate Go service; a source it cannot handle may make
 * it slow (deeply nested blocks: 12 s for 20,000 levels), crash it (a stack overflow on a very long
 * chain of unary operators), or make an output too long for a JS string. The pre-check below rejects
 * such sources in linear time before esbuild sees them; the time and output limits and the restart
 * after a crash hold for whatever the pre-check does not foresee.
 */
export const TRANSPILE_LIMITS = {
  /** Brackets ((), [], {}, template ${}) open at once. */
  maxBracketDepth: 128,
  /** Unary operators in a row (!!!!x, - - -x, typeof typeof x). */
  maxUnaryRun: 64,
  /** Right-nesting operators (=>, ?:, =, **, <) in one statement or list item without brackets. */
  maxChainLength: 1_000,
  /** `import` keywords (each unknown one costs esbuild a resolution and an error with its line). */
  maxImports: 100,
  timeoutMs: 3_000,
  maxOutputChars: 8_000_000,
};

/**
 * A path that is anything but `literal` (for esbuild's filter, which is Go's regular-expression syntax
 * and has no look-ahead): a proper prefix of it, a string that leaves it at some character, or one
 * that goes on after it.
 */
export function allBut(literal: string): RegExp {
  const esc = (t: string) => t.replace(/[\\^$.*+?()[\]{}|/-]/g, "\\$&");
  const parts: string[] = [];
  for (let i = 0; i < literal.length; i++) {
    const head = esc(literal.slice(0, i));
    parts.push(head, `${head}[^${esc(literal.charAt(i))}][\\s\\S]*`);
  }
  parts.push(`${esc(literal)}[\\s\\S]+`);
  return new RegExp(`^(?:${parts.join("|")})$`);
}

/** Every import but the kit's (external through the build's own option: no call back into this process). */
const NOT_THE_KIT = allBut(KIT_MODULE);

function onlyKit(driven: string | null): esbuild.Plugin {
  return {
    name: "only-kit",
    setup(build) {
      build.onResolve({ filter: NOT_THE_KIT }, (args) => {
        if (args.kind === "entry-point") return undefined;
        // Only the grader's own driver (the entry) reaches the submission module; the submission's own
        // imports are resolved in the "submission" namespace and never get here.
        if (driven !== null && args.path === SUBMISSION_MODULE && args.namespace !== "submission") return { path: "submission.ts", namespace: "submission" };
        // require("x") stays a call: the sandbox's require answers it with a runtime error.
        if (args.kind === "require-call") return { path: clipText(args.path, MAX_QUOTED_CHARS), external: true };
        const name = clipText(args.path, MAX_QUOTED_CHARS);
        return {
          errors: [
            {
              text: `Cannot import '${name}': only '${KIT_MODULE}' can be imported in a submission / 提出コードで import できるのは '${KIT_MODULE}' だけです`,
            },
          ],
        };
      });
      build.onLoad({ filter: /.*/, namespace: "submission" }, () => ({ contents: driven ?? "", loader: "ts" }));
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Pre-check: one linear pass over the source.

export type PrecheckProblem = { what: "depth" | "unary" | "chain" | "imports"; line: number; column: number; count: number };

/** [A-Za-z0-9_$] or any non-ASCII character: by char code, no regular expression per character. */
function isIdent(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === 36 || c >= 0x80;
}
const UNARY_WORDS = new Set(["typeof", "void", "delete", "await", "new", "yield"]);

/**
 * Finds nesting that would make esbuild recurse deeply, without parsing: strings, comments, regular
 * expressions (approximately) and template literals are skipped; brackets, unary runs and chains of
 * right-nesting operators are counted. Linear in the source's length, with a fixed stack.
 */
export function precheckSource(source: string): PrecheckProblem | null {
  const L = TRANSPILE_LIMITS;
  let line = 1;
  let lineStart = 0;
  // Each open bracket remembers whether it opened a template's ${ (closing it returns to the template).
  const stack: boolean[] = [];
  const chains: number[] = [0];
  let unary = 0;
  let imports = 0;
  /** Whether the last token ends an operand (then / is division, + is binary). */
  let operand = false;
  const at = (i: number, what: PrecheckProblem["what"], count: number): PrecheckProblem => ({ what, line, column: i - lineStart + 1, count });
  const n = source.length;
  let i = 0;
  let inTemplate = false;
  while (i < n) {
    const ch = source[i] as string;
    if (ch === "\n") {
      line++;
      lineStart = i + 1;
    }
    if (inTemplate) {
      if (ch === "\\") i += 2;
      else if (ch === "`") {
        inTemplate = false;
        operand = true;
        i++;
      } else if (ch === "$" && source[i + 1] === "{") {
        stack.push(true);
        chains.push(0);
        if (stack.length > L.maxBracketDepth) return at(i, "depth", stack.length);
        inTemplate = false;
        operand = false;
        i += 2;
      } else i++;
      continue;
    }
    if (ch === " " || ch === "\t" || ch === "\r" || ch === "\n") {
      i++;
      continue;
    }
    if (ch === "/" && source[i + 1] === "/") {
      while (i < n && source[i] !== "\n") i++;
      continue;
    }
    if (ch === "/" && source[i + 1] === "*") {
      const end = source.indexOf("*/", i + 2);
      const stop = end < 0 ? n : end + 2;
      for (let j = i; j < stop; j++) if (source[j] === "\n") { line++; lineStart = j + 1; }
      i = stop;
      continue;
    }
    if (ch === '"' || ch === "'") {
      i++;
      while (i < n && source[i] !== ch && source[i] !== "\n") i += source[i] === "\\" ? 2 : 1;
      i++;
      operand = true;
      unary = 0;
      continue;
    }
    if (ch === "`") {
      inTemplate = true;
      unary = 0;
      i++;
      continue;
    }
    if (ch === "/" && !operand) {
      // A regular expression literal: skip to its closing slash (outside a character class).
      i++;
      let cls = false;
      while (i < n && source[i] !== "\n") {
        const c = source[i];
        if (c === "\\") i++;
        else if (c === "[") cls = true;
        else if (c === "]") cls = false;
        else if (c === "/" && !cls) break;
        i++;
      }
      i++;
      while (i < n && isIdent(source.charCodeAt(i))) i++;
      operand = true;
      unary = 0;
      continue;
    }
    if (isIdent(source.charCodeAt(i))) {
      const start = i;
      while (i < n && isIdent(source.charCodeAt(i))) i++;
      const word = source.slice(start, Math.min(i, start + 8));
      if (word === "import" && i - start === 6 && ++imports > L.maxImports) return at(start, "imports", imports);
      if (UNARY_WORDS.has(word) && i - start === word.length) {
        if (++unary > L.maxUnaryRun) return at(start, "unary", unary);
        operand = false;
      } else {
        operand = true;
        unary = 0;
      }
      continue;
    }
    if (ch === "(" || ch === "[" || ch === "{") {
      stack.push(false);
      chains.push(0);
      if (stack.length > L.maxBracketDepth) return at(i, "depth", stack.length);
      operand = false;
      unary = 0;
      i++;
      continue;
    }
    if (ch === ")" || ch === "]" || ch === "}") {
      const template = stack.pop() === true;
      chains.pop();
      if (chains.length === 0) chains.push(0);
      i++;
      if (template) inTemplate = true;
      else operand = true;
      unary = 0;
      continue;
    }
    if (ch === ";" || ch === ",") {
      chains[chains.length - 1] = 0;
      operand = false;
      unary = 0;
      i++;
      continue;
    }
    // Operators.
    const next = source[i + 1];
    let chain = false;
    let width = 1;
    if (ch === "=" && next === ">") {
      chain = true;
      width = 2;
    } else if (ch === "?") {
      if (next === "?" || next === ".") width = 2;
      else chain = true;
    } else if (ch === "*" && next === "*") {
      chain = true;
      width = 2;
    } else if (ch === "<") chain = true;
    else if (ch === "=" && next !== "=" ) chain = true;
    if (chain) {
      const top = chains.length - 1;
      chains[top] = (chains[top] ?? 0) + 1;
      if ((chains[top] ?? 0) > L.maxChainLength) return at(i, "chain", chains[top] ?? 0);
    }
    if ((ch === "!" || ch === "~" || ch === "+" || ch === "-") && !operand) {
      if (++unary > L.maxUnaryRun) return at(i, "unary", unary);
    } else if ((ch === "+" || ch === "-") && next === ch) {
      // ++ / -- after an operand: a postfix update, not nesting; what it ends is still an operand, so
      // a `/` after it divides (`a++ / b`) and does not start a regular expression to skip.
      i += 2;
      unary = 0;
      continue;
    } else {
      unary = 0;
    }
    operand = false;
    i += width;
  }
  return null;
}

function precheckError(p: PrecheckProblem, source: string): CompileError {
  const L = TRANSPILE_LIMITS;
  const message =
    p.what === "depth"
      ? `the code nests brackets more than ${L.maxBracketDepth} levels deep; flatten it / 括弧の入れ子が ${L.maxBracketDepth} 段を超えています。入れ子を浅くしてください`
      : p.what === "unary"
        ? `more than ${L.maxUnaryRun} unary operators in a row; simplify the expression / 単項演算子が ${L.maxUnaryRun} 個以上続いています。式を簡単にしてください`
        : p.what === "imports"
          ? `more than ${L.maxImports} imports; a submission imports only '${KIT_MODULE}' / import が ${L.maxImports} 個を超えています。提出コードが import できるのは '${KIT_MODULE}' だけです`
          : `one expression chains more than ${L.maxChainLength} nesting operators (=>, ?:, =, **, <); split it into statements / 1 つの式で入れ子になる演算子 (=>, ?:, =, **, <) が ${L.maxChainLength} 個を超えています。文に分けてください`;
  return { line: p.line, column: p.column, message, lineText: lineAt(source, p.line) };
}

function lineAt(source: string, line: number): string {
  let start = 0;
  for (let l = 1; l < line; l++) {
    const nl = source.indexOf("\n", start);
    if (nl < 0) return "";
    start = nl + 1;
  }
  const end = source.indexOf("\n", start);
  return source.slice(start, end < 0 ? source.length : Math.min(end, start + 10_000));
}

// ---------------------------------------------------------------------------------------------
// The cache, bounded by bytes.

/**
 * Outcomes of recent sources by content hash (and driver): esbuild's output is a function of the
 * source alone, so a source seen before (a resubmission, a regrade, the same starter code) is not
 * transpiled again. Bounded by the characters it holds, not by a count.
 */
const recent = new Map<string, { outcome: TranspileOutcome; chars: number }>();
export const TRANSPILE_CACHE_MAX_CHARS = 16_000_000;
let recentChars = 0;
export const transpileCache = { hits: 0, misses: 0, chars: () => recentChars, entries: () => recent.size };

function sizeOf(o: TranspileOutcome): number {
  if (o.ok) return o.code.length + o.sourceMap.length + 64;
  return o.errors.reduce((n, e) => n + e.message.length + e.lineText.length + 32, 64);
}

function remember(key: string, outcome: TranspileOutcome): void {
  const chars = sizeOf(outcome);
  // An outcome larger than a quarter of the cache is not kept: it would push out everything else.
  if (chars > TRANSPILE_CACHE_MAX_CHARS / 4) return;
  recent.set(key, { outcome, chars });
  recentChars += chars;
  while (recentChars > TRANSPILE_CACHE_MAX_CHARS) {
    const oldest = recent.keys().next().value;
    if (oldest === undefined) break;
    recentChars -= recent.get(oldest)?.chars ?? 0;
    recent.delete(oldest);
  }
}

// ---------------------------------------------------------------------------------------------
// The esbuild service: one transpile at a time, restarted after it dies or overruns.

export interface TranspilerHealth {
  status: "ok" | "down";
  restarts: number;
  lastRestartReason: string | null;
}

const health: TranspilerHealth = { status: "ok", restarts: 0, lastRestartReason: null };

export function transpilerHealth(): TranspilerHealth {
  return { ...health };
}

let chain: Promise<unknown> = Promise.resolve();

/** Runs `f` after every transpile before it: a restart must not fail another source's build. */
function serial<T>(f: () => Promise<T>): Promise<T> {
  const run = chain.then(f, f);
  chain = run.catch(() => {});
  return run;
}

export class TranspilerDownError extends Error {
  override name = "TranspilerDownError";
}

/**
 * TypeScript -> one CommonJS script for the sandbox, with a source map back to the student's file.
 * `driver`: the grader's own driver (an exercise's "keep it as it is" code); it becomes the entry
 * and imports the student's module as SUBMISSION_MODULE, so the student's copy has no effect.
 */
export async function transpile(source: string, driver: string | null = null): Promise<TranspileOutcome> {
  const key = createHash("sha256").update(source).update("\0").update(driver ?? "").digest("base64");
  const found = recent.get(key);
  if (found !== undefined) {
    transpileCache.hits++;
    recent.delete(key);
    recent.set(key, found);
    return found.outcome;
  }
  transpileCache.misses++;
  const problem = precheckSource(source);
  const outcome: TranspileOutcome = problem !== null ? { ok: false, errors: boundCompileErrors([precheckError(problem, source)]) } : await serial(() => transpileGuarded(source, driver));
  remember(key, outcome);
  return outcome;
}

/** The transpile itself, guarded: the pre-check is skipped (tests use it to reach esbuild's own limits). */
export function transpileWithoutPrecheck(source: string, driver: string | null = null): Promise<TranspileOutcome> {
  return serial(() => transpileGuarded(source, driver));
}

type Attempt = TranspileOutcome | "timeout" | { crashed: string };

async function attempt(source: string, driver: string | null): Promise<Attempt> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), TRANSPILE_LIMITS.timeoutMs);
  });
  try {
    return await Promise.race([
      transpileNow(source, driver).catch((e: unknown): Attempt => ({ crashed: e instanceof Error ? e.message : String(e) })),
      timedOut,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

async function transpileGuarded(source: string, driver: string | null): Promise<TranspileOutcome> {
  let outcome = await attempt(source, driver);
  if (typeof outcome === "object" && "crashed" in outcome) {
    // The service may have died of something else (killed from outside, a previous source): a
    // fresh one gets this source once more before the source is blamed.
    await restartService(clipText(outcome.crashed, 200));
    outcome = await attempt(source, driver);
  }
  if (outcome !== "timeout" && !("crashed" in outcome)) {
    health.status = "ok";
    if (outcome.ok && outcome.code.length + outcome.sourceMap.length > TRANSPILE_LIMITS.maxOutputChars) {
      return limitError(`the transpiled code is longer than ${TRANSPILE_LIMITS.maxOutputChars} characters / 変換後のコードが ${TRANSPILE_LIMITS.maxOutputChars} 文字を超えています`);
    }
    return outcome;
  }
  // esbuild overran or died on this source twice: restart it, then check that it works on a trivial
  // source. If it does, this source was the cause (a compile error for the student); if not, the
  // grader is at fault.
  const reason = outcome === "timeout" ? `timed out after ${TRANSPILE_LIMITS.timeoutMs} ms` : clipText(outcome.crashed, 200);
  await restartService(reason);
  const canary = await attempt("export const ok = 1;\n", null);
  if (typeof canary !== "object" || !("ok" in canary) || !canary.ok) {
    health.status = "down";
    await restartService("the canary transpile failed");
    throw new TranspilerDownError(`the TypeScript transpiler is not working (${reason})`);
  }
  health.status = "ok";
  return outcome === "timeout"
    ? limitError(`transpiling this code took longer than ${TRANSPILE_LIMITS.timeoutMs} ms; simplify it / このコードの変換に ${TRANSPILE_LIMITS.timeoutMs} ms 以上かかりました。コードを簡単にしてください`)
    : limitError(`the transpiler could not process this code (it stopped: ${reason}); simplify deeply nested or very long expressions / 変換器がこのコードを処理できませんでした (停止: ${reason})。深い入れ子や非常に長い式を簡単にしてください`);
}

async function restartService(reason: string): Promise<void> {
  health.restarts++;
  health.lastRestartReason = reason;
  // stop() ends the Go service (and fails its pending calls); the next call starts a new one.
  await Promise.resolve(esbuild.stop()).catch(() => {});
}

function limitError(message: string): TranspileOutcome {
  return { ok: false, errors: [{ line: 1, column: 1, message, lineText: "" }] };
}

/** The build options every transpile shares (the plugin and the metafile are added per path). */
function buildOptions(entry: string, sourcefile: string): esbuild.BuildOptions & { write: false } {
  return {
    stdin: { contents: entry, loader: "ts", sourcefile },
    bundle: true,
    format: "cjs",
    platform: "neutral",
    target: "es2022",
    outfile: "submission.js",
    sourcemap: "external",
    write: false,
    logLevel: "silent",
    logLimit: MAX_COMPILE_ERRORS,
    external: [KIT_MODULE],
    supported: { "dynamic-import": false },
  };
}

function outputOf(files: readonly esbuild.OutputFile[]): { ok: true; code: string; sourceMap: string } {
  let code = "";
  let sourceMap = "";
  for (const file of files) {
    if (file.path.endsWith(".map")) sourceMap = file.text;
    else code = file.text;
  }
  return { ok: true, code, sourceMap };
}

/**
 * A submission without a driver, built without the plugin: a build with a plugin costs esbuild's
 * service round trips to this process for the plugin's set-up (transpile() of the SDPA model: 2.0-2.3
 * -> 1.4-1.5 ms of wall time, 0.74-0.85 -> 0.45-0.49 ms of this thread's CPU). Taken only when it is the build the plugin would have made: it succeeded, and the metafile
 * shows no import but exactly the kit (esbuild's `external` also lets `@tfm/kit/x` through, which the
 * plugin refuses). Anything else, a compile error included, returns null and goes the plugin's way,
 * whose messages are the ones students read.
 */
export async function transpileWithoutPlugin(source: string): Promise<TranspileOutcome | null> {
  let result: esbuild.BuildResult<{ write: false; metafile: true }>;
  try {
    result = await esbuild.build({ ...buildOptions(source, "submission.ts"), metafile: true });
  } catch (e) {
    if (isBuildFailure(e)) return null;
    throw e;
  }
  for (const input of Object.values(result.metafile.inputs)) {
    for (const imported of input.imports) if (imported.path !== KIT_MODULE || imported.external !== true) return null;
  }
  return outputOf(result.outputFiles);
}

async function transpileNow(source: string, driver: string | null): Promise<TranspileOutcome> {
  if (driver === null) {
    const fast = await transpileWithoutPlugin(source);
    if (fast !== null) return fast;
  }
  return transpileWithPlugin(source, driver);
}

/** The build every transpile made before the path above (and still makes where that one does not apply). */
export async function transpileWithPlugin(source: string, driver: string | null): Promise<TranspileOutcome> {
  const entry = driver ?? source;
  try {
    const result = await esbuild.build({ ...buildOptions(entry, driver === null ? "submission.ts" : "driver.ts"), plugins: [onlyKit(driver === null ? null : source)] });
    return outputOf(result.outputFiles);
  } catch (e) {
    if (isBuildFailure(e)) {
      return { ok: false, errors: boundCompileErrors(e.errors.slice(0, MAX_COMPILE_ERRORS).map((m) => toCompileError(m, source))) };
    }
    throw e;
  }
}

function isBuildFailure(e: unknown): e is esbuild.BuildFailure {
  return typeof e === "object" && e !== null && "errors" in e && Array.isArray((e as { errors: unknown }).errors);
}

function toCompileError(m: esbuild.Message, source: string): CompileError {
  const loc = m.location;
  const line = loc?.line ?? 1;
  const lineText = loc?.lineText ?? lineAt(source, line);
  return { line: Math.max(1, line), column: (loc?.column ?? 0) + 1, message: m.text, lineText };
}
