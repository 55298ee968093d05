/**
 * Red-team attacks (issue 13), written from the code, the statements and the kit's README only, and
 * graded through the real HTTP API (the suite's shared grader). Each test asserts the SAFE outcome:
 * the verdict a student's code deserves, never internal_error, never a pass without solving, and no
 * hidden-case input in anything that comes back.
 *
 * The attacks here are not in test/hostile.test.ts or test/security/*: they aim at the seams between
 * the harness and student code that share one realm (prototype setters and getters that the
 * harness's or a driver's plain `obj[key] = v` writes walk into), at unhandled promise rejections,
 * at the transpiler pre-check's tokenizer, at what hidden-case messages carry, and at the readable
 * report. A summary line (tried / held / broken) is printed at the end.
 */
import { readFileSync } from "node:fs";
import type { GradeResult, Verdict } from "@tfm/contract";
import { afterAll, describe, expect, it } from "vitest";
import { renderReport } from "../../apps/grader/src/report.ts";
import { gradeViaApi } from "../grader-client.ts";

const read = (ex: string, file: string) => readFileSync(new URL(`../../exercises/${ex}/${file}`, import.meta.url), "utf8");
const SOFTMAX = "stable-softmax";
const STATE = "state-dict";
const SMILES = "smiles-tokenizer";
const FORMULA = "composition-tokenizer";
const SDPA = "scaled-dot-product-attention";

/** The model stable softmax, with a prelude run at the module's top level. */
const softmax = (top: string, body = "const shifted = x.sub(x.amax(dim, true));\n  const e = shifted.exp();\n  return e.div(e.sum(dim, true));") =>
  `import { torch, type Tensor } from "@tfm/kit";\nvoid torch;\n${top}\nexport function stableSoftmax(x: Tensor, dim: number): Tensor {\n  ${body}\n}\n`;
/** state-dict's stateDict and loadStateDict from the model solution (the grader runs its own driver). */
const STATE_FUNCTIONS = read(STATE, "solution.ts").split("// -------------------------------------------------------------")[0] ?? "";
const smiles = (body: string, top = "") => `${top}\nexport function tokenizeSmiles(smiles: string): string[] {\n${body}\n}\n`;
const formula = (body: string) => `export function tokenizeFormula(formula: string): { element: string; amount: number }[] {\nvoid formula;\n${body}\n}\n`;
const sdpa = (body: string) =>
  `import { torch, type Tensor } from "@tfm/kit";\nexport function scaledDotProductAttention(Q: Tensor, K: Tensor, V: Tensor, mask: Tensor | null): [Tensor, Tensor] {\nvoid torch; void V; void mask;\n${body}\n}\n`;

/** A loadStateDict that copies every matching parameter BEFORE it throws (the statement forbids it). */
const COPIES_BEFORE_THROW = STATE_FUNCTIONS.replace(
  "  if (errors.length > 0) throw new Error(`Error(s) in loading state_dict:\\n\\t${errors.join(\"\\n\\t\")}`);\n  for (const [name, param] of Object.entries(target)) {\n    const src = dict[name];\n    if (src !== undefined) param.copy_(src);\n  }",
  "  for (const [name, param] of Object.entries(target)) {\n    const src = dict[name];\n    if (src !== undefined && sameShape(src.shape, param.shape)) param.copy_(src);\n  }\n  if (errors.length > 0) throw new Error(`Error(s) in loading state_dict:\\n\\t${errors.join(\"\\n\\t\")}`);",
);
/**
 * The same, plus a trap: stateDict (called first by the driver) adds to Object.prototype, for each
 * parameter name, a setter that swallows strings. The driver's `before[key] = valueText(...)` then
 * writes nothing, and its "copy nothing when you throw" check compares no keys.
 */
const SWALLOW_DRIVER_SNAPSHOT = COPIES_BEFORE_THROW.replace(
  "export function stateDict(params: StateDict): StateDict {\n  const out: StateDict = {};\n  for (const [name, t] of Object.entries(params)) out[name] = t.clone();",
  `export function stateDict(params: StateDict): StateDict {
  for (const k of Object.keys(params)) {
    if (Object.getOwnPropertyDescriptor(Object.prototype, k) !== undefined) continue;
    Object.defineProperty(Object.prototype, k, { configurable: true, set(this: object, v: unknown) { if (typeof v === "string") return; Object.defineProperty(this, k, { value: v, writable: true, enumerable: true, configurable: true }); } });
  }
  const out: StateDict = {};
  for (const [name, t] of Object.entries(params)) Object.defineProperty(out, name, { value: t.clone(), writable: true, enumerable: true, configurable: true });`,
);

/** Copies every parameter of rank >= 1 before it throws; scalars (whose JSON is a number, not an object) after. */
const COPIES_RANKED_BEFORE_THROW = STATE_FUNCTIONS.replace(
  "  if (errors.length > 0) throw new Error(`Error(s) in loading state_dict:\\n\\t${errors.join(\"\\n\\t\")}`);\n  for (const [name, param] of Object.entries(target)) {\n    const src = dict[name];\n    if (src !== undefined) param.copy_(src);\n  }",
  "  for (const [name, param] of Object.entries(target)) {\n    const src = dict[name];\n    if (src !== undefined && param.shape.length > 0 && sameShape(src.shape, param.shape)) param.copy_(src);\n  }\n  if (errors.length > 0) throw new Error(`Error(s) in loading state_dict:\\n\\t${errors.join(\"\\n\\t\")}`);\n  for (const [name, param] of Object.entries(target)) {\n    const src = dict[name];\n    if (src !== undefined && param.shape.length === 0) param.copy_(src);\n  }",
);

interface Attack {
  name: string;
  /** The channel attacked (for the report). */
  channel: string;
  exerciseId: string;
  source: string;
  /** The safe verdicts: any one of them holds. */
  safe: Verdict[];
  /** Must appear in the runtime error or a test message. */
  message?: RegExp;
  /** Further checks on the result (hidden-case leaks). */
  check?: (r: GradeResult) => void;
}

const hiddenText = (r: GradeResult) => JSON.stringify(r.tests.filter((t) => t.kind === "hidden"));

const ATTACKS: Attack[] = [
  // ---- internal_error at will: student code that runs inside the harness's own steps
  {
    name: "Array.prototype index setter that throws a number (the harness's input snapshot writes walk into it)",
    channel: "harness array writes outside its try (snapshotInputs)",
    exerciseId: SOFTMAX,
    source: softmax(`Object.defineProperty(Array.prototype, "0", { set(v: unknown) { void v; throw 42; }, configurable: true });`),
    safe: ["runtime_error"],
  },
  {
    name: "Array.prototype index setter that throws an Error with its stack erased",
    channel: "harness array writes outside its try; host classifies by stack text",
    exerciseId: SOFTMAX,
    source: softmax(`Object.defineProperty(Array.prototype, "0", { set(v: unknown) { void v; const e = new Error("boom"); e.stack = ""; throw e; }, configurable: true });`),
    safe: ["runtime_error"],
  },
  {
    name: "Object.prototype.$tensor getter that throws, with object arguments (state-dict)",
    channel: "harness reads of $tensor on plain records outside its try",
    exerciseId: STATE,
    source: `Object.defineProperty(Object.prototype, "$tensor", { get() { throw 42; }, configurable: true });\n${STATE_FUNCTIONS}`,
    safe: ["runtime_error"],
  },
  {
    name: "Object.prototype.$tensor getter returning a fake tensor without typed data",
    channel: "harness reads of $tensor on plain records",
    exerciseId: STATE,
    source: `Object.defineProperty(Object.prototype, "$tensor", { get() { return { dtype: "float32", data: {} }; }, configurable: true });\n${STATE_FUNCTIONS}`,
    safe: ["runtime_error"],
  },
  {
    name: "unhandled rejection of a number at the top level",
    channel: "isolated-vm rethrows unhandled rejections; a non-Error reason has no stack",
    exerciseId: SOFTMAX,
    source: softmax("void Promise.reject(42);"),
    safe: ["runtime_error"],
  },
  {
    name: "unhandled rejection of an Error whose stack was erased",
    channel: "host classifies a rethrown rejection by its stack text",
    exerciseId: SOFTMAX,
    source: softmax(`const e0 = new Error("x"); e0.stack = ""; void Promise.reject(e0);`),
    safe: ["runtime_error"],
  },
  {
    name: "a microtask that throws a number during the entry call",
    channel: "unhandled rejection inside a call",
    exerciseId: SOFTMAX,
    source: softmax("", "void Promise.resolve().then(() => { throw 42; });\n  const shifted = x.sub(x.amax(dim, true));\n  const e = shifted.exp();\n  return e.div(e.sum(dim, true));"),
    safe: ["runtime_error"],
  },
  {
    name: "a harness write that throws an Error saying 'Script execution timed out' (a forged host stall)",
    channel: "host classifies escaped errors by message: kind 'stall' is a grader fault (503, retried)",
    exerciseId: SOFTMAX,
    source: softmax(`Object.defineProperty(Array.prototype, "0", { set(v: unknown) { void v; const e = new Error("Script execution timed out."); e.stack = ""; throw e; }, configurable: true });`),
    safe: ["runtime_error"],
  },
  {
    name: "Object.prototype.then getter that throws (every result looks like a thenable)",
    channel: "harness reads result.then",
    exerciseId: SOFTMAX,
    source: softmax(`Object.defineProperty(Object.prototype, "then", { get() { throw 42; }, configurable: true });`),
    safe: ["runtime_error"],
  },
  {
    name: "FinalizationRegistry callbacks that throw, registered by the thousand",
    channel: "cleanup callbacks running between or during host calls",
    exerciseId: SOFTMAX,
    source: softmax(
      "const reg = new FinalizationRegistry<number>(() => { throw 42; });\nfor (let i = 0; i < 50_000; i++) reg.register({ pad: [i, i, i, i] }, i);",
      "for (let i = 0; i < 2_000; i++) reg.register({ pad: new Array(64).fill(i) }, i);\n  const shifted = x.sub(x.amax(dim, true));\n  const e = shifted.exp();\n  return e.div(e.sum(dim, true));",
    ),
    safe: ["passed", "runtime_error"],
  },
  {
    name: "a FinalizationRegistry cleanup callback that never returns",
    channel: "V8 runs cleanup callbacks as tasks of their own, on isolated-vm's thread under no call's time limit (the worker stalled ~90 s, not charged)",
    exerciseId: SOFTMAX,
    source: softmax(
      "const reg = new FinalizationRegistry<number>(() => { for (;;) { /* spin */ } });\nfor (let i = 0; i < 50_000; i++) reg.register({ pad: [i, i, i, i] }, i);",
      "for (let i = 0; i < 20_000; i++) reg.register({ pad: new Array(64).fill(i) }, i);\n  const shifted = x.sub(x.amax(dim, true));\n  const e = shifted.exp();\n  return e.div(e.sum(dim, true));",
    ),
    safe: ["runtime_error"],
    message: /FinalizationRegistry is not defined/,
  },
  {
    name: "a FinalizationRegistry reached through the global object by a computed name",
    channel: "cleanup callbacks outside a call",
    exerciseId: SOFTMAX,
    source: softmax(
      "const FR = (globalThis as Record<string, unknown>)[\"Finalization\" + \"Registry\"] as typeof FinalizationRegistry;\nconst reg = new FR<number>(() => { for (;;) { /* spin */ } });\nfor (let i = 0; i < 50_000; i++) reg.register({ pad: [i, i, i, i] }, i);",
    ),
    safe: ["runtime_error"],
    message: /not a constructor/,
  },
  {
    name: "unhandled rejection of a plain Error (control)",
    channel: "unhandled rejection",
    exerciseId: SOFTMAX,
    source: softmax(`void Promise.reject(new Error("plain"));`),
    safe: ["runtime_error"],
    message: /plain/,
  },
  // ---- passing without solving: hijacking grader-owned writes in the student's realm
  {
    name: "in-place change of the input hidden by an Array.prototype setter that drops the harness's snapshots",
    channel: "grader-owned input-unchanged check (snapshotInputs' out[out.length] = ...)",
    exerciseId: SOFTMAX,
    source: softmax(
      `Object.defineProperty(Array.prototype, "0", { set(this: object, v: unknown) { if (typeof v === "object" && v !== null && "copy" in v && "live" in v) return; Object.defineProperty(this, "0", { value: v, writable: true, enumerable: true, configurable: true }); }, configurable: true });`,
      "const shifted = x.sub(x.amax(dim, true));\n  const e = shifted.exp();\n  const out = e.div(e.sum(dim, true));\n  x.fill_(0);\n  return out;",
    ),
    safe: ["failed", "runtime_error"],
  },
  {
    name: "in-place change of the input without a trap (control)",
    channel: "grader-owned input-unchanged check",
    exerciseId: SOFTMAX,
    source: softmax("", "const shifted = x.sub(x.amax(dim, true));\n  const e = shifted.exp();\n  const out = e.div(e.sum(dim, true));\n  x.fill_(0);\n  return out;"),
    safe: ["failed"],
    message: /changed its input/,
  },
  {
    name: "state-dict: a load that copies before it throws, with Object.prototype setters that empty the driver's snapshot",
    channel: "grader-owned driver's plain object writes (valuesOf: out[key] = ...)",
    exerciseId: STATE,
    source: SWALLOW_DRIVER_SNAPSHOT,
    safe: ["failed", "runtime_error"],
  },
  {
    name: "state-dict: a load that copies before it throws (control)",
    channel: "grader-owned driver",
    exerciseId: STATE,
    source: COPIES_BEFORE_THROW,
    safe: ["failed"],
    message: /already changed the parameter/,
  },
  {
    name: "state-dict: Object.prototype.toJSON makes the driver's JSON.stringify snapshots all equal (rank >= 1 copied before the throw)",
    channel: "grader-owned driver's valueText (JSON.stringify of tolist) in the student's realm",
    exerciseId: STATE,
    source: `Object.defineProperty(Object.prototype, "toJSON", { value() { return "same"; }, configurable: true });\n${COPIES_RANKED_BEFORE_THROW}`,
    safe: ["failed", "runtime_error"],
  },
  {
    name: "state-dict: rank >= 1 parameters copied before the throw (control)",
    channel: "grader-owned driver",
    exerciseId: STATE,
    source: COPIES_RANKED_BEFORE_THROW,
    safe: ["failed"],
    message: /already changed the parameter/,
  },
  {
    name: "Object.prototype setters for every result key (element, amount) that rewrite what the harness encodes",
    channel: "harness object writes while encoding a result",
    exerciseId: FORMULA,
    source: `for (const k of ["element", "amount"]) Object.defineProperty(Object.prototype, k, { configurable: true, set(this: object, v: unknown) { Object.defineProperty(this, k, { value: k === "amount" ? 1 : "H", writable: true, enumerable: true, configurable: true }); void v; } });\n${formula("return [{ element: 'X', amount: 99 }];")}`,
    safe: ["failed", "runtime_error"],
  },
  // ---- the transpiler: the pre-check's tokenizer fooled into skipping code as a "regex"
  {
    name: "190,000 unary operators hidden from the pre-check after a postfix ++ (a++ / ... /)",
    channel: "precheckSource treats / after ++ as a regex start",
    exerciseId: SOFTMAX,
    source: softmax(`let a = 0;\nexport const z = a++ / ${"!".repeat(190_000)}1 / 1;`),
    // The pre-check misses it; esbuild then either copes (2.5 s here: the solution passes) or is
    // stopped by the 3 s transpile limit and restarted (compile_error). Never internal_error.
    safe: ["passed", "compile_error"],
  },
  {
    name: "30,000 nested parentheses hidden from the pre-check the same way",
    channel: "precheckSource regex skip",
    exerciseId: SOFTMAX,
    source: softmax(`let a = 0;\nexport const z = a++ / ${"(".repeat(30_000)}1${")".repeat(30_000)} / 1;`),
    // esbuild copes with this one: the (correct) solution passes, or the nesting is refused.
    safe: ["passed", "compile_error"],
  },
  // ---- results the host reads
  {
    name: "a thenable result whose then getter throws a number",
    channel: "harness reads result.then",
    exerciseId: SMILES,
    source: smiles("return { get then(): unknown { throw 42; } } as unknown as string[];"),
    safe: ["runtime_error"],
  },
  {
    name: "a Proxy array result whose length trap throws a Symbol",
    channel: "harness encode of a Proxy",
    exerciseId: SMILES,
    source: smiles("return new Proxy([] as string[], { get(t, k) { if (k === 'length') throw Symbol('len'); return Reflect.get(t, k); } });"),
    safe: ["runtime_error"],
  },
  {
    name: "a result object with an own __proto__ key",
    channel: "harness encode: rec['__proto__'] = ... sets a prototype",
    exerciseId: FORMULA,
    source: formula(`return [JSON.parse('{"__proto__": {"element": "H", "amount": 2}}') as { element: string; amount: number }];`),
    safe: ["failed", "runtime_error"],
  },
  {
    name: "a sparse result array of length 2^32 - 1",
    channel: "result budget on huge lengths",
    exerciseId: SMILES,
    source: smiles("const a: string[] = []; a.length = 2 ** 32 - 1; return a;"),
    safe: ["output_limit"],
  },
  {
    name: "200,000 small result objects (host parse and compare)",
    channel: "host-side work on a large result",
    exerciseId: FORMULA,
    source: formula("return Array.from({ length: 200_000 }, (_, i) => ({ element: i % 2 ? 'C' : 'H', amount: i }));"),
    safe: ["output_limit", "failed", "time_limit"],
  },
  {
    name: "a typed array over a transferred (detached) buffer in the result",
    channel: "copy-out of detached ArrayBuffers",
    exerciseId: SDPA,
    source: sdpa("const b = new ArrayBuffer(64); const v = new Float32Array(b); (b as unknown as { transfer(): ArrayBuffer }).transfer(); return [v, Q] as unknown as [Tensor, Tensor];"),
    safe: ["failed", "runtime_error"],
  },
  {
    name: "a length-tracking typed array over a resizable buffer grown by a getter in the result",
    channel: "copy-out of resizable ArrayBuffers",
    exerciseId: SDPA,
    source: sdpa(
      "const b = new (ArrayBuffer as unknown as new (n: number, o: { maxByteLength: number }) => ArrayBuffer & { resize(n: number): void })(8, { maxByteLength: 64 << 20 });\nconst v = new Float64Array(b);\nconst out = [v, { get x(): number { b.resize(64 << 20); return 1; } }];\nreturn out as unknown as [Tensor, Tensor];",
    ),
    safe: ["failed", "runtime_error", "output_limit"],
  },
  // ---- thrown values the host describes
  {
    name: "throwing a BigInt",
    channel: "describe() of a non-Error",
    exerciseId: SMILES,
    source: smiles("throw 12345678901234567890n;"),
    safe: ["runtime_error"],
    message: /non-Error value was thrown/,
  },
  {
    name: "throwing a revoked Proxy",
    channel: "describe() of a revoked Proxy",
    exerciseId: SMILES,
    source: smiles("const r = Proxy.revocable({}, {}); r.revoke(); throw r.proxy;"),
    safe: ["runtime_error"],
  },
  {
    name: "an Error whose name is a Symbol and whose message is 10 MB",
    channel: "describe() of hostile name/message",
    exerciseId: SMILES,
    source: smiles("const e = new Error('m'.repeat(10_000_000)); Object.defineProperty(e, 'name', { value: Symbol('n') }); throw e;"),
    safe: ["runtime_error"],
  },
  {
    name: "console.log of a revoked Proxy and of an object whose keys trap throws",
    channel: "formatForConsole",
    exerciseId: SMILES,
    source: smiles("const r = Proxy.revocable({}, {}); r.revoke(); console.log(r.proxy, new Proxy({}, { ownKeys() { throw 42; } })); return [];"),
    safe: ["failed"],
  },
  // ---- hidden-case inputs through messages
  {
    name: "hidden inputs encoded in an error's name",
    channel: "hidden-case error description",
    exerciseId: SOFTMAX,
    source: softmax("", `const e = new Error("m");\n  Object.defineProperty(e, "name", { value: "LEAKNAME" + x.shape.join("_") + "D" + String(dim) });\n  throw e;`),
    safe: ["runtime_error"],
    check: (r) => expect(hiddenText(r)).not.toMatch(/LEAKNAME/),
  },
  {
    name: "hidden inputs encoded in the shape of the returned tensor",
    channel: "hidden-case comparison messages (shape mismatch text)",
    exerciseId: SOFTMAX,
    source: softmax("", "const v = x.flatten().tolist() as number[];\n  return torch.zeros(v.slice(0, 6).map((a) => Math.min(9, Math.abs(Math.round(a)) + 1))).add(7777);"),
    safe: ["failed"],
    check: (r) => {
      expect(hiddenText(r)).not.toMatch(/got \[|7777/);
      for (const t of r.tests.filter((t) => t.kind === "hidden")) {
        expect(t.actualShape, t.id).toBeNull();
        expect(t.mismatches, t.id).toBeNull();
      }
    },
  },
  {
    name: "hidden inputs encoded in the values of the returned tensor",
    channel: "hidden-case comparison fields (maxAbsError, heatmap, mismatches)",
    exerciseId: SOFTMAX,
    source: softmax("", "return x.mul(0).add(x.flatten().tolist()[0] as number);"),
    safe: ["failed"],
    check: (r) => {
      for (const t of r.tests.filter((t) => t.kind === "hidden")) {
        expect(t.maxAbsError, t.id).toBeNull();
        expect(t.maxRelError, t.id).toBeNull();
        expect(t.heatmap, t.id).toBeNull();
        expect(t.expectedShape, t.id).toBeNull();
      }
    },
  },
];

const outcomes: { name: string; held: boolean }[] = [];

describe("red team (issue 13)", () => {
  afterAll(() => {
    const held = outcomes.filter((o) => o.held).length;
    const broken = outcomes.filter((o) => !o.held);
    console.log(`red team: tried ${outcomes.length}, held ${held}, broken ${broken.length}${broken.length > 0 ? `; broken: ${broken.map((o) => o.name).join("; ")}` : ""}`);
  });

  it("has distinct attacks", () => {
    expect(new Set(ATTACKS.map((a) => a.name)).size).toBe(ATTACKS.length);
    expect(new Set(ATTACKS.map((a) => a.source)).size).toBe(ATTACKS.length);
    // The state-dict mutants really are mutants of the model solution (the replaces applied).
    for (const m of [COPIES_BEFORE_THROW, COPIES_RANKED_BEFORE_THROW, SWALLOW_DRIVER_SNAPSHOT]) expect(m).not.toBe(STATE_FUNCTIONS);
    expect(SWALLOW_DRIVER_SNAPSHOT).not.toBe(COPIES_BEFORE_THROW);
  });

  it.each(ATTACKS)("$name", async ({ name, exerciseId, source, safe, message, check }) => {
    let r: GradeResult;
    try {
      r = await gradeViaApi({ exerciseId, source, seed: 11 });
    } catch (e) {
      // A refused grading (e.g. 503 grader_stalled) for student code is a break too.
      outcomes.push({ name, held: false });
      throw e;
    }
    const text = [r.runtimeError?.name ?? "", r.runtimeError?.message.en ?? "", r.summary.en, ...r.compileErrors.map((c) => c.message), ...r.tests.map((t) => t.message.en)].join("\n");
    let held = safe.includes(r.verdict) && (message === undefined || message.test(text));
    try {
      check?.(r);
    } catch (e) {
      held = false;
      outcomes.push({ name, held });
      throw e;
    }
    outcomes.push({ name, held });
    expect(safe, `${r.verdict}: ${text.slice(0, 400)}`).toContain(r.verdict);
    if (message !== undefined) expect(text).toMatch(message);
  });

  it("the readable report escapes every bidi and invisible formatting character a student can print", async () => {
    // U+061C ARABIC LETTER MARK is a bidi control (Unicode's Bidi_Control set with LRM/RLM); the TAG
    // characters (U+E0000-E007F) are invisible and carry hidden text.
    const r = await gradeViaApi({ exerciseId: SMILES, source: smiles("console.log('a\\u061cb \\u{E0056}\\u{E0065}c'); return [];"), seed: 1 });
    const out = renderReport(r, "en");
    const held = !/[\u061c]|\udb40[\udc00-\udc7f]/.test(out);
    outcomes.push({ name: "report: ALM and TAG characters", held });
    expect(out).not.toMatch(/\u061c/);
    expect(out).not.toMatch(/\udb40[\udc00-\udc7f]/);
  });

  it("time spent in the hidden isolate does not show in the result's timings", async () => {
    // The visible isolate's first call is the first public case (ethanol, "CCO"); the hidden isolate
    // is fresh and starts with a hidden case. Only there, every call spins for 60% of the exercise's
    // call limit (derived from the model solution's cost: a spin of a whole limit would be time_limit).
    const model = read(SMILES, "solution.ts");
    const limits = (JSON.parse(read(SMILES, "exercise.json")) as { limits: { callTimeoutMs: number } }).limits;
    const spin = Math.floor(limits.callTimeoutMs * 0.6);
    const spinning = `${model.replace("export function tokenizeSmiles(", "function realTokenize(")}
let first: string | null = null;
export function tokenizeSmiles(smiles: string): string[] {
  first ??= smiles;
  if (first !== "CCO") { const end = Date.now() + ${spin}; while (Date.now() < end) { /* spin */ } }
  return realTokenize(smiles);
}
`;
    const base = await gradeViaApi({ exerciseId: SMILES, source: model, seed: 21 });
    const slow = await gradeViaApi({ exerciseId: SMILES, source: spinning, seed: 21 });
    expect(slow.verdict).toBe("passed");
    // The assumption above: the visible isolate starts with ethanol (else visible calls would spin too).
    expect(slow.tests[0]?.id).toBe("smiles-ethanol");
    const hiddenCount = slow.tests.filter((t) => t.kind === "hidden").length;
    expect(hiddenCount).toBeGreaterThan(3);
    // The hidden isolate spent hiddenCount x spin ms; none of it may be readable from the timings.
    const grew = (Object.keys(slow.timings) as (keyof GradeResult["timings"])[]).filter((k) => slow.timings[k] - base.timings[k] > (hiddenCount * spin) / 2);
    outcomes.push({ name: "hidden-isolate CPU time in timings", held: grew.length === 0 });
    expect(grew, JSON.stringify({ base: base.timings, slow: slow.timings })).toEqual([]);
    for (const t of slow.tests.filter((t) => t.kind === "hidden")) expect(t.durationMs).toBe(0);
  });

  it("after every attack, a correct submission still passes on the shared grader", async () => {
    const r = await gradeViaApi({ exerciseId: SOFTMAX, source: read(SOFTMAX, "solution.ts"), seed: 12 });
    expect(r.verdict).toBe("passed");
  });
});
