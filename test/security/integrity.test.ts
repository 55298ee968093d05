/**
 * Grader integrity, through the real HTTP API: hidden inputs never leave the grader (whatever the
 * module keeps between calls), a result the host cannot read is the student's runtime error with a
 * message saying what was wrong (never internal_error), and the result budget cannot be bypassed.
 */
import { readFileSync } from "node:fs";
import type { GradeResult } from "@tfm/contract";
import { Rng, deriveSeed } from "@tfm/spec";
import { describe, expect, it } from "vitest";
import smilesSpec from "../../exercises/smiles-tokenizer/spec.ts";
import { gradeViaApi } from "../grader-client.ts";

const SMILES = "smiles-tokenizer";
const SDPA = "scaled-dot-product-attention";
const SMILES_SOLUTION = readFileSync(new URL(`../../exercises/${SMILES}/solution.ts`, import.meta.url), "utf8");
const KIT = `import { torch, F, nn, type Tensor } from "@tfm/kit";\n`;
const sdpa = (body: string, top = "") => `${KIT}${top}\nexport function scaledDotProductAttention(Q: Tensor, K: Tensor, V: Tensor, mask: Tensor | null): [Tensor, Tensor] {\n${body}\n}\n`;
/** The model solution, renamed, so that a hostile wrapper can still pass the public tests. */
const smilesWith = (body: string, top = "") =>
  `${SMILES_SOLUTION.replace("export function tokenizeSmiles(", "function realTokenize(")}\n${top}\nexport function tokenizeSmiles(smiles: string): string[] {\n${body}\n}\n`;

function secretsOf(seed: number): string[] {
  const hidden = smilesSpec.cases.filter((c) => c.kind === "hidden").map((c) => String(c.make({ rng: new Rng(deriveSeed(seed, c.id)) })[0]));
  const visible = new Set(smilesSpec.cases.filter((c) => c.kind !== "hidden").map((c) => String(c.make({ rng: new Rng(deriveSeed(0, c.id)) })[0])));
  return hidden.filter((s) => !visible.has(s) && s.length >= 4);
}

function expectNoLeak(r: GradeResult, seed: number): void {
  const everything = JSON.stringify(r);
  const secrets = secretsOf(seed);
  expect(secrets.length).toBeGreaterThan(3);
  for (const s of secrets) expect(everything.includes(s), `hidden input ${s} leaked`).toBe(false);
  for (const t of r.tests) if (t.kind === "hidden") expect(t.durationMs).toBe(0);
}

/** Ways to keep every argument in module state and send it out later. */
const LEAKS: [string, string, string][] = [
  ["module array printed by every later call", `const seen: string[] = [];`, `seen.push(smiles); console.log("SEEN " + seen.join("|")); return realTokenize(smiles);`],
  ["globalThis printed by every later call", ``, `const g = globalThis as { __seen?: string[] }; (g.__seen ??= []).push(smiles); console.log(g.__seen.join("|")); return realTokenize(smiles);`],
  ["thrown later with all that was seen", `const seen: string[] = [];`, `seen.push(smiles); if (seen.length > 12) throw new Error(seen.join("|")); return realTokenize(smiles);`],
  ["returned in a later result as a token", `const seen: string[] = [];`, `seen.push(smiles); return seen.length > 8 ? [seen.join("|")] : realTokenize(smiles);`],
  ["an error name carrying the input", ``, `if (smiles.length > 6) { const e = new Error("x"); e.name = smiles; throw e; } return realTokenize(smiles);`],
  ["an output-limit error replaced by one carrying the input", ``, `try { for (;;) console.log(smiles); } catch { throw new Error("ARG " + smiles); }`],
  ["a memory-limit message carrying the input", ``, `if (smiles.length > 6) { const keep: unknown[] = []; for (;;) keep.push(new Float64Array(1 << 20).fill(smiles.length)); } return realTokenize(smiles);`],
  ["a microtask printing after the call", ``, `void Promise.resolve().then(() => console.log("LATE " + smiles)); return realTokenize(smiles);`],
  ["Error.prototype.toString swapped to print", ``, `try { Object.defineProperty(Error.prototype, "stack", { get() { return smiles; } }); } catch { /* frozen */ } return realTokenize(smiles);`],
];

describe("hidden inputs never leave the grader", () => {
  it.each(LEAKS)("%s", async (_name, top, body) => {
    const seed = 4242;
    const r = await gradeViaApi({ exerciseId: SMILES, source: smilesWith(body, top), seed });
    expect(r.verdict).not.toBe("internal_error");
    expectNoLeak(r, seed);
  });

  it("the model solution still passes (hidden cases last, after the public ones and their console)", async () => {
    const r = await gradeViaApi({ exerciseId: SMILES, source: SMILES_SOLUTION, seed: 4242 });
    expect(r.verdict).toBe("passed");
    expect(r.tests.filter((t) => t.kind === "hidden").length).toBeGreaterThan(3);
  });

  it("the public tests' console output is still shown", async () => {
    const r = await gradeViaApi({ exerciseId: SMILES, source: smilesWith(`console.log("ARG<" + smiles + ">"); return realTokenize(smiles);`), seed: 1 });
    expect(r.console).toContain("ARG<CCO>");
    expect(r.verdict).toBe("passed");
  });
});

/** Results the host cannot read: each is the student's runtime_error with a message. */
const MALFORMED: [string, string, RegExp][] = [
  ["a 9-dimensional tensor", sdpa("const t = torch.zeros([1, 1, 1, 1, 1, 1, 1, 1, 2]); return [t, t];"), /rank 9/],
  ["a 12-dimensional tensor", sdpa("const t = torch.ones([1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2]); return [t, t];"), /rank 12/],
  ["a 9-dimensional tensor after 30 ms of work in every call (within the exercise's limits)", sdpa("const end = Date.now() + 30; while (Date.now() < end) {} const t = torch.zeros([1, 1, 1, 1, 1, 1, 1, 1, 2]); return [t, t];"), /rank 9/],
  ["a DataView", sdpa("return [new DataView(new ArrayBuffer(64)), Q] as unknown as [Tensor, Tensor];"), /DataView/],
  ["a DataView before 60 MB of floats", sdpa("return [new DataView(new ArrayBuffer(8)), new Float64Array(8_000_000)] as unknown as [Tensor, Tensor];"), /DataView/],
  ["a bigint", sdpa("return [1n, Q] as unknown as [Tensor, Tensor];"), /bigint/],
  ["a symbol-keyed object", sdpa("return [Symbol('x'), Q] as unknown as [Tensor, Tensor];"), /symbol/],
];

describe("a result the host cannot read is the student's error", () => {
  it.each(MALFORMED)("%s", async (_name, source, message) => {
    const r = await gradeViaApi({ exerciseId: SDPA, source, seed: 5 });
    expect(r.verdict).toBe("runtime_error");
    const text = [r.runtimeError?.message.en ?? "", ...r.tests.map((t) => t.message.en)].join("\n");
    expect(text).toMatch(message);
  });

  it.each([
    // Locked by lockdown: the patch throws (caught here), and the 32 MB result meets the budget as it is.
    ["typed-array length getter replaced", "Object.defineProperty(Object.getPrototypeOf(Int8Array.prototype), 'length', { get: () => 0 });", "output_limit"],
    ["typed-array byteLength getter replaced", "Object.defineProperty(Object.getPrototypeOf(Int8Array.prototype), 'byteLength', { get: () => 0 });", "output_limit"],
    ["ArrayBuffer byteLength getter replaced", "Object.defineProperty(ArrayBuffer.prototype, 'byteLength', { get: () => 0 });", "output_limit"],
    // An own getter added to a typed-array prototype (they stay extensible): caught before any result is read.
    // Float64Array.prototype is closed to additions (lockdown): the patch throws, is caught, and the budget holds.
    ["Float64Array length made NaN", "Object.defineProperty(Float64Array.prototype, 'length', { get: () => NaN });", "output_limit"],
    // Still open, so watched: the change is caught before anything of the result is encoded.
    ["Array.prototype length-like getter", "Object.defineProperty(Array.prototype, 'byteLength', { get: () => NaN });", "runtime_error"],
  ])("the result budget cannot be fooled by a %s", async (_name, patch, verdict) => {
    const r = await gradeViaApi({ exerciseId: SDPA, source: sdpa(`try { ${patch} } catch { /* locked */ }\nreturn [new Float64Array(4_000_000), Q] as unknown as [Tensor, Tensor];`), seed: 5 });
    // The budget reads only getters captured before student code; the intrinsic prototypes are
    // locked or watched (the harness checks them after every call, before encoding the result).
    expect(r.verdict).toBe(verdict);
    if (verdict === "runtime_error") {
      expect(r.runtimeError?.name).toBe("IntrinsicChanged");
      expect(r.runtimeError?.message.en).toMatch(/length|byteLength/);
    }
  });
});
