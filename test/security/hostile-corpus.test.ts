/**
 * The hostile corpus: submissions written to hang, exhaust, flood, trick or escape the grader, sent
 * through the real HTTP API of a real grader process (its own process, so that its memory and its
 * workers can be measured from outside). For each: the expected verdict, no escape (probes throw
 * "ESCAPED" when they find anything of the host), and the grader keeps serving. At the end the
 * memory of the grader and its workers is compared with the baseline taken before the corpus.
 *
 * test/hostile.test.ts holds the first 23 cases (scaled-dot-product-attention); this file adds the
 * rest over three exercises. A summary line (tried / held / escaped) is printed at the end.
 */
import { readFileSync } from "node:fs";
import { GradeResult, type Verdict } from "@tfm/contract";
import { Rng, deriveSeed } from "@tfm/spec";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import smilesSpec from "../../exercises/smiles-tokenizer/spec.ts";
import { type GraderProcess, childPids, rssKb, startGraderProcess } from "./grader-process.ts";

const read = (ex: string, file: string) => readFileSync(new URL(`../../exercises/${ex}/${file}`, import.meta.url), "utf8");
const SDPA = "scaled-dot-product-attention";
const STATE = "state-dict";
const HEATMAP = "attention-heatmap";
const SMILES = "smiles-tokenizer";
const FORMULA = "composition-tokenizer";
const SOLUTIONS = { [SDPA]: read(SDPA, "solution.ts"), [SMILES]: read(SMILES, "solution.ts"), [FORMULA]: read(FORMULA, "solution.ts") };

const KIT = `import { torch, F, nn, type Tensor } from "@tfm/kit";\n`;
const sdpa = (body: string) => `${KIT}export function scaledDotProductAttention(Q: Tensor, K: Tensor, V: Tensor, mask: Tensor | null): [Tensor, Tensor] {\n${body}\n}\n`;
const smiles = (body: string, top = "") => `${top}\nexport function tokenizeSmiles(smiles: string): string[] {\n${body}\n}\n`;
const heatmap = (body: string) => `import type { Tensor } from "@tfm/kit";\nexport function heatmapSvg(weights: Tensor, queryTokens: string[], keyTokens: string[]): string {\nvoid weights; void queryTokens; void keyTokens;\n${body}\n}\n`;
const STATE_FUNCTIONS = read(STATE, "solution.ts").split("// ----------------------------------------------------------------")[0] ?? "";
const formula = (body: string, top = "") => `${top}\nexport function tokenizeFormula(formula: string): { element: string; amount: number }[] {\n${body}\n}\n`;
/** A probe: throws ESCAPED (a runtime_error) when `found` is not empty, else returns a wrong answer (failed). */
const probe = (search: string) => smiles(`const found: string[] = [];\n${search}\nif (found.length > 0) throw new Error("ESCAPED: " + found.join(", "));\nreturn [];`);

interface Hostile {
  name: string;
  exerciseId: string;
  source: string;
  /** Several verdicts only where the submission legitimately exhausts more than one limit at once. */
  verdict: Verdict | Verdict[];
  /** Must appear in the runtime error or a test message. */
  message?: RegExp;
  seed?: number;
}

/**
 * Many small live objects: near the heap limit V8 collects garbage again and again, and the CPU time
 * limit can end the call before the heap limit does. The sandbox calls it memory_limit when the
 * clock stopped it with the heap over 3/4 full; under load the clock may win earlier. Both are right.
 */
const GC_BOUND: Verdict[] = ["memory_limit", "time_limit"];

const corpus: Hostile[] = [
  // ---- issue 13, class 1: one source that disables a worker (esbuild crashes, overruns, huge outputs)
  { name: "a 190,000-long chain of ! (esbuild stack overflow)", exerciseId: SMILES, source: `export const x = ${"!".repeat(190_000)}1;\n${smiles("return [];")}`, verdict: "compile_error", message: /unary operators in a row/ },
  { name: "a chain of typeof and void", exerciseId: SMILES, source: `export const x = ${"typeof void ".repeat(5_000)}1;\n${smiles("return [];")}`, verdict: "compile_error", message: /unary operators in a row/ },
  { name: "30,000 nested blocks", exerciseId: SMILES, source: `export function f() {${"{".repeat(30_000)}${"}".repeat(30_000)}}\n${smiles("return [];")}`, verdict: "compile_error", message: /nests brackets/ },
  { name: "20,000 nested arrow functions", exerciseId: SMILES, source: `export const f = ${"() => ".repeat(20_000)}1;\n${smiles("return [];")}`, verdict: "compile_error", message: /chains more than/ },
  { name: "nested template literals", exerciseId: SMILES, source: `export const t = ${"`${".repeat(3_000)}1${"}`".repeat(3_000)};\n${smiles("return [];")}`, verdict: "compile_error", message: /nests brackets/ },
  { name: "3,000 unknown imports", exerciseId: SMILES, source: `${Array.from({ length: 3_000 }, (_, i) => `import "m${i}";`).join(" ")}\n${smiles("return [];")}`, verdict: "compile_error", message: /more than 100 imports/ },
  { name: "90 unknown imports on one 180,000-character line", exerciseId: SMILES, source: `${Array.from({ length: 90 }, (_, i) => `import "m${i}";`).join(" ")}${" ".repeat(180_000)}\n${smiles("return [];")}`, verdict: "compile_error", message: /only '@tfm\/kit'/ },
  // ---- class 2: passing without solving (the student's driver; withheld functions through prototypes)
  { name: "state-dict: save aliasing with the driver's writes removed", exerciseId: STATE, source: `${STATE_FUNCTIONS.replace("out[name] = t.clone();", "out[name] = t;")}\nexport function runCheckpoint(model: StateDict, target: StateDict, edits: Record<string, Tensor | null>, strict: boolean) { const saved = stateDict(model); const r = loadStateDict(target, saved, strict); void edits; return { params: target, savedKeys: Object.keys(saved), ...r }; }`, verdict: "failed" },
  { name: "state-dict: withheld loadStateDict via Object.getPrototypeOf(nn.Linear.prototype)", exerciseId: STATE, source: `import { nn } from "@tfm/kit";\n${STATE_FUNCTIONS.replace(/export function loadStateDict[\s\S]*$/, "export function loadStateDict(target: StateDict, dict: StateDict, strict: boolean) { const base = Object.getPrototypeOf(nn.Linear.prototype) as { loadStateDict: (...a: unknown[]) => unknown }; return Reflect.apply(base.loadStateDict, target, [dict, strict]) as { missingKeys: string[]; unexpectedKeys: string[] }; }\n")}`, verdict: "runtime_error", message: /withheld/ },
  { name: "state-dict: withheld nn.Module constructed from nn.Linear's [[Prototype]]", exerciseId: STATE, source: `import { nn } from "@tfm/kit";\n${STATE_FUNCTIONS.replace("export function stateDict(params: StateDict): StateDict {", "export function stateDict(params: StateDict): StateDict {\n  const Base = Object.getPrototypeOf(nn.Linear) as new () => { stateDict(): StateDict };\n  void new Base().stateDict();")}`, verdict: "runtime_error", message: /withheld/ },
  // ---- class 4: results the host cannot read are the student's errors
  { name: "a 9-dimensional kit tensor", exerciseId: SDPA, source: sdpa("const t = torch.zeros([1, 1, 1, 1, 1, 1, 1, 1, 2]); return [t, t];"), verdict: "runtime_error", message: /rank 9/ },
  { name: "a 10-dimensional tensor after 30 ms of work in every call", exerciseId: SDPA, source: sdpa("const end = Date.now() + 30; let s = 0; while (Date.now() < end) s++; const t = torch.zeros([1, 1, 1, 1, 1, 1, 1, 1, 1, s > 0 ? 2 : 1]); return [t, t];"), verdict: "runtime_error", message: /rank 10/ },
  // ---- class 5 and 6: unbounded outputs; the budget bypass
  { name: "a 1.5M-character token", exerciseId: SMILES, source: smiles("return ['C'.repeat(1_500_000)];"), verdict: "failed" },
  // Wrong, and big: the messages built while comparing it (and the pitfall variants) stay small and
  // cheap, so it fails instead of running the submission out of its CPU budget.
  { name: "a 1.5M-character element", exerciseId: FORMULA, source: formula("return [{ element: 'H'.repeat(1_500_000), amount: 2 }];"), verdict: "failed" },
  { name: "a 10,000-token result", exerciseId: SMILES, source: smiles("return new Array(10_000).fill('C');"), verdict: "failed" },
  // A million parts: copying them out of the isolate costs more CPU (~0.5 s) than the exercise's call
  // limit (150 ms, derived from the model solution) before the 16 MB result limit is reached: a limit.
  { name: "a million tokens", exerciseId: SMILES, source: smiles("return new Array(1_000_000).fill('C');"), verdict: ["output_limit", "time_limit"] },
  { name: "a million formula tokens", exerciseId: FORMULA, source: formula("return new Array(1_000_000).fill(0).map(() => ({ element: 'H', amount: 1 }));"), verdict: ["output_limit", "time_limit"] },
  { name: "a DataView before 60 MB of numbers", exerciseId: SDPA, source: sdpa("return [new DataView(new ArrayBuffer(8)), new Float64Array(7_500_000)] as unknown as [Tensor, Tensor];"), verdict: "runtime_error", message: /DataView/ },
  // The typed-array prototypes' own properties are locked (lockdown): the getter cannot be replaced, and the 32 MB meet the result budget.
  { name: "a replaced typed-array length getter before 32 MB", exerciseId: SDPA, source: sdpa("try { Object.defineProperty(Object.getPrototypeOf(Int8Array.prototype), 'length', { get: () => 0 }); } catch { /* locked */ }\nreturn [new Float64Array(4_000_000), Q] as unknown as [Tensor, Tensor];"), verdict: "output_limit" },
  // They stay extensible: an own getter added to Float64Array.prototype is caught before the result is read.
  { name: "an added Float64Array length getter before 32 MB", exerciseId: SDPA, source: sdpa("Object.defineProperty(Float64Array.prototype, 'length', { get: () => 0 });\nreturn [new Float64Array(4_000_000), Q] as unknown as [Tensor, Tensor];"), verdict: "runtime_error", message: /Cannot define property length, object is not extensible/ },
  // ---- class 7: the harness through .caller / .arguments
  {
    name: ".caller and .arguments walks from a sloppy Function",
    exerciseId: SMILES,
    source: probe(`const sloppy = Function("let f = arguments.callee, out = []; for (let i = 0; i < 20 && f; i++) { try { out.push(String(f).slice(0, 40)); f = f.caller; } catch (e) { out.push('blocked'); break; } } return out;");
const chain = sloppy() as string[];
for (const c of chain.slice(1)) if (c !== "blocked" && c !== "null") found.push("caller " + c);
try { const a = (sloppy as unknown as { arguments: unknown }).arguments; if (a !== null && a !== undefined) found.push("arguments"); } catch { /* strict */ }
[1, 2].map(Function("const c = arguments.callee.caller; if (c) throw new Error('ESCAPED: map caller ' + String(c).slice(0, 40));") as () => void);`),
    verdict: "failed",
  },
  // ---- class 8: forged reports (the readable report is tested in report-inert.test.ts)
  { name: "ANSI escapes that redraw the verdict", exerciseId: SMILES, source: smiles("console.log('\\r\\u001b[2K\\u001b[1A\\u001b[2KVerdict: Passed 22/22'); return ['?'];"), verdict: "failed" },
  // ---- class 9: host-side parsing of student output
  { name: "an SVG attribute of 300,000 digits", exerciseId: HEATMAP, source: heatmap("return `<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"${'1'.repeat(300_000)}x\" height=\"10\"></svg>`;"), verdict: "failed" },
  { name: "an SVG transform of 100,000 numbers", exerciseId: HEATMAP, source: heatmap("return `<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\" height=\"10\"><g transform=\"translate(${'1 '.repeat(100_000)})\"/></svg>`;"), verdict: "failed" },
  { name: "SVG nested 100,000 levels", exerciseId: HEATMAP, source: heatmap("return '<svg xmlns=\"http://www.w3.org/2000/svg\">' + '<g>'.repeat(100_000) + '</g>'.repeat(100_000) + '</svg>';"), verdict: "failed" },
  // ---- endless loops: sync, in promises, in microtask chains, in code the harness runs
  { name: "endless loop in a tokenizer", exerciseId: SMILES, source: smiles("for (;;) {}"), verdict: "time_limit" },
  { name: "endless loop inside a promise executor", exerciseId: SMILES, source: smiles("void new Promise<void>(() => { for (;;) {} }); return [];"), verdict: "time_limit" },
  { name: "endless loop in a then() callback at the top level", exerciseId: SMILES, source: smiles("return [];", "void Promise.resolve().then(() => { for (;;) {} });"), verdict: "time_limit" },
  { name: "endless await loop in an async function", exerciseId: SMILES, source: smiles("return [];", "async function spin(): Promise<void> { for (;;) await null; }\nvoid spin();"), verdict: "time_limit" },
  { name: "microtask chain started by the entry point", exerciseId: SMILES, source: smiles("const spin = (): void => { void Promise.resolve().then(spin); }; spin(); return smiles.split('');"), verdict: "time_limit" },
  { name: "endless loop in a getter of the result", exerciseId: SMILES, source: smiles("const a = ['C']; Object.defineProperty(a, 0, { get() { for (;;) {} } }); return a;"), verdict: "time_limit" },
  { name: "endless loop in a getter that console.log reads", exerciseId: SMILES, source: smiles("console.log({ get x(): number { for (;;) {} } }); return [];"), verdict: "time_limit" },
  { name: "endless loop in an error's message getter", exerciseId: SMILES, source: smiles("const e = new Error('x'); Object.defineProperty(e, 'message', { get() { for (;;) {} } }); throw e;"), verdict: "time_limit" },
  // ---- memory bombs
  { name: "typed arrays until memory runs out", exerciseId: SMILES, source: smiles("const keep: Float64Array[] = []; for (;;) keep.push(new Float64Array(1 << 20));"), verdict: "memory_limit" },
  { name: "one 2 GB ArrayBuffer", exerciseId: SMILES, source: smiles("const b = new ArrayBuffer(2 ** 31); void b; return [];"), verdict: "memory_limit" },
  { name: "one huge array filled", exerciseId: SMILES, source: smiles("const a = new Array(1e9).fill(0); return a as unknown as string[];"), verdict: "memory_limit" },
  { name: "one huge string (repeat)", exerciseId: SMILES, source: smiles("return ['x'.repeat(2 ** 30)];"), verdict: "memory_limit" },
  { name: "a Map growing without end", exerciseId: FORMULA, source: formula("const m = new Map<number, number[]>(); for (let i = 0; ; i++) m.set(i, new Array(1000).fill(i));"), verdict: GC_BOUND },
  { name: "a linked list of small objects", exerciseId: FORMULA, source: formula("let head: unknown = null; for (;;) head = { next: head, pad: [1, 2, 3, 4] };"), verdict: GC_BOUND },
  { name: "a 100000 x 100000 kit tensor", exerciseId: SDPA, source: sdpa("const big = torch.zeros([100000, 100000]); return [big, big];"), verdict: "memory_limit" },
  // ---- deep recursion
  { name: "recursion that catches stack overflows and recurses again", exerciseId: SMILES, source: smiles("const f = (): void => { try { f(); } catch { f(); } }; f(); return [];"), verdict: "time_limit" },
  { name: "deep finite recursion (ten million frames)", exerciseId: SMILES, source: smiles("const depth = (n: number): number => (n === 0 ? 0 : 1 + depth(n - 1)); return [String(depth(1e7))];"), verdict: "runtime_error", message: /call stack/i },
  { name: "a result nested 10000 levels deep", exerciseId: SMILES, source: smiles("let a: unknown[] = []; for (let i = 0; i < 10000; i++) a = [a]; return a as unknown as string[];"), verdict: "runtime_error", message: /nested more than 32 levels/ },
  // ---- catastrophic regular expressions
  { name: "catastrophic regex /^(a+)+$/ on a long input", exerciseId: SMILES, source: smiles("if (/^(a+)+$/.test('a'.repeat(40) + '!')) return ['C']; return smiles.split('');"), verdict: "time_limit" },
  { name: "catastrophic tokenizer regex /^(([A-Za-z]+)*)*\\(/ per token", exerciseId: SMILES, source: smiles("const long = smiles.replace(/[^A-Za-z]/g, '').repeat(20) + '!'; void /^(([A-Za-z]+)*)*\\($/.exec(long); return smiles.split('');"), verdict: "time_limit" },
  { name: "catastrophic regex (\\d+)*x in a formula tokenizer", exerciseId: FORMULA, source: formula("void /^(\\d+)*x$/.test('1'.repeat(40)); return [];"), verdict: "time_limit" },
  // ---- console floods
  { name: "console.error flood", exerciseId: SMILES, source: smiles("for (;;) console.error('flood', smiles);"), verdict: "output_limit" },
  { name: "one 10 MB console.log", exerciseId: SMILES, source: smiles("console.log('x'.repeat(10_000_000)); return smiles.split('');"), verdict: "output_limit" },
  { name: "a flood whose limit error is caught and ignored", exerciseId: SMILES, source: smiles("try { for (;;) console.log('again'); } catch { /* ignored */ }\n" + "return smiles.split('');"), verdict: "output_limit" },
  // ---- giant or cyclic results
  { name: "a cyclic object result", exerciseId: SMILES, source: smiles("const o: Record<string, unknown> = {}; o.self = o; return o as unknown as string[];"), verdict: "runtime_error", message: /cycle/ },
  { name: "a 20 M character string result", exerciseId: SMILES, source: smiles("return ['x'.repeat(20_000_000)];"), verdict: "output_limit" },
  { name: "a sparse array of length 2^32-1", exerciseId: SMILES, source: smiles("const a: string[] = []; a.length = 2 ** 32 - 1; return a;"), verdict: "output_limit" },
  { name: "a 10 M element Float64Array result", exerciseId: SMILES, source: smiles("return new Float64Array(10_000_000) as unknown as string[];"), verdict: "output_limit" },
  // ---- getters, proxies, toJSON traps in results
  { name: "a result whose getter throws", exerciseId: SMILES, source: smiles("const a = ['C']; Object.defineProperty(a, 0, { get() { throw new Error('getter trap'); } }); return a;"), verdict: "runtime_error", message: /getter trap/ },
  { name: "a Proxy result that lies about its contents", exerciseId: SMILES, source: smiles("return new Proxy<string[]>([], { get: (_t, k) => (k === 'length' ? 3 : 'C') });"), verdict: "failed" },
  { name: "a Proxy result whose every trap throws a string", exerciseId: SMILES, source: smiles("const h = new Proxy({}, { get: () => () => { throw 'trap'; } }); return new Proxy<string[]>([], h);"), verdict: "runtime_error" },
  { name: "a toJSON trap returning the right-looking tokens", exerciseId: SMILES, source: smiles("const wrong = ['?']; (wrong as unknown as { toJSON(): string[] }).toJSON = () => smiles.split(''); return wrong;"), verdict: "failed" },
  { name: "Object.prototype.toJSON and valueOf traps", exerciseId: SMILES, source: smiles("Object.defineProperty(Object.prototype, 'toJSON', { value: () => ['C'], configurable: true });\nreturn [new String('C') as unknown as string];"), verdict: "runtime_error", message: /changed 'toJSON' on Object\.prototype/ },
  { name: "Symbol.toPrimitive on returned amounts", exerciseId: FORMULA, source: formula("const amount = { [Symbol.toPrimitive]: () => 1, valueOf: () => 1 } as unknown as number; return [{ element: 'H', amount }];"), verdict: "runtime_error", message: /contains a function/ },
  // ---- thrown non-Error values
  { name: "throwing null", exerciseId: SMILES, source: smiles("throw null;"), verdict: "runtime_error", message: /non-Error value was thrown: null/ },
  { name: "throwing a Symbol", exerciseId: SMILES, source: smiles("throw Symbol('s');"), verdict: "runtime_error", message: /non-Error value was thrown/ },
  { name: "throwing a Proxy whose traps throw", exerciseId: SMILES, source: smiles("throw new Proxy({}, { get() { throw new Error('x'); }, ownKeys() { throw new Error('y'); }, getPrototypeOf() { throw new Error('z'); } });"), verdict: "runtime_error" },
  { name: "throwing an Error with a lying name and a toString trap", exerciseId: SMILES, source: smiles("const e = new TypeError('t'); Object.defineProperty(e, 'name', { get() { throw new Error('no name'); } }); throw e;"), verdict: "runtime_error" },
  // ---- promises that never settle, thenables
  { name: "returning a never-settling thenable", exerciseId: SMILES, source: smiles("return { then() { /* never */ } } as unknown as string[];"), verdict: "runtime_error", message: /Promise/ },
  { name: "top-level await of a promise that never settles", exerciseId: SMILES, source: smiles("return [];", "await new Promise<void>(() => {});"), verdict: "compile_error" },
  // ---- WebAssembly, SharedArrayBuffer, Atomics
  { name: "a WebAssembly busy loop", exerciseId: SMILES, source: smiles("const bytes = new Uint8Array([0,97,115,109,1,0,0,0,1,4,1,96,0,0,3,2,1,0,7,8,1,4,115,112,105,110,0,0,10,9,1,7,0,3,64,12,0,11,11]);\nconst inst = new WebAssembly.Instance(new WebAssembly.Module(bytes)) as { exports: { spin(): void } }; inst.exports.spin(); return [];"), verdict: "runtime_error", message: /WebAssembly/ },
  { name: "shared WebAssembly.Memory for a SharedArrayBuffer", exerciseId: SMILES, source: smiles("const m = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true }); void m; return [];"), verdict: "runtime_error", message: /WebAssembly/ },
  { name: "Atomics.wait reached through Reflect", exerciseId: SMILES, source: smiles("const A = Reflect.get(globalThis, 'Atomics') as { wait(a: Int32Array, i: number, v: number): string }; A.wait(new Int32Array(4), 0, 0); return [];"), verdict: "runtime_error" },
  // ---- tampering with intrinsics and the kit to fool the comparison
  { name: "Array.prototype index getter making any array look right inside", exerciseId: SMILES, source: smiles("Object.defineProperty(Array.prototype, '0', { get: () => 'C', set() {}, configurable: true }); return ['?'];"), verdict: "runtime_error", message: /changed '0' on Array\.prototype/ },
  { name: "overriding Array.prototype.map", exerciseId: SMILES, source: smiles("(Array.prototype as unknown as { map: unknown }).map = () => ['C']; return [];"), verdict: "runtime_error", message: /read.only|Cannot assign/i },
  { name: "redefining Number.prototype.toFixed", exerciseId: FORMULA, source: formula("Object.defineProperty(Number.prototype, 'toFixed', { value: () => '1' }); return [];"), verdict: "runtime_error", message: /Cannot redefine|not extensible|read.only/i },
  { name: "replacing Date.now", exerciseId: SMILES, source: smiles("(Date as unknown as { now: () => number }).now = () => 0; return [];"), verdict: "runtime_error", message: /read.only|Cannot assign/i },
  { name: "replacing Math.random", exerciseId: SMILES, source: smiles("(Math as unknown as { random: () => number }).random = () => 0; return [];"), verdict: "runtime_error", message: /read.only|Cannot assign/i },
  { name: "replacing a kit Tensor method", exerciseId: SDPA, source: sdpa("const T = Object.getPrototypeOf(Q) as { matmul: unknown }; T.matmul = () => Q; return [Q, K];"), verdict: "runtime_error", message: /read.only|Cannot assign/i },
  { name: "swapping the prototype of the kit's F", exerciseId: SDPA, source: sdpa("Object.setPrototypeOf(F, { softmax: () => Q }); return [Q, K];"), verdict: "runtime_error" },
  { name: "a forged tensor in the result ($tensor key)", exerciseId: SDPA, source: sdpa("const fake = { $tensor: { dtype: 'float32', shape: [1], data: new Float32Array(1) } }; return [fake, fake] as unknown as [Tensor, Tensor];"), verdict: "runtime_error", message: /reserved key/ },
  { name: "nn module tampering", exerciseId: SDPA, source: sdpa("(nn as unknown as { Linear: unknown }).Linear = null; return [Q, K];"), verdict: "runtime_error", message: /read.only|Cannot assign/i },
  // ---- reaching for the host
  { name: "static import of node:fs", exerciseId: SMILES, source: `import { readFileSync } from "node:fs";\n${smiles("return [String(readFileSync('/etc/passwd'))];")}`, verdict: "compile_error", message: /only '@tfm\/kit'/ },
  { name: "dynamic import of child_process", exerciseId: SMILES, source: smiles("void import('child_process'); return [];"), verdict: "compile_error", message: /only '@tfm\/kit'/ },
  { name: "dynamic import with a name built at run time", exerciseId: SMILES, source: smiles("const m = ['child', 'process'].join('_'); void import(m); return [];"), verdict: "runtime_error", message: /only '@tfm\/kit'/ },
  {
    name: "Function constructor and constructor chains",
    exerciseId: SMILES,
    source: probe(`for (const code of ["return typeof process", "return typeof require", "return typeof global", "return typeof Buffer", "return typeof module"]) {
  try { const v = (() => {}).constructor.constructor(code)(); if (v !== "undefined") found.push(code + "=" + v); } catch { /* not reachable */ }
  try { const v = Function(code)(); if (v !== "undefined") found.push("Function:" + code + "=" + v); } catch { /* not reachable */ }
}`),
    verdict: "failed",
  },
  {
    name: "Error.prepareStackTrace call sites",
    exerciseId: SMILES,
    source: probe(`const E = Error as unknown as { prepareStackTrace?: (e: Error, s: { getFileName(): string | null; getThis(): unknown; getFunction(): unknown }[]) => unknown };
try {
  E.prepareStackTrace = (_e, sites) => sites;
} catch { /* frozen */ }
const sites = (new Error("probe").stack ?? []) as unknown;
if (Array.isArray(sites)) for (const s of sites) {
  const f = s.getFileName?.() ?? "";
  if (f.includes("/")) found.push("host file " + f);
  const self = s.getThis?.();
  if (self !== undefined && self !== globalThis && typeof (self as { require?: unknown }).require === "function") found.push("host this");
}
const text = String(new Error("probe").stack);
if (/\\/work\\/|node:internal|\\.ts:/.test(text)) found.push("host path in stack: " + text.slice(0, 200));`),
    verdict: "failed",
  },
  {
    name: "globalThis enumeration",
    exerciseId: SMILES,
    source: probe(`const allowed = new Set(${JSON.stringify([
      "Object", "Function", "Array", "Number", "parseFloat", "parseInt", "Infinity", "NaN", "undefined", "Boolean", "String", "Symbol", "Date", "Promise", "RegExp", "Error",
      "AggregateError", "EvalError", "RangeError", "ReferenceError", "SyntaxError", "TypeError", "URIError", "globalThis", "JSON", "Math", "Intl", "ArrayBuffer", "Atomics",
      "Uint8Array", "Int8Array", "Uint16Array", "Int16Array", "Uint32Array", "Int32Array", "Float32Array", "Float64Array", "Uint8ClampedArray", "BigUint64Array", "BigInt64Array",
      "DataView", "Map", "BigInt", "Set", "WeakMap", "WeakSet", "Proxy", "Reflect", "FinalizationRegistry", "WeakRef", "decodeURI", "decodeURIComponent", "encodeURI",
      "encodeURIComponent", "escape", "unescape", "eval", "isFinite", "isNaN", "console", "Iterator", "Float16Array", "SuppressedError", "DisposableStack", "AsyncDisposableStack",
    ])});
for (const k of Reflect.ownKeys(globalThis)) if (typeof k === "string" && !allowed.has(k)) found.push(k);
let p = Object.getPrototypeOf(globalThis);
while (p !== null && p !== Object.prototype) { for (const k of Reflect.ownKeys(p)) if (typeof k === "string" && k !== "constructor") found.push("proto:" + k); p = Object.getPrototypeOf(p); }`),
    verdict: "failed",
  },
  {
    name: "the kit's internals (tensorParts, fromParts, references, specs)",
    exerciseId: SDPA,
    source: `${KIT}import * as kit from "@tfm/kit";
export function scaledDotProductAttention(Q: Tensor, K: Tensor): [Tensor, Tensor] {
  const found: string[] = [];
  const seen = new Set<unknown>();
  const walk = (v: unknown, path: string, depth: number): void => {
    if ((typeof v !== "object" && typeof v !== "function") || v === null || seen.has(v) || depth > 5) return;
    seen.add(v);
    for (const k of Reflect.ownKeys(v)) {
      const name = String(k);
      if (/tensorParts|fromParts|reference|hidden|spec|mutant|require|process/i.test(name)) found.push(path + "." + name);
      let d: PropertyDescriptor | undefined;
      try { d = Object.getOwnPropertyDescriptor(v, k); } catch { continue; }
      if (d !== undefined && "value" in d) walk(d.value, path + "." + name, depth + 1);
    }
  };
  walk(kit, "kit", 0);
  if (found.length > 0) throw new Error("ESCAPED: " + found.join(", "));
  return [K, Q];
}`,
    verdict: "failed",
  },
];

/** Probes that depend on each other or on the host-side spec. */
const LEAK_SETTER = `(globalThis as Record<string, unknown>).__leftover = "secret-of-A";\nObject.defineProperty(Object.prototype, "leftoverProto", { value: "secret-of-A", configurable: true });\n${SOLUTIONS[SMILES]}`;
const LEAK_READER = probe(`const g = globalThis as Record<string, unknown>;
if ("__leftover" in g) found.push("global " + String(g.__leftover));
if ("leftoverProto" in {}) found.push("Object.prototype.leftoverProto");`);
/** Prints every argument and throws it back: hidden inputs must still never come out. */
const EXFILTRATE = smiles(`console.log("ARG<" + smiles + ">");
const e = new Error("ARG<" + smiles + ">");
e.name = ("ARG" + smiles).slice(0, 90);
throw e;`);

const outcomes: { name: string; held: boolean; escaped: boolean }[] = [];
let grader: GraderProcess;

async function grade(exerciseId: string, source: string, seed: number): Promise<GradeResult> {
  const res = await fetch(`${grader.url}/v1/grade`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ exerciseId, source, seed }) });
  const body: unknown = await res.json();
  if (res.status !== 200) throw new Error(`grade failed with ${res.status}: ${JSON.stringify(body)}`);
  return GradeResult.parse(body);
}

/** The grading workers among the grader's children (it also has an esbuild service process). */
function workerPids(): number[] {
  return childPids(grader.pid).filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("worker/main.ts");
    } catch {
      return false;
    }
  });
}

function memory(): { grader: number; workers: number[] } {
  return { grader: rssKb(grader.pid), workers: workerPids().map(rssKb) };
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
let baseline: { grader: number; workers: number[] };

describe("hostile corpus", () => {
  beforeAll(async () => {
    grader = await startGraderProcess({ TFM_GRADER_WORKERS: "2", TFM_RUN_PER_MINUTE: "0" });
    // Baseline: the grader after every exercise of the corpus was graded a few times (modules,
    // references and code caches loaded in the service and in both workers), then left idle 2 s.
    for (let round = 0; round < 3; round++) {
      for (const [id, source] of Object.entries(SOLUTIONS)) {
        await Promise.all([grade(id, source, 100 + round), grade(id, source, 200 + round)]);
      }
    }
    await new Promise((r) => setTimeout(r, 2_000));
    baseline = memory();
  });

  afterAll(async () => {
    const held = outcomes.filter((o) => o.held).length;
    const escaped = outcomes.filter((o) => o.escaped).length;
    console.log(`hostile corpus: tried ${outcomes.length}, held ${held}, escaped ${escaped}${outcomes.some((o) => !o.held) ? `; not held: ${outcomes.filter((o) => !o.held).map((o) => o.name).join("; ")}` : ""}`);
    await grader?.close();
  });

  it("has at least 40 distinct submissions, every one with a name", () => {
    expect(new Set(corpus.map((c) => c.name)).size).toBe(corpus.length);
    expect(new Set(corpus.map((c) => c.source)).size).toBe(corpus.length);
    expect(corpus.length).toBeGreaterThanOrEqual(40);
  });

  it.each(corpus)("$name -> $verdict", async ({ name, exerciseId, source, verdict, message, seed }) => {
    const r = await grade(exerciseId, source, seed ?? 7);
    const text = [r.runtimeError?.name ?? "", r.runtimeError?.message.en ?? "", r.console, r.summary.en, ...r.compileErrors.map((c) => c.message), ...r.tests.map((t) => t.message.en)].join("\n");
    const escaped = /ESCAPED/.test(text);
    const expected = Array.isArray(verdict) ? verdict : [verdict];
    const held = !escaped && expected.includes(r.verdict) && (message === undefined || message.test(text));
    outcomes.push({ name, held, escaped });
    expect(escaped, text).toBe(false);
    expect(expected, `${r.verdict}: ${JSON.stringify(r.runtimeError ?? r.tests.slice(0, 2).map((t) => t.message.en))}`).toContain(r.verdict);
    if (message !== undefined) expect(text).toMatch(message);
    // A hostile submission is never the grader's fault, and never passes.
    expect(r.verdict).not.toBe("internal_error");
  });

  it("gives every submission a fresh isolate: globals set by one are not seen by the next", async () => {
    const a = await grade(SMILES, LEAK_SETTER, 1);
    // Its own grading fails on the added prototype key (the harness's shared-prototype check): that
    // shows its top level ran and set both before the readers below.
    expect(a.verdict).toBe("runtime_error");
    expect(a.runtimeError?.message.en).toMatch(/'leftoverProto' on Object\.prototype/);
    // Both workers, several times: no isolate, and no worker, carries anything over.
    const readers = await Promise.all([1, 2, 3, 4].map((i) => grade(SMILES, LEAK_READER, i)));
    for (const r of readers) {
      expect(r.runtimeError, JSON.stringify(r.runtimeError)).toBeNull();
      expect(r.verdict).toBe("failed");
    }
    outcomes.push({ name: "leftover globals across submissions", held: true, escaped: false });
  });

  it("never lets a hidden case's input out: not in the console, the errors or the messages", async () => {
    const seed = 4242;
    const hiddenInputs = smilesSpec.cases
      .filter((c) => c.kind === "hidden")
      .map((c) => String(c.make({ rng: new Rng(deriveSeed(seed, c.id)) })[0]));
    const publicInputs = new Set(smilesSpec.cases.filter((c) => c.kind !== "hidden").map((c) => String(c.make({ rng: new Rng(deriveSeed(0, c.id)) })[0])));
    const secret = hiddenInputs.filter((s) => !publicInputs.has(s) && s.length >= 4);
    expect(secret.length).toBeGreaterThan(3);
    const r = await grade(SMILES, EXFILTRATE, seed);
    const everything = JSON.stringify(r);
    // The public cases' inputs do come back (the student may see those) ...
    expect(everything).toContain("ARG<CCO>");
    // ... the hidden ones never do.
    for (const s of secret) expect(everything.includes(s), `hidden input ${s} leaked`).toBe(false);
    // Hidden cases run last, in a session whose console is never read: what was printed
    // comes from the public cases and the invariants, none of it a hidden case's input.
    const printed = [...r.console.matchAll(/ARG<([^>]*)>/g)].map((m) => m[1] ?? "");
    expect(printed.length).toBeGreaterThan(0);
    for (const p of printed) expect(hiddenInputs.includes(p) && !publicInputs.has(p), `printed ${p}`).toBe(false);
    outcomes.push({ name: "hidden inputs via console, error messages and error names", held: true, escaped: false });
  });

  it("keeps serving, and memory returns to the baseline after the corpus", async () => {
    for (const [id, source] of Object.entries(SOLUTIONS)) {
      const results = await Promise.all([grade(id, source, 300), grade(id, source, 301)]);
      for (const r of results) expect(r.verdict).toBe("passed");
    }
    const health = (await (await fetch(`${grader.url}/health`)).json()) as { workers: { ready: number; size: number } };
    expect(health.workers.ready).toBe(health.workers.size);
    await new Promise((r) => setTimeout(r, 2_000));
    const after = memory();
    const report = `grader RSS ${Math.round(baseline.grader / 1024)} -> ${Math.round(after.grader / 1024)} MB; workers ${baseline.workers.map((k) => Math.round(k / 1024)).join("+")} -> ${after.workers.map((k) => Math.round(k / 1024)).join("+")} MB`;
    console.log(`hostile corpus memory: ${report}`);
    expect(after.workers).toHaveLength(2);
    // The service process never runs student code: its memory stays where it was.
    expect(after.grader, report).toBeLessThan(baseline.grader + 64 * 1024);
    // Workers: an isolate's heap and ArrayBuffers go when the isolate is disposed; what a worker
    // keeps after a memory bomb is the allocator's retained pages, bounded by one isolate limit
    // (128 MB) per worker. A leak (isolates not disposed) grows with every bomb in the corpus.
    expect(sum(after.workers), report).toBeLessThan(sum(baseline.workers) + 2 * 128 * 1024);
  });
});
