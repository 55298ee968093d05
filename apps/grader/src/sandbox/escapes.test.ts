/**
 * What escapes the harness (issue 13's red team): unhandled promise rejections that isolated-vm
 * rethrows into the host, whatever their reason, are the student's runtime error (never a grader
 * fault, never a forged host stall); and a change to a prototype the harness and the grader's drivers
 * share with student code fails that call and every later one, naming what was changed.
 */
import { afterEach, describe, expect, it } from "vitest";
import { transpile } from "../transpile.ts";
import { type RunOutcome, Sandbox } from "./sandbox.ts";
import { fromValues } from "./test-helpers.ts";

const open: Sandbox[] = [];
afterEach(() => {
  for (const s of open.splice(0)) s.dispose();
});

async function sandboxWith(source: string) {
  const compiled = await transpile(source);
  if (!compiled.ok) throw new Error(compiled.errors.map((e) => e.message).join("\n"));
  const sb = await Sandbox.create({ memoryMb: 64, withheld: [], consoleBytes: 1_000, resultBytes: 1_000_000, seed: 1 });
  open.push(sb);
  const loaded = await sb.load(compiled.code, 1_000);
  return { sb, loaded };
}

const ENTRY = `import type { Tensor } from "@tfm/kit";\nexport function f(x: Tensor): Tensor { return x.add(1); }\n`;

function expectRuntime(out: RunOutcome, message: RegExp): void {
  expect(out.ok).toBe(false);
  if (out.ok) return;
  expect(out.kind, out.error.message).toBe("runtime");
  expect(out.error.message).toMatch(message);
  expect(out.error.messageJa ?? "").not.toBe("");
}

describe("unhandled promise rejections", () => {
  const reasons: [string, string][] = [
    ["a number", "42"],
    ["a Symbol", "Symbol('s')"],
    ["a BigInt", "10n"],
    ["a plain object", "{ a: 1 }"],
    ["null", "null"],
    ["an Error with its stack erased", `(() => { const e = new Error("erased"); e.stack = ""; return e; })()`],
    ["an Error forging the host's timeout message", `(() => { const e = new Error("Script execution timed out."); e.stack = ""; return e; })()`],
    ["an Error forging a memory limit", `(() => { const e = new TypeError("Isolate was disposed during execution"); e.stack = ""; return e; })()`],
  ];

  it.each(reasons)("at the top level, rejected with %s, are the student's runtime error", async (_label, reason) => {
    const { loaded } = await sandboxWith(`void Promise.reject(${reason});\n${ENTRY}`);
    expectRuntime(loaded, /unhandled promise rejection/);
  });

  it.each(reasons)("in a microtask of a call, rejected with %s, are the student's runtime error", async (_label, reason) => {
    const { sb, loaded } = await sandboxWith(
      `import type { Tensor } from "@tfm/kit";\nexport function f(x: Tensor): Tensor { void Promise.resolve().then(() => { throw ${reason}; }); return x.add(1); }\n`,
    );
    expect(loaded.ok).toBe(true);
    expectRuntime(await sb.call("f", [fromValues([2], [1, 2])], 1_000), /unhandled promise rejection/);
  });
});

describe("shared prototypes", () => {
  it("a correct submission is not flagged, call after call", async () => {
    const { sb, loaded } = await sandboxWith(ENTRY);
    expect(loaded.ok).toBe(true);
    for (let i = 0; i < 3; i++) expect((await sb.call("f", [fromValues([2], [1, 2])], 1_000)).ok).toBe(true);
  });

  const changes: [string, string, RegExp][] = [
    ["a key added to Object.prototype", `Object.defineProperty(Object.prototype, "toJSON", { value() { return 1; }, configurable: true });`, /'toJSON' on Object\.prototype/],
    ["an index setter on Array.prototype", `Object.defineProperty(Array.prototype, "0", { set(v: unknown) { void v; }, configurable: true });`, /'0' on Array\.prototype/],
    ["a Symbol key on Array.prototype", `Object.defineProperty(Array.prototype, Symbol("s"), { value: 1 });`, /'Symbol\(s\)' on Array\.prototype/],
    ["the constructor replaced on Float64Array.prototype", `Object.defineProperty(Float64Array.prototype, "constructor", { value: Array, configurable: true, writable: true });`, /'constructor' on Float64Array\.prototype/],
    ["the constructor replaced on ArrayBuffer.prototype, keeping the key count", `Object.defineProperty(ArrayBuffer.prototype, "constructor", { get: () => Array, configurable: true });`, /'constructor' on ArrayBuffer\.prototype/],
    ["a method deleted from Float32Array.prototype", `delete (Float32Array.prototype as unknown as Record<string, unknown>).constructor;`, /'constructor' on Float32Array\.prototype/],
    // The loose keys' descriptors are read directly once Object.prototype is known unchanged: a part a
    // descriptor lacks must not reach a getter the submission put on Object.prototype first.
    ["a 'get' getter on Object.prototype beside a replaced constructor", `Object.defineProperty(Object.prototype, "get", { get() { throw new Error("the check ran a getter"); }, configurable: true }); Object.defineProperty(Float64Array.prototype, "constructor", { get: () => Float64Array, configurable: true });`, /'get' on Object\.prototype/],
    ["a setter-only constructor on Int32Array.prototype", `Object.defineProperty(Int32Array.prototype, "constructor", { set(v: unknown) { void v; }, configurable: true });`, /'constructor' on Int32Array\.prototype/],
    ["the constructor on Uint8Array.prototype, by assignment", `(Uint8Array.prototype as unknown as { constructor: unknown }).constructor = Array;`, /'constructor' on Uint8Array\.prototype/],
    ["a getter returning the same constructor on %TypedArray%.prototype", `const T = Object.getPrototypeOf(Int8Array.prototype); const C = T.constructor; Object.defineProperty(T, "constructor", { get: () => C, configurable: true });`, /'constructor' on %TypedArray%\.prototype/],
    ["Array.prototype's own prototype replaced", `Object.setPrototypeOf(Array.prototype, Object.create(Object.prototype, { 0: { set(v: unknown) { void v; } } }));`, /the prototype of Array\.prototype/],
  ];

  it.each(changes)("%s at the top level fails the load, naming it", async (_label, change, named) => {
    const { sb, loaded } = await sandboxWith(`${change}\n${ENTRY}`);
    expectRuntime(loaded, named);
    // Sticky: no call runs in a realm whose prototypes were changed.
    expectRuntime(await sb.call("f", [fromValues([2], [1, 2])], 1_000), named);
  });

  it.each(changes)("%s during a call fails that call and every later one", async (_label, change, named) => {
    const { sb, loaded } = await sandboxWith(
      `import type { Tensor } from "@tfm/kit";\nlet n = 0;\nexport function f(x: Tensor): Tensor { if (++n === 2) { ${change} } return x.add(1); }\n`,
    );
    expect(loaded.ok).toBe(true);
    expect((await sb.call("f", [fromValues([2], [1, 2])], 1_000)).ok).toBe(true);
    expectRuntime(await sb.call("f", [fromValues([2], [1, 2])], 1_000), named);
    expectRuntime(await sb.call("f", [fromValues([2], [1, 2])], 1_000), named);
  });

  it("a change made in a microtask after a call is caught before the next call runs", async () => {
    const { sb, loaded } = await sandboxWith(
      `import type { Tensor } from "@tfm/kit";\nexport function f(x: Tensor): Tensor { void Promise.resolve().then(() => { Object.defineProperty(Array.prototype, "0", { set(v: unknown) { void v; throw 42; }, configurable: true }); }); return x.add(1); }\n`,
    );
    expect(loaded.ok).toBe(true);
    await sb.call("f", [fromValues([2], [1, 2])], 1_000);
    expectRuntime(await sb.call("f", [fromValues([2], [1, 2])], 1_000), /'0' on Array\.prototype/);
  });

  // The harness decodes a call's arguments with plain writes, relying on the check made just before:
  // nothing of the submission may run between that check and the entry point. Reading the export is
  // the submission's code (a getter), so the check comes after it.
  it.each([
    ["an index setter on Array.prototype", `Object.defineProperty(Array.prototype, "0", { set(v: unknown) { console.log("setter saw", typeof v); }, configurable: true });`, /'0' on Array\.prototype/],
    ["a setter for the argument's keys on Object.prototype", `Object.defineProperty(Object.prototype, "w", { set(v: unknown) { console.log("setter saw", typeof v); }, configurable: true });`, /'w' on Object\.prototype/],
  ])("a getter on the export that adds %s fails the call before its arguments are decoded", async (_label, change, named) => {
    const { sb, loaded } = await sandboxWith(
      `declare const module: { exports: unknown };\nmodule.exports = { get f() { ${change} return (x: unknown) => { console.log("entry ran"); return x; }; } };\n`,
    );
    expect(loaded.ok).toBe(true);
    expectRuntime(await sb.call("f", [{ w: fromValues([2], [1, 2]) }], 1_000), named);
    // No setter ran on the harness's writes, and the entry point never ran (each would have printed).
    const printed = (await sb.drainConsole()).text;
    expect(printed).not.toMatch(/setter saw/);
    expect(printed).not.toMatch(/entry ran/);
  });

  it.each([
    ["a %TypedArray%.prototype method", `Object.defineProperty(Object.getPrototypeOf(Int8Array.prototype), "fill", { value() { return this; } });`],
    ["a %TypedArray%.prototype getter", `Object.defineProperty(Object.getPrototypeOf(Int8Array.prototype), "length", { get: () => 0 });`],
    ["a %TypedArray%.prototype method, by assignment", `(Object.getPrototypeOf(Int8Array.prototype) as { map: unknown }).map = () => 0;`],
    ["an ArrayBuffer.prototype getter", `Object.defineProperty(ArrayBuffer.prototype, "byteLength", { get: () => 0 });`],
    ["a method, by deleting it", `delete (Object.getPrototypeOf(Int8Array.prototype) as { subarray?: unknown }).subarray;`],
    // Closed to additions too (lockdown makes them non-extensible; the check after a call then needs no key count).
    ["a method added to %TypedArray%.prototype", `const T = Object.getPrototypeOf(Int8Array.prototype); Object.defineProperty(T, "sum", { value() { return 0; }, configurable: true, writable: true });`],
    ["a method shadowed on Float32Array.prototype", `Object.defineProperty(Float32Array.prototype, "fill", { value() { return this; }, configurable: true, writable: true });`],
    ["a key added to Int32Array.prototype, by assignment", `(Int32Array.prototype as unknown as Record<string, unknown>).mark = 1;`],
    ["a Symbol key added to ArrayBuffer.prototype", `Object.defineProperty(ArrayBuffer.prototype, Symbol("s"), { value: 1 });`],
    ["a getter added to BigUint64Array.prototype", `Object.defineProperty(BigUint64Array.prototype, "0", { get: () => 0 });`],
    ["the prototype of Float64Array.prototype replaced", `Object.setPrototypeOf(Float64Array.prototype, Object.create(Object.getPrototypeOf(Int8Array.prototype)));`],
    ["the prototype of %TypedArray%.prototype replaced", `Object.setPrototypeOf(Object.getPrototypeOf(Int8Array.prototype), null);`],
  ])("the typed-array prototypes' own properties other than constructor cannot be changed, nor keys added: %s", async (_label, change) => {
    const { loaded } = await sandboxWith(`${change}\n${ENTRY}`);
    expect(loaded.ok).toBe(false);
    if (!loaded.ok) {
      expect(loaded.kind).toBe("runtime");
      expect(loaded.error.message).toMatch(/Cannot redefine|read only|read-only|Cannot assign|Cannot delete|not extensible/i);
    }
  });

  it.each([
    ["Reflect.defineProperty", `const T = Object.getPrototypeOf(Int8Array.prototype); const added = Reflect.defineProperty(T, "sum", { value: 1, configurable: true });`],
    ["Reflect.setPrototypeOf", `const added = Reflect.setPrototypeOf(Uint8Array.prototype, null);`],
    ["Reflect.set", `const added = Reflect.set(ArrayBuffer.prototype, "mark", 1);`],
  ])("what does not throw cannot add to a typed-array prototype either (%s), and a call after it runs", async (_label, change) => {
    const { sb, loaded } = await sandboxWith(
      `${change}\nimport type { Tensor } from "@tfm/kit";\nexport function f(x: Tensor): Tensor { if (added) throw new Error("added"); return x.add(1); }\n`,
    );
    expect(loaded.ok).toBe(true);
    expect((await sb.call("f", [fromValues([2], [1, 2])], 1_000)).ok).toBe(true);
  });

  it("the global bindings of the intrinsics cannot be replaced (a grader-owned driver reads them)", async () => {
    const { loaded } = await sandboxWith(`(globalThis as unknown as { JSON: unknown }).JSON = { stringify: () => "same" };\n${ENTRY}`);
    expect(loaded.ok).toBe(false);
    if (!loaded.ok) {
      expect(loaded.kind).toBe("runtime");
      expect(loaded.error.message).toMatch(/read only|read-only|Cannot assign/i);
    }
  });
});

describe("code that runs outside a call", () => {
  // A FinalizationRegistry's cleanup callback is run by V8 as a task of its own after a garbage
  // collection, on isolated-vm's thread and under no call's time limit: one that never returns held
  // the isolate's lock, and the worker stalled until the pool's watchdog replaced it (about 90 s,
  // "not counted against the student"). Nothing of the submission may run but its top level and its calls.
  it("FinalizationRegistry is not there to register a callback with", async () => {
    const { loaded } = await sandboxWith(`const reg = new FinalizationRegistry<number>(() => { for (;;) { /* spin */ } });\nfor (let i = 0; i < 50_000; i++) reg.register({ pad: [i, i, i, i] }, i);\n${ENTRY}`);
    expect(loaded.ok).toBe(false);
    if (!loaded.ok) {
      expect(loaded.kind).toBe("runtime");
      expect(loaded.error.message).toMatch(/FinalizationRegistry is not defined/);
    }
  });

  it.each([
    ["the global", `(globalThis as Record<string, unknown>)["Finalization" + "Registry"]`],
    ["Reflect.get", `Reflect.get(globalThis, "FinalizationRegistry")`],
    ["a property descriptor", `Object.getOwnPropertyDescriptor(globalThis, "FinalizationRegistry")?.value`],
    ["Function's global object", `(Function("return this")() as Record<string, unknown>).FinalizationRegistry`],
    ["indirect eval", `(0, eval)("typeof FinalizationRegistry === 'undefined' ? undefined : FinalizationRegistry")`],
  ])("is not reachable through %s", async (_label, expr) => {
    const { sb, loaded } = await sandboxWith(
      `import type { Tensor } from "@tfm/kit";\nexport function f(x: Tensor): Tensor { const FR = ${expr}; return x.add(FR === undefined ? 1 : 0); }\n`,
    );
    expect(loaded.ok).toBe(true);
    const out = await sb.call("f", [fromValues([2], [1, 2])], 1_000);
    expect(out.ok).toBe(true);
    if (out.ok) expect((out.value as { $tensor: { data: ArrayLike<number> } }).$tensor.data[0]).toBe(2);
  });

  // The kit runs its float32 products in WebAssembly (packages/kit/src/wasm-gemm.ts): it keeps the
  // constructors it captured before the global was removed, and its instances and memories in a module
  // scope. None of it may be reachable from a submission, before or after the kit has used it: the
  // product module, and since stop 33 the bulk module of large elementwise ops, where and the
  // generator's uniforms (5,000 elements: over WASM_ELEMENTWISE_MIN, each result under 64 KB).
  for (const [what, use] of [
    ["a product", "kit.torch.matmul(x.view(1, 2), x.view(2, 1)).add(kit.F.linear(x.view(1, 2), x.view(1, 2)))"],
    [
      "large elementwise ops, where and random draws",
      "(() => { const g = new kit.torch.Generator().manualSeed(3); const u = kit.torch.rand([5000], { generator: g }); " +
        "return kit.torch.where(u.ge(0.5), u.div(0.7), 0).add(kit.torch.randn([5000], { generator: g })).mul(u); })()",
    ],
  ] as const) {
    it(`WebAssembly, the kit's modules, instances and memories are out of reach after the kit has run ${what}`, async () => {
      const { sb, loaded } = await sandboxWith(`import * as kit from "@tfm/kit";
import type { Tensor } from "@tfm/kit";
const g = globalThis as Record<string, unknown>;
export function f(x: Tensor): number[] {
  const product = ${use};
  const globals = [g.WebAssembly, Reflect.get(globalThis, "WebAssembly"), (Function("return this")() as Record<string, unknown>).WebAssembly, (0, eval)("typeof WebAssembly")];
  // Everything reachable from the kit's namespace and the result: own values (getters are not run), prototypes.
  const seen = new Set<unknown>();
  const todo: unknown[] = [kit, product, x];
  let wasmObjects = 0;
  let bigBuffers = 0;
  while (todo.length > 0 && seen.size < 200_000) {
    const v = todo.pop();
    if ((typeof v !== "object" && typeof v !== "function") || v === null || seen.has(v)) continue;
    seen.add(v);
    const tag = Object.prototype.toString.call(v);
    if (tag.includes("WebAssembly")) wasmObjects++;
    if (v instanceof ArrayBuffer && v.byteLength >= 65536) bigBuffers++;
    if (ArrayBuffer.isView(v) && (v as ArrayBufferView).buffer.byteLength >= 65536) bigBuffers++;
    todo.push(Object.getPrototypeOf(v));
    for (const key of Reflect.ownKeys(v)) {
      const d = Object.getOwnPropertyDescriptor(v, key);
      if (d !== undefined && "value" in d) todo.push(d.value);
    }
  }
  return [globals.filter((w) => w !== undefined && w !== "undefined").length, wasmObjects, bigBuffers, seen.size];
}
`);
      expect(loaded.ok).toBe(true);
      const out = await sb.call("f", [fromValues([2], [1, 2])], 2_000);
      expect(out.ok, out.ok ? "" : out.error.message).toBe(true);
      if (out.ok) {
        const [globals, wasmObjects, bigBuffers, walked] = out.value as number[];
        expect({ globals, wasmObjects, bigBuffers }).toEqual({ globals: 0, wasmObjects: 0, bigBuffers: 0 });
        // The walk did reach the kit (its functions, classes and prototypes), not only the arguments.
        expect(walked).toBeGreaterThan(200);
      }
    });
  }

  it("a call that tries every way to leave work for later leaves the isolate idle once it returns", async () => {
    // Written to run wherever each way exists: the isolate's CPU clock must not move after the call.
    const { sb, loaded } = await sandboxWith(`import type { Tensor } from "@tfm/kit";
const g = globalThis as Record<string, any>;
let spun = false;
const spin = () => { if (spun) return; spun = true; const end = Date.now() + 400; while (Date.now() < end) { /* spin */ } };
export function f(x: Tensor): Tensor {
  if (g.FinalizationRegistry !== undefined) {
    const reg = new g.FinalizationRegistry(spin);
    for (let i = 0; i < 200_000; i++) reg.register({ pad: [i, i, i, i] }, i);
  }
  if (g.Atomics?.waitAsync !== undefined) void g.Atomics.waitAsync(new Int32Array(new g.SharedArrayBuffer(4)), 0, 0, 10).value.then?.(spin);
  if (g.WebAssembly !== undefined) void g.WebAssembly.compile(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0])).then(spin, spin);
  void Promise.resolve().then(() => 0);
  return x.add(1);
}
export function plain(x: Tensor): Tensor {
  return x.add(1);
}
export function garbage(x: Tensor): Tensor {
  let keep: unknown[] = [];
  for (let i = 0; i < 300_000; i++) { keep.push({ i }); if (keep.length > 1_000) keep = []; }
  return x;
}
`);
    expect(loaded.ok).toBe(true);
    const out = await sb.call("f", [fromValues([2], [1, 2])], 1_000);
    expect(out.ok).toBe(true);
    // The registered objects are garbage now: collections during the next call find them dead.
    expect((await sb.call("garbage", [fromValues([2], [1, 2])], 1_000)).ok).toBe(true);
    // Whatever was left for later would run now: isolated-vm runs an isolate's pending tasks when a
    // call enters it on its own thread (an asynchronous call, as the console's drain is), under no
    // call's time limit.
    // Measured on the isolate's own clock (a cleanup callback would spin 400 ms on it), not the wall
    // clock, which a busy host stretches.
    const before = sb.cpuMs();
    await new Promise((r) => setTimeout(r, 50));
    await sb.drainConsole();
    const next = await sb.call("plain", [fromValues([2], [1, 2])], 1_000, true);
    expect(next.ok).toBe(true);
    await sb.drainConsole();
    expect(sb.cpuMs() - before).toBeLessThan(300);
  });
});
