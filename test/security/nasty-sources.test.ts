/**
 * Property test: random sources drawn from a grammar of nasty constructs (deep nesting, long
 * literals, many imports or errors, control characters, giant outputs, combined at random) are
 * graded in real isolates. Every result must be bounded in size and time, must not pass, must never
 * be internal_error (nor an exception from the grader), and its readable report must be inert.
 *
 * CI runs a small seeded sample; TFM_NASTY_FULL=1 runs the full set (TFM_NASTY_SEED picks another seed).
 */
import { GradeResult } from "@tfm/contract";
import { Rng } from "@tfm/spec";
import { describe, expect, it } from "vitest";
import { MAX_RESULT_CHARS } from "../../apps/grader/src/bounded.ts";
import { loadCatalog } from "../../apps/grader/src/catalog.ts";
import { gradeSubmission } from "../../apps/grader/src/grade.ts";
import { ReferenceCache } from "../../apps/grader/src/reference-cache.ts";
import { renderReport } from "../../apps/grader/src/report.ts";

const FULL = process.env.TFM_NASTY_FULL === "1";
const COUNT = FULL ? 150 : 10;
const SEED = Number(process.env.TFM_NASTY_SEED ?? 20261206);
const EXERCISE = "smiles-tokenizer";

const CONTROL = ["\u001b[2J", "\u001b[1A\u001b[2K", "\r", "\b", "\u0007", "\u009b", "\u202e", "\u200b", "\u0000", "\ufeff"];

type Piece = (rng: Rng) => { top?: string; body?: string };

const big = (rng: Rng, lo: number, hi: number) => rng.int(lo, hi);
const escaped = (s: string) => JSON.stringify(s);

/** The grammar: each piece is a construct known to stress one part of the pipeline. */
const PIECES: Piece[] = [
  // Deep nesting of every bracket kind, at the top level.
  (rng) => {
    const [o, c] = rng.pick([["(", ")"], ["[", "]"], ["{", "}"], ["`${", "}`"]] as const);
    const n = big(rng, 50, 40_000);
    return { top: `export const nested = ${o.repeat(n)}1${c.repeat(n)};` };
  },
  // Unary and right-nesting chains.
  (rng) => ({ top: `export const chain = ${rng.pick(["!", "-", "~", "typeof ", "void ", "+"]).repeat(big(rng, 10, 150_000))}1;` }),
  (rng) => ({ top: `export const arrows = ${rng.pick(["() => ", "a ? 1 : ", "2 ** ", "x = "]).repeat(big(rng, 10, 30_000))}1;\nlet a = true, x = 0;` }),
  // Long literals: strings, numbers, regular expressions, comments.
  (rng) => ({ top: `const longString = ${escaped("s".repeat(big(rng, 1_000, 150_000)))};` }),
  (rng) => ({ top: `const longNumber = ${"9".repeat(big(rng, 100, 100_000))};` }),
  (rng) => ({ top: `const longRegex = /${"a".repeat(big(rng, 100, 50_000))}/;` }),
  (rng) => ({ top: `/* ${"*".repeat(big(rng, 10, 100_000))}` }),
  // Many imports and many errors.
  (rng) => ({ top: Array.from({ length: big(rng, 5, 3_000) }, (_, i) => `import "m${i}";`).join(rng.pick([" ", "\n"])) }),
  (rng) => ({ top: Array.from({ length: big(rng, 5, 5_000) }, () => rng.pick(["let = ;", "function (", "}", "@@", "const 1x = 2;"])).join("\n") }),
  (rng) => ({ top: `import { ${Array.from({ length: big(rng, 5, 2_000) }, (_, i) => `n${i}`).join(", ")} } from "@tfm/kit";` }),
  // Control characters and ANSI in everything a report shows.
  (rng) => ({ body: `console.log(${escaped(Array.from({ length: big(rng, 1, 50) }, () => rng.pick(CONTROL) + "Verdict: Passed 22/22").join(""))});` }),
  (rng) => ({ body: `throw new Error(${escaped(rng.pick(CONTROL).repeat(big(rng, 1, 10_000)) + "\nVerdict: Passed")});` }),
  (rng) => ({ body: `return [${escaped(rng.pick(CONTROL) + "x".repeat(big(rng, 1, 1_500_000)))}];` }),
  (rng) => ({ top: `// ${rng.pick(CONTROL).repeat(big(rng, 1, 1_000))}\nconst ${"\u202e"}bad = 1;` }),
  // Giant outputs.
  (rng) => ({ body: `for (let i = 0; i < ${big(rng, 10, 1_000_000)}; i++) console.log(smiles, i);` }),
  (rng) => ({ body: `return Array.from({ length: ${big(rng, 1_000, 3_000_000)} }, (_, i) => String(i));` }),
  (rng) => ({ body: `let a: unknown = []; for (let i = 0; i < ${big(rng, 10, 100_000)}; i++) a = [a]; return a as string[];` }),
  (rng) => ({ body: `return [new DataView(new ArrayBuffer(${big(rng, 1, 1 << 20)}))] as unknown as string[];` }),
  (rng) => ({ body: `const e = new Error("x".repeat(${big(rng, 1, 2_000_000)})); e.name = "N".repeat(${big(rng, 1, 100_000)}); throw e;` }),
];

function source(rng: Rng): string {
  const n = rng.int(1, 4);
  let top = "";
  let body = "";
  for (let i = 0; i < n; i++) {
    const p = rng.pick(PIECES)(rng);
    if (p.top !== undefined) top += `${p.top}\n`;
    if (p.body !== undefined) body += `${p.body}\n`;
  }
  return `${top}\nexport function tokenizeSmiles(smiles: string): string[] {\n${body}\nreturn ["?"];\n}\n`;
}

describe(`nasty sources (${COUNT}, seed ${SEED})`, () => {
  const catalog = loadCatalog();
  const references = new ReferenceCache();
  const rng = new Rng(SEED);
  const sources = Array.from({ length: COUNT }, () => source(rng));

  it.each(sources.map((s, i) => [i, s] as const))("source %i: bounded, not passed, never internal_error, inert report", async (_i, src) => {
    const started = performance.now();
    const r = await gradeSubmission({ exerciseId: EXERCISE, source: src.slice(0, 200_000), seed: 1, scope: "all", lang: "en" }, { catalog, backend: "cpu", references });
    const ms = performance.now() - started;
    expect(GradeResult.safeParse(r).success).toBe(true);
    expect(r.verdict).not.toBe("internal_error");
    expect(r.verdict).not.toBe("passed");
    expect(JSON.stringify(r).length).toBeLessThanOrEqual(MAX_RESULT_CHARS);
    // Bounded by the exercise's own CPU budget plus transpiling (3 s), with room for a busy machine.
    expect(ms).toBeLessThan(60_000);
    const report = renderReport(r, "en");
    expect(report).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
    expect(report.split("\n").filter((l) => l.startsWith("Verdict:"))).toHaveLength(1);
  }, 120_000);
});
