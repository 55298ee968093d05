/**
 * Proves the kit has no host dependencies: it is bundled with esbuild into an IIFE and run in a
 * fresh V8 context without process/require/console, and in a 64 MB isolated-vm isolate where a
 * chunked attention fits (and a full T x T score matrix does not).
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import vm from "node:vm";
import * as esbuild from "esbuild";
import ivm from "isolated-vm";
import { describe, expect, it } from "vitest";
import { torch } from "./torch.ts";
import { F } from "./functional.ts";
import { Generator } from "./random.ts";
import type { Tensor } from "./tensor.ts";
import { expectAllClose } from "./test-helpers.ts";

const here = dirname(fileURLToPath(import.meta.url));

function bundle(): { text: string; inputs: string[] } {
  const out = esbuild.buildSync({
    entryPoints: [join(here, "index.ts")],
    bundle: true,
    format: "iife",
    globalName: "__tfmKit",
    platform: "neutral",
    target: "es2022",
    write: false,
    metafile: true,
    logLevel: "silent",
  });
  const text = out.outputFiles[0]?.text;
  if (text === undefined) throw new Error("esbuild produced no output");
  return { text, inputs: Object.keys(out.metafile.inputs) };
}

/** Student-style attention, as in the chapter; runs inside the sandbox with the bundled kit. */
const ATTENTION = `
  const { torch, F } = __tfmKit;
  function scaledDotProductAttention(Q, K, V, mask) {
    const dK = Q.size(-1);
    let scores = torch.matmul(Q, K.transpose(-2, -1)).div(Math.sqrt(dK));
    if (mask) scores = scores.maskedFill(mask.eq(0), -1e9);
    const weights = F.softmax(scores, -1);
    return [torch.matmul(weights, V), weights];
  }
`;

describe("bundled kit", () => {
  it("only bundles kit sources, with no host globals in the source", () => {
    const { inputs } = bundle();
    for (const f of inputs) expect(f).toMatch(/^packages\/kit\/src\/[a-z-]+\.ts$/);
    const sources = readdirSync(here).filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts") && f !== "test-helpers.ts");
    for (const f of sources) {
      const text = readFileSync(join(here, f), "utf8");
      for (const forbidden of [/\bprocess\./, /\bBuffer\b/, /\bsetTimeout\b/, /\bTextEncoder\b/, /\bconsole\./, /\brequire\(/, /Math\.random/]) {
        expect(text, `${f} must not use ${forbidden}`).not.toMatch(forbidden);
      }
      for (const m of text.matchAll(/from\s+"([^"]+)"/g)) expect(m[1], `${f} imports ${m[1]}`).toMatch(/^\.\/[a-z-]+\.ts$/);
    }
  });

  it("runs attention in a fresh context without process/require/console", () => {
    const { text } = bundle();
    const ctx = vm.createContext({});
    // V8 gives every context a (silent) console of its own; remove it so any use would throw.
    vm.runInContext("delete globalThis.console", ctx);
    expect(vm.runInContext("typeof process + typeof require + typeof console + typeof Buffer + typeof setTimeout", ctx)).toBe(
      "undefined".repeat(5),
    );
    vm.runInContext(text, ctx);
    const result = vm.runInContext(
      `${ATTENTION}
      const g = new torch.Generator(5);
      const Q = torch.randn(2, 4, 3, 8, { generator: g });
      const K = torch.randn(2, 4, 5, 8, { generator: g });
      const V = torch.randn(2, 4, 5, 8, { generator: g });
      const mask = torch.ones(3, 5).tril();
      const [out, w] = scaledDotProductAttention(Q, K, V, mask);
      JSON.stringify({ out: Array.from(out.data()), outShape: out.shape, w: Array.from(w.data()), wShape: w.shape,
        names: Object.keys(__tfmKit).sort() });`,
      ctx,
    ) as string;
    const r = JSON.parse(result) as { out: number[]; outShape: number[]; w: number[]; wShape: number[]; names: string[] };
    expect(r.names).toEqual(expect.arrayContaining(["F", "Generator", "KitError", "KitMemoryError", "Tensor", "fromParts", "nn", "tensorParts", "torch"]));
    // The same computation on the host kit gives the same numbers.
    const g = new Generator(5);
    const Q = torch.randn(2, 4, 3, 8, { generator: g });
    const K = torch.randn(2, 4, 5, 8, { generator: g });
    const V = torch.randn(2, 4, 5, 8, { generator: g });
    const scores = torch.matmul(Q, K.transpose(-2, -1)).div(Math.sqrt(8)).maskedFill(torch.tril(torch.ones(3, 5)).eq(0), -1e9);
    const weights = F.softmax(scores, -1);
    expectAllClose(weights, { shape: r.wShape, values: r.w });
    expectAllClose(torch.matmul(weights, V), { shape: r.outShape, values: r.out });
    expect(r.outShape).toEqual([2, 4, 3, 8]);
  });
});

describe("64 MB isolate", () => {
  const T = 4096;
  const D = 16;
  const CHUNKED = `
    const { torch, F } = __tfmKit;
    function chunkedAttention(Q, K, V, chunk) {
      const T = Q.size(-2);
      const Kt = K.transpose(-2, -1);
      let out = torch.zeros(Q.shape);
      for (let s = 0; s < T; s += chunk) {
        const q = Q.narrow(-2, s, Math.min(chunk, T - s));
        const w = F.softmax(torch.matmul(q, Kt).div(Math.sqrt(Q.size(-1))), -1);
        out = out.sliceScatter(torch.matmul(w, V), -2, s, s + q.size(-2));
      }
      return out;
    }
    const g = new torch.Generator(3);
    const Q = torch.randn(1, ${T}, ${D}, { generator: g });
    const K = torch.randn(1, ${T}, ${D}, { generator: g });
    const V = torch.randn(1, ${T}, ${D}, { generator: g });
  `;

  async function inIsolate<T>(code: string, fn: (ctx: ivm.Context) => Promise<T>): Promise<T> {
    const isolate = new ivm.Isolate({ memoryLimit: 64 });
    try {
      const ctx = await isolate.createContext();
      await ctx.eval(bundle().text);
      await ctx.eval(code);
      return await fn(ctx);
    } finally {
      isolate.dispose();
    }
  }

  it("runs a chunked attention over T = 4096 and matches the host", async () => {
    const values = await inIsolate(CHUNKED, async (ctx) => {
      const out = (await ctx.eval("chunkedAttention(Q, K, V, 256).data().buffer", { copy: true })) as ArrayBuffer;
      return new Float32Array(out);
    });
    const g = new Generator(3);
    const Q = torch.randn(1, T, D, { generator: g });
    const K = torch.randn(1, T, D, { generator: g });
    const V = torch.randn(1, T, D, { generator: g });
    const expected: Tensor = torch.matmul(F.softmax(torch.matmul(Q, K.transpose(-2, -1)).div(Math.sqrt(D)), -1), V);
    expectAllClose(expected, { shape: [1, T, D], values });
  });

  it("a full T x T attention runs out of memory with a KitMemoryError", async () => {
    const res = await inIsolate(CHUNKED, async (ctx) =>
      (await ctx.eval(
        `(() => { try { const s = torch.matmul(Q, K.transpose(-2, -1)); const w = F.softmax(s, -1); return "no error " + w.numel(); }
          catch (e) { return JSON.stringify({ name: e.name, message: e.message, messageJa: e.messageJa, isKit: e instanceof __tfmKit.KitMemoryError, shape: e.shape, dtype: e.dtype, bytes: e.bytes }); } })()`,
        { copy: true },
      )) as string,
    );
    const e = JSON.parse(res) as { name: string; message: string; messageJa: string; isKit: boolean; shape: number[]; dtype: string; bytes: number };
    expect(e.isKit).toBe(true);
    expect(e.name).toBe("KitMemoryError");
    // Which allocation crosses the limit depends on the isolate's accounting; the error must
    // describe that allocation consistently.
    expect(e.dtype).toBe("float32");
    expect(e.bytes).toBe(e.shape.reduce((x, y) => x * y, 1) * 4);
    const s = `[${e.shape.join(", ")}]`;
    expect(e.message).toContain(s);
    expect(e.message).toContain(String(e.bytes));
    expect(e.messageJa).toContain(s);
  });
});
