import { type WireValue, wireTensor } from "@tfm/contract";
import { compiledCode, fromValues, isWireTensorLike } from "./test-helpers.ts";
import { afterEach, describe, expect, it } from "vitest";
import { transpile } from "../transpile.ts";
import { Sandbox } from "./sandbox.ts";

const open: Sandbox[] = [];
afterEach(() => {
  for (const s of open.splice(0)) s.dispose();
});

async function sandboxWith(source: string, opts: Partial<{ withheld: string[]; memoryMb: number; consoleBytes: number; seed: number }> = {}) {
  const compiled = await transpile(source);
  if (!compiled.ok) throw new Error(compiled.errors.map((e) => e.message).join("\n"));
  const sb = await Sandbox.create({
    memoryMb: opts.memoryMb ?? 64,
    withheld: opts.withheld ?? [],
    consoleBytes: opts.consoleBytes ?? 1_000,
    resultBytes: 1_000_000,
    seed: opts.seed ?? 1,
  });
  open.push(sb);
  const loaded = await sb.load(compiled.code, 1_000);
  return { sb, loaded };
}

describe("sandbox boundary", () => {
  it("passes copies in and out: mutating an argument does not touch the host's value", async () => {
    const { sb } = await sandboxWith(`
      import { torch, type Tensor } from "@tfm/kit";
      export function f(x: Tensor): Tensor { x.fill_(7); return x.add(1); }`);
    const input = fromValues([2, 2], [1, 2, 3, 4]);
    const out = await sb.call("f", [input], 1_000);
    expect(out.ok).toBe(true);
    expect(Array.from(input.$tensor.data)).toEqual([1, 2, 3, 4]);
    if (out.ok && isWireTensorLike(out.value)) expect(Array.from(out.value.$tensor.data)).toEqual([8, 8, 8, 8]);
  });

  it("an argument's keys that Object.prototype also has arrive as its own keys", async () => {
    const { sb } = await sandboxWith(`
      export function f(r: Record<string, unknown>): unknown[] {
        return [Object.keys(r).join(","), Object.getPrototypeOf(r) === Object.prototype, Object.keys(r).map((k) => Object.getOwnPropertyDescriptor(r, k)?.value ?? null)];
      }`);
    // __proto__ is an accessor there; hasOwnProperty, isPrototypeOf and __lookupGetter__ are read-only
    // data properties after lockdown (an assignment would throw); toString has lockdown's override setter.
    const keys = ["__proto__", "hasOwnProperty", "isPrototypeOf", "__lookupGetter__", "toString", "constructor", "a"];
    const arg = Object.fromEntries(keys.map((k, i) => [k, i])) as WireValue;
    const out = await sb.call("f", [arg], 1_000);
    expect(out).toEqual({ ok: true, value: [keys.join(","), true, keys.map((_, i) => i)] });
  });

  it("replaces withheld kit entries with a stub that explains", async () => {
    const { sb } = await sandboxWith(
      `import { F, type Tensor } from "@tfm/kit";
       export function f(x: Tensor): Tensor { return F.softmax(x, -1); }
       export function g(x: Tensor): Tensor { return x.softmax(-1); }`,
      { withheld: ["F.softmax", "Tensor.softmax"] },
    );
    for (const name of ["f", "g"]) {
      const out = await sb.call(name, [fromValues([3], [1, 2, 3])], 1_000);
      expect(out.ok).toBe(false);
      if (!out.ok) expect(out.error.message).toMatch(/withheld in this exercise/);
    }
  });

  it("withholds by identity: no alias or re-export reaches a withheld entry", async () => {
    const { sb } = await sandboxWith(
      `import * as kit from "@tfm/kit";
       import { LayerNorm, nn, F, type Tensor } from "@tfm/kit";
       export function viaTopLevel(x: Tensor): Tensor { return new LayerNorm(x.size(-1)).forward(x); }
       export function viaNamespace(x: Tensor): Tensor { return new nn.LayerNorm(x.size(-1)).forward(x); }
       export function viaFunctional(x: Tensor): Tensor { return F.layerNorm(x, [x.size(-1)]); }
       export function viaStar(x: Tensor): Tensor { return new (kit as unknown as { LayerNorm: typeof LayerNorm }).LayerNorm(x.size(-1)).forward(x); }
       export function allowed(x: Tensor): Tensor { return F.relu(x); }`,
      { withheld: ["F.layerNorm", "nn.LayerNorm"] },
    );
    for (const name of ["viaTopLevel", "viaNamespace", "viaFunctional", "viaStar"]) {
      const out = await sb.call(name, [fromValues([2, 3], [1, 2, 3, 4, 5, 6])], 1_000);
      expect(out.ok, name).toBe(false);
      if (!out.ok) expect(out.error.message, name).toMatch(/withheld in this exercise/);
    }
    expect((await sb.call("allowed", [fromValues([2], [-1, 1])], 1_000)).ok).toBe(true);
  });

  it("runs the chapter's torch.max(x, dim, keepdim)[0] under the lockdown", async () => {
    const { sb } = await sandboxWith(`import { torch, type Tensor } from "@tfm/kit";
      export function f(x: Tensor): Tensor[] { const m = torch.max(x, -1, true); return [m[0], m.values, x.max(0).indices]; }`);
    const out = await sb.call("f", [fromValues([2, 3], [1, 5, 2, 7, 0, 3])], 1_000);
    expect(out.ok, JSON.stringify(out)).toBe(true);
  });

  it("seeds Math.random from the submission seed", async () => {
    const src = `export function r(): number[] { return [Math.random(), Math.random()]; }`;
    const a = await sandboxWith(src, { seed: 42 });
    const b = await sandboxWith(src, { seed: 42 });
    const c = await sandboxWith(src, { seed: 43 });
    const ra = await a.sb.call("r", [], 1_000);
    const rb = await b.sb.call("r", [], 1_000);
    const rc = await c.sb.call("r", [], 1_000);
    expect(ra).toEqual(rb);
    expect(ra).not.toEqual(rc);
  });

  it("keeps no state between submissions: each gets a fresh isolate", async () => {
    const src = `const g = globalThis as { counter?: number };
      export function bump(): number { g.counter = (g.counter ?? 0) + 1; return g.counter; }`;
    const a = await sandboxWith(src);
    expect(await a.sb.call("bump", [], 1_000)).toEqual({ ok: true, value: 1 });
    expect(await a.sb.call("bump", [], 1_000)).toEqual({ ok: true, value: 2 });
    const b = await sandboxWith(src);
    expect(await b.sb.call("bump", [], 1_000)).toEqual({ ok: true, value: 1 });
  });

  it("captures console output and stops at the cap", async () => {
    const { sb } = await sandboxWith(`export function f(n: number): number { for (let i = 0; i < n; i++) console.log("line", i); return n; }`, {
      consoleBytes: 100,
    });
    expect((await sb.call("f", [3], 1_000)).ok).toBe(true);
    expect((await sb.drainConsole()).text).toBe("line 0\nline 1\nline 2\n");
    const flood = await sb.call("f", [1_000], 1_000);
    expect(flood.ok).toBe(false);
    if (!flood.ok) expect(flood.kind).toBe("output");
  });

  it("turns a failed allocation into a memory failure naming the bytes", async () => {
    const { sb } = await sandboxWith(`import { torch, type Tensor } from "@tfm/kit";
      export function f(): Tensor { return torch.zeros(1, 6000, 6000); }`, { memoryMb: 64 });
    const out = await sb.call("f", [], 5_000);
    expect(out.ok).toBe(false);
    if (!out.ok) {
      expect(out.kind).toBe("memory");
      if (out.error.name === "KitMemoryError") expect(out.error.message).toMatch(/144000000 bytes/);
    }
  });

  it("reports a load-time exception as a runtime failure", async () => {
    const { loaded } = await sandboxWith(`throw new TypeError("boom at load");\nexport const x = 1;`);
    expect(loaded.ok).toBe(false);
    if (!loaded.ok) {
      expect(loaded.kind).toBe("runtime");
      expect(loaded.error.message).toBe("boom at load");
    }
  });

  it("rejects a value that is not a function as the entry point", async () => {
    const { sb } = await sandboxWith(`export const f = 3;`);
    const out = await sb.call("f", [], 1_000);
    expect(out).toMatchObject({ ok: false, kind: "not-function" });
    const missing = await sb.call("nothing", [], 1_000);
    expect(missing).toMatchObject({ ok: false, kind: "not-function" });
  });

  it("returns plain data for nested results", async () => {
    const { sb } = await sandboxWith(`import { torch } from "@tfm/kit";
      export function f() { return { tokens: ["C", "Br"], n: 2, ok: true, none: null, t: torch.ones(2) }; }`);
    const out = await sb.call("f", [], 1_000);
    expect(out.ok).toBe(true);
    if (out.ok) {
      const v = out.value as Record<string, WireValue>;
      expect(v.tokens).toEqual(["C", "Br"]);
      expect(v.n).toBe(2);
      expect(isWireTensorLike(v.t)).toBe(true);
    }
  });

  it("tells which input tensor a call changed in place, wherever it sits in the arguments and whatever its dtype", async () => {
    const { sb } = await sandboxWith(`
      import type { Tensor } from "@tfm/kit";
      export function f(xs: Tensor[], w: { ids: Tensor; mask: Tensor }, which: string): number {
        if (which === "second") xs[1]!.fill_(0);
        if (which === "ids") w.ids.fill_(9);
        if (which === "mask") w.mask.fill_(false);
        if (which === "read") { let s = 0; for (const t of xs) s += t.sum().item(); return s; }
        // Written over, with equal values: a copy of itself, NaN * 1 (a NaN), |-0| (0, equal to -0).
        if (which === "equal values") { xs[0]!.copy_(xs[0]!.clone()); xs[1]!.copy_(xs[1]!.mul(1)); xs[2]!.copy_(xs[2]!.abs()); }
        if (which === "one ulp") xs[0]!.copy_(xs[0]!.add(1e-7));
        return 0;
      }`);
    const args = (which: string): WireValue[] => [
      [fromValues([2], [1, 2]), fromValues([2], [Number.NaN, 4]), fromValues([2], [-0, 3])],
      { ids: wireTensor("int32", [3], Int32Array.from([1, 2, 3])), mask: wireTensor("bool", [2], Uint8Array.from([1, 0])) },
      which,
    ];
    const changed = async (which: string) => {
      const out = await sb.call("f", args(which), 1_000);
      if (!out.ok) throw new Error(out.error.message);
      return out.inputChanged ?? null;
    };
    expect(await changed("second")).toBe("argument 1[1]");
    expect(await changed("ids")).toBe("argument 2.ids");
    expect(await changed("mask")).toBe("argument 2.mask");
    // A NaN that is only read is not a change (NaN !== NaN).
    expect(await changed("read")).toBeNull();
    expect(await changed("none")).toBeNull();
    // The comparison is of values, not of bits (float32 data is compared by its bits first, then judged as numbers).
    expect(await changed("equal values")).toBeNull();
    expect(await changed("one ulp")).toBe("argument 1[0]");
  });

  it("tells the same of large inputs, which are compared in WebAssembly: a change anywhere, NaN for another NaN and -0 for 0 not", async () => {
    // 5,000 elements (over WASM_ELEMENTWISE_MIN): x holds a NaN with a payload of its own at 10 and -0 at 20.
    const { sb } = await sandboxWith(`
      import { torch, type Tensor } from "@tfm/kit";
      export function f(x: Tensor, ids: Tensor, which: string): number {
        const at = (i: number) => torch.arange(0, 5000).eq(i);
        // Written over with a NaN of another payload (0/0's) and with +0: their bits differ, their values do not.
        if (which === "equal values" || which === "equal, then changed" || which === "equal, then changed last") x.copy_(torch.where(at(10), Number.NaN, torch.where(at(20), 0, x)));
        if (which === "equal, then changed") x.copy_(torch.where(at(4321), 7, x));
        if (which === "equal, then changed last") x.copy_(torch.where(at(4999), x.add(1e-3), x));
        if (which === "first") x.copy_(torch.where(at(0), 5, x));
        if (which === "ids") ids.copy_(torch.where(at(3500), 1, ids));
        if (which === "ids last") ids.copy_(torch.where(at(4999), -1, ids));
        return 0;
      }`);
    const x = new Float32Array(5000).map((_, i) => i / 7);
    new Int32Array(x.buffer)[10] = 0x7fc01234;
    x[20] = -0;
    const args = (which: string): WireValue[] => [wireTensor("float32", [5000], x.slice()), wireTensor("int32", [5000], new Int32Array(5000).map((_, i) => i % 97)), which];
    const changed = async (which: string) => {
      const out = await sb.call("f", args(which), 2_000);
      if (!out.ok) throw new Error(out.error.message);
      return out.inputChanged ?? null;
    };
    expect(await changed("none")).toBeNull();
    expect(await changed("equal values")).toBeNull();
    expect(await changed("equal, then changed")).toBe("argument 1");
    expect(await changed("equal, then changed last")).toBe("argument 1");
    expect(await changed("first")).toBe("argument 1");
    expect(await changed("ids")).toBe("argument 2");
    expect(await changed("ids last")).toBe("argument 2");
  });
});

describe("the CPU watch (the watched path: Sandbox.call with watched = true)", () => {
  // The fast path is in test/fast-path.test.ts. The watch stops a busy isolate when its CPU budget is spent. It must not wait for the isolate to
  // finish (a synchronous heap query does: it takes the isolate's lock), or an endless loop runs on
  // until the outer wall watchdog (budget x 10 + 5 s) and holds the worker that long.
  for (const [label, body] of [
    ["a plain endless loop", "while (true) {}"],
    ["a loop that allocates and drops", "for (;;) { const a = new Array(100).fill(1); void a; }"],
    ["an endless loop in a microtask", "void Promise.resolve().then(() => { for (;;) {} }); return x;"],
  ] as const) {
    it(`stops ${label} by its CPU budget, not by the wall watchdog`, async () => {
      const { sb } = await sandboxWith(`import type { Tensor } from "@tfm/kit";\nexport function f(x: Tensor): Tensor { ${body} }`);
      const out = await sb.call("f", [fromValues([1], [1])], 100, true);
      expect(out.ok).toBe(false);
      if (!out.ok) {
        expect(out.kind).toBe("time");
        // The watch's own message: the wall watchdog's would be isolated-vm's "Script execution timed out".
        expect(out.error.message).toBe("CPU time limit (100 ms) exceeded");
      }
      // Charged its budget (the watch fires up to a poll after it was spent), not the wall window's 6 s.
      expect(sb.lastCpuMs).toBe(100);
    });
  }

  it("calls a CPU stop with the heap mostly full a memory failure, and one with an empty heap a time failure", async () => {
    // 6 x 8 MB of live doubles (75% of a 64 MB isolate), then a loop: the CPU watch stops it, and the
    // process grew by most of the isolate's limit meanwhile (how the watch tells memory from time).
    const full = await sandboxWith(
      `import type { Tensor } from "@tfm/kit";
const keep: number[][] = [];
export function f(x: Tensor): Tensor { for (let i = 0; i < 6; i++) keep.push(new Array(1_000_000).fill(1.5)); for (;;) {} }`,
      { memoryMb: 64 },
    );
    const out = await full.sb.call("f", [fromValues([1], [1])], 1_000, true);
    expect(out).toMatchObject({ ok: false, kind: "memory" });
    const empty = await sandboxWith(`import type { Tensor } from "@tfm/kit";
export function f(x: Tensor): Tensor { for (;;) {} }`, { memoryMb: 64 });
    expect(await empty.sb.call("f", [fromValues([1], [1])], 300, true)).toMatchObject({ ok: false, kind: "time" });
  });

  it("calls a loop that fills the heap with small live objects a memory failure, however it is stopped", async () => {
    for (const watched of [true, false]) {
      const { sb } = await sandboxWith(`import type { Tensor } from "@tfm/kit";\nexport function f(x: Tensor): Tensor { let head: unknown = null; for (;;) head = { next: head, pad: [1, 2, 3, 4] }; }`, { memoryMb: 32 });
      const out = await sb.call("f", [fromValues([1], [1])], 5_000, watched);
      expect(out.ok).toBe(false);
      // On the fast path a busy host may stop it first ("preempted": run again watched); never time.
      if (!out.ok) expect(watched ? ["memory"] : ["memory", "preempted"]).toContain(out.kind);
    }
  });
});

describe("the kit's product kernels (WebAssembly where the memory limit allows, packages/kit/src/wasm-gemm.ts)", () => {
  const PRODUCT = `import { torch, F, type Tensor } from "@tfm/kit";
    export function f(x: Tensor): Tensor { const a = x.view(2, 2); return torch.matmul(a, a).add(F.linear(a, a)); }`;
  const args = () => [fromValues([4], [1, 2, 3, 4])];

  it("runs them in WebAssembly in a 64 MB isolate, with the JS kernel's results, and on into a hidden session there", async () => {
    const { sb, loaded } = await sandboxWith(PRODUCT, { memoryMb: 64 });
    expect(loaded.ok).toBe(true);
    expect(sb.kitKernels()).toBe("idle");
    const out = await sb.call("f", args(), 1_000);
    expect(sb.kitKernels()).toBe("loaded");
    expect(sb.beginHidden(8 * 1024 * 1024, 1_000)).toBe(true);
    const again = await sb.call("f", args(), 1_000);
    expect(sb.kitKernels()).toBe("loaded");
    // a·a + a·aᵀ for a = [[1, 2], [3, 4]]: [[7, 10], [15, 22]] + [[5, 11], [11, 25]].
    expect(out.ok && (out.value as { $tensor: { data: Float32Array } }).$tensor.data).toEqual(new Float32Array([12, 21, 26, 47]));
    expect(again).toEqual(out);
  });

  it("stops an endless loop of products in WebAssembly at its CPU budget, on both paths", async () => {
    for (const watched of [true, false]) {
      const { sb } = await sandboxWith(`import { torch, type Tensor } from "@tfm/kit";
        const a = torch.ones([100, 100]);
        export function once(x: Tensor): Tensor { return torch.matmul(a, a).sum(); }
        export function f(x: Tensor): Tensor { for (;;) torch.matmul(a, a); }`);
      expect((await sb.call("once", args(), 1_000)).ok).toBe(true);
      expect(sb.kitKernels()).toBe("loaded");
      const out = await sb.call("f", args(), 150, watched);
      expect(out.ok).toBe(false);
      // On the fast path a busy host may stop it first ("preempted": run again watched); never anything else.
      if (!out.ok) expect(watched ? ["time"] : ["time", "preempted"]).toContain(out.kind);
    }
  });

  it("keeps the JS kernel under WASM_KERNELS_MIN_MEMORY_MB (the memory pitfall's 16 MB: no memory outside the heap limit)", async () => {
    const { sb } = await sandboxWith(PRODUCT, { memoryMb: 16 });
    const out = await sb.call("f", args(), 1_000);
    expect(sb.kitKernels()).toBe("off");
    expect(out.ok && (out.value as { $tensor: { data: Float32Array } }).$tensor.data).toEqual(new Float32Array([12, 21, 26, 47]));
  });
});

describe("a submission's hidden session on in its visible session's context (Sandbox.beginHidden)", () => {
  const options = { memoryMb: 64, withheld: [], consoleBytes: 1_000, resultBytes: 1_000_000, seed: 9 };
  const CODE = `export function spin(): number { for (;;) {} }
    export function fine(): number { return 1; }
    export function hog(): number { const a: number[][] = []; for (;;) a.push(new Array(1e5).fill(1.5)); }`;

  it("keeps the isolate's limits: an endless loop ends time at its budget, an allocation past the limit memory; refused once the isolate is gone", async () => {
    for (const ending of ["spin", "hog"] as const) {
      const sb = await Sandbox.create(options);
      open.push(sb);
      expect((await sb.load(await compiledCode(CODE), 1_000)).ok).toBe(true);
      expect(await sb.call("fine", [], 1_000)).toEqual({ ok: true, value: 1 });
      expect(sb.beginHidden(8 * 1024 * 1024, 1_000)).toBe(true);
      expect(await sb.call("fine", [], 1_000)).toEqual({ ok: true, value: 1 });
      // Watched: a busy host cannot preempt it.
      if (ending === "spin") expect(await sb.call("spin", [], 100, true)).toMatchObject({ ok: false, kind: "time" });
      else expect(await sb.call("hog", [], 5_000, true)).toMatchObject({ ok: false, kind: "memory" });
      expect(sb.disposed).toBe(true);
      expect(sb.beginHidden(8 * 1024 * 1024, 1_000)).toBe(false);
    }
  });

  it("counts only what the hidden session added to the heap when it tells a memory stop from a time stop", async () => {
    // 128 MB: a stop with over 60% of it (76.8 MB) in the heap is memory. The visible session leaves
    // 5-8 MB (under the 8 MB allowed); the hidden call keeps 73 MB more and then spins: ~80 MB in the
    // heap, 73 MB of it its own, so time (or preempted by a busy host), never memory.
    const sb = await Sandbox.create({ ...options, memoryMb: 128 });
    open.push(sb);
    expect((await sb.load(await compiledCode(`const kept: Float64Array[] = [];
      export function keep(mb: number): number { for (let i = 0; i < mb; i++) kept.push(new Float64Array(128 * 1024)); return kept.length; }
      export function spin(mb: number): number { keep(mb); for (;;) {} }`), 1_000)).ok).toBe(true);
    expect(await sb.call("keep", [5], 1_000)).toEqual({ ok: true, value: 5 });
    expect(sb.heapBytes()).toBeGreaterThan(5 * 1024 * 1024);
    expect(sb.heapBytes()).toBeLessThan(8 * 1024 * 1024);
    expect(sb.beginHidden(8 * 1024 * 1024, 1_000)).toBe(true);
    const out = await sb.call("spin", [73], 300);
    expect(out.ok).toBe(false);
    if (!out.ok) expect(["time", "preempted"]).toContain(out.kind);
  });
});
