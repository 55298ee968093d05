/**
 * The transpiler cannot be used against the grader: pathological sources are rejected in linear time
 * before esbuild sees them, esbuild's own failures (a crash, an overrun) are the student's
 * compile_error and leave a working transpiler behind, and every compile error is bounded.
 */
import { execFileSync } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { MAX_COMPILE_ERRORS, MAX_LINE_TEXT_CHARS } from "../../apps/grader/src/bounded.ts";
import { mutantIdsIn, mutantSourceIn } from "../../apps/grader/src/mutants.ts";
import {
  KIT_MODULE,
  TRANSPILE_CACHE_MAX_CHARS,
  allBut,
  precheckSource,
  transpile,
  transpileCache,
  transpileWithPlugin,
  transpileWithoutPlugin,
  transpileWithoutPrecheck,
  transpilerHealth,
} from "../../apps/grader/src/transpile.ts";

const EXERCISES = new URL("../../exercises/", import.meta.url);
const OK = `export function f(x: number): number { return x + 1; }\n`;

/** Sources that would make esbuild recurse deeply: each must be a compile error found by the pre-check. */
const NESTED: [string, string][] = [
  ["a chain of ! operators", `export const x = ${"!".repeat(150_000)}1;`],
  ["a chain of - - operators", `export const x = ${"- ".repeat(90_000)}1;`],
  ["mixed unary operators", `export const x = ${"~-!+".repeat(40_000)}1;`],
  ["typeof typeof ...", `export const x = ${"typeof ".repeat(20_000)}1;`],
  ["void await new ...", `export async function g() { return ${"void await ".repeat(10_000)}1; }`],
  ["nested blocks", `export function f() {${"{".repeat(20_000)}${"}".repeat(20_000)}}`],
  ["nested parentheses", `export const x = ${"(".repeat(40_000)}1${")".repeat(40_000)};`],
  ["nested arrays", `export const x = ${"[".repeat(40_000)}${"]".repeat(40_000)};`],
  ["nested template literals", `export const x = ${"`${".repeat(5_000)}1${"}`".repeat(5_000)};`],
  ["an arrow chain", `export const f = ${"() => ".repeat(20_000)}1;`],
  ["a ternary chain", `export const f = (a: boolean) => ${"a ? 1 : ".repeat(20_000)}0;`],
  ["an assignment chain", `let a = 0;\nexport const f = () => { ${"a = ".repeat(30_000)}1; };`],
  ["an exponent chain", `export const f = ${"2 ** ".repeat(30_000)}1;`],
  ["nested generic types", `export let t: ${"Array<".repeat(30_000)}number${">".repeat(30_000)};`],
  ["nested functions", `export const f = ${"function () { return ".repeat(10_000)}1${"; }".repeat(10_000)};`],
  ["nested object literals", `export const o = ${"{ a: ".repeat(30_000)}1${" }".repeat(30_000)};`],
  ["nested calls", `const g = (x: unknown) => x;\nexport const o = ${"g(".repeat(30_000)}1${")".repeat(30_000)};`],
  // After a postfix ++ or --, a / divides: it must not be skipped as a regular expression (red team).
  ["unary operators after a++ /", `let a = 0;\nexport const z = a++ / ${"!".repeat(150_000)}1 / 1;`],
  ["nested parentheses after a-- /", `let a = 0;\nexport const z = a-- / ${"(".repeat(40_000)}1${")".repeat(40_000)} / 1;`],
  ["nested parentheses after x[0]++ /", `const x = [0];\nexport const z = x[0]++ / ${"(".repeat(40_000)}1${")".repeat(40_000)} / 1;`],
];

describe("transpiler pre-check", () => {
  it.each(NESTED)("%s is a compile error with a bilingual message, found before esbuild", async (_name, source) => {
    expect(precheckSource(source)).not.toBeNull();
    const r = await transpile(source);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors).toHaveLength(1);
    const message = r.errors[0]?.message ?? "";
    expect(message).toMatch(/[a-z]/);
    expect(message).toMatch(/[぀-ヿ]/);
    expect(r.errors[0]?.lineText.length).toBeLessThanOrEqual(MAX_LINE_TEXT_CHARS + 80);
  });

  it("passes every solution, starter and mutant of every exercise", () => {
    let n = 0;
    for (const ex of readdirSync(EXERCISES, { withFileTypes: true })) {
      if (!ex.isDirectory()) continue;
      const dir = new URL(`${ex.name}/`, EXERCISES);
      const files = readdirSync(dir).filter((f) => f.endsWith(".ts")).map((f) => new URL(f, dir));
      for (const f of files) {
        expect(precheckSource(readFileSync(f, "utf8")), f.pathname).toBeNull();
        n++;
      }
      for (const m of mutantIdsIn(dir.pathname)) {
        expect(precheckSource(mutantSourceIn(dir.pathname, m)), `${ex.name}/mutants/${m}.patch`).toBeNull();
        n++;
      }
    }
    expect(n).toBeGreaterThan(100);
  });

  it("skips strings, comments, regular expressions and templates", () => {
    const src = [
      `const s = "${"(".repeat(1000)}";`,
      `const t = '${"{".repeat(1000)}';`,
      `// ${"[".repeat(1000)}`,
      `/* ${"!".repeat(1000)} */`,
      `const r = /[(]{2}${"\\(".repeat(500)}/g;`,
      `const u = \`${"(".repeat(1000)}\${1 + 2}${"!".repeat(1000)}\`;`,
      `export const x = s.length / 2 / t.length + r.source.length + u.length;`,
    ].join("\n");
    expect(precheckSource(src)).toBeNull();
  });
});

describe("esbuild's own failures", () => {
  it("a source that crashes esbuild's service is the student's compile_error, and the next source transpiles", async () => {
    const before = transpilerHealth().restarts;
    // Past the pre-check on purpose: a unary chain long enough to overflow the Go service's stack.
    const crash = await transpileWithoutPrecheck(`export const x = ${"!".repeat(400_000)}1;`);
    expect(crash.ok).toBe(false);
    if (!crash.ok) expect(crash.errors[0]?.message).toMatch(/could not process|took longer/);
    expect(transpilerHealth().restarts).toBeGreaterThan(before);
    expect(transpilerHealth().status).toBe("ok");
    const next = await transpile(OK + "// after a crash\n");
    expect(next.ok).toBe(true);
  });

  it("a source that takes esbuild too long is a compile_error within the limit", async () => {
    const slow = await transpileWithoutPrecheck(`export function f() {${"{".repeat(25_000)}${"}".repeat(25_000)}}`);
    expect(slow.ok).toBe(false);
    if (!slow.ok) expect(slow.errors[0]?.message).toMatch(/took longer|could not process/);
    const next = await transpile(OK + "// after an overrun\n");
    expect(next.ok).toBe(true);
  });

  it("a service killed from outside is restarted and the innocent next source still transpiles", async () => {
    expect((await transpile(OK + "// warm\n")).ok).toBe(true);
    const children = execFileSync("ps", ["-o", "pid=,args=", "--ppid", String(process.pid)], { encoding: "utf8" })
      .split("\n")
      .filter((l) => /esbuild/.test(l))
      .map((l) => Number(l.trim().split(/\s+/)[0]));
    expect(children.length).toBeGreaterThan(0);
    for (const pid of children) process.kill(pid, "SIGKILL");
    await new Promise((r) => setTimeout(r, 200));
    const r = await transpile(OK + "// after a kill\n");
    expect(r.ok, JSON.stringify(r)).toBe(true);
  });
});

describe("compile errors are bounded", () => {
  it("500 unknown imports on one 200,000-character line: at most 20 errors, each line clipped", async () => {
    const imports = Array.from({ length: 500 }, (_, i) => `import "m${i}";`).join(" ");
    const source = `${imports}${" ".repeat(Math.max(0, 199_000 - imports.length))}\nexport const x = 1;\n`;
    const r = await transpile(source);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors.length).toBeLessThanOrEqual(MAX_COMPILE_ERRORS);
    for (const e of r.errors) expect(e.lineText.length).toBeLessThanOrEqual(MAX_LINE_TEXT_CHARS + 80);
    expect(JSON.stringify(r).length).toBeLessThan(100_000);
  });

  it("a 150,000-character module name is clipped in its message", async () => {
    const r = await transpile(`import x from "${"m".repeat(150_000)}";\nexport const y = x;\n`);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(JSON.stringify(r).length).toBeLessThan(10_000);
    expect(r.errors[0]?.message).toMatch(/more characters clipped/);
  });

  it("many syntax errors: bounded count", async () => {
    const r = await transpile(Array.from({ length: 3_000 }, () => "let = ;").join("\n"));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors.length).toBeLessThanOrEqual(MAX_COMPILE_ERRORS);
  });

  it("the transpile cache is bounded by characters, not by count", async () => {
    for (let i = 0; i < 40; i++) await transpile(`export const s${i} = "${String(i).repeat(600_000)}";\n`);
    expect(transpileCache.chars()).toBeLessThanOrEqual(TRANSPILE_CACHE_MAX_CHARS);
  });
});

describe("imports", () => {
  it.each([
    ["side-effect imports", Array.from({ length: 3_000 }, (_, i) => `import "m${i}";`).join(" ")],
    ["named imports", Array.from({ length: 500 }, (_, i) => `import { a${i} } from "m";`).join("\n")],
    ["dynamic imports", `export const f = () => [${Array.from({ length: 500 }, (_, i) => `import("m${i}")`).join(", ")}];`],
  ])("%s beyond the cap are one compile error", async (_n, source) => {
    const r = await transpile(source);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors).toHaveLength(1);
  });
});

describe("a submission imports the kit and nothing else", () => {
  it("bundles the kit's import as the sandbox's require and rejects every other module, naming it", async () => {
    const ok = await transpile(`import { torch } from "${KIT_MODULE}";\nexport const a = torch;\n`);
    expect(ok.ok && ok.code).toContain(`require("${KIT_MODULE}")`);
    // Near misses of the kit's name too: the kit is matched as a whole name, never as a prefix.
    for (const name of ["fs", "node:fs", `${KIT_MODULE}/x`, `${KIT_MODULE}x`, KIT_MODULE.slice(0, -1), `./${KIT_MODULE}`, ` ${KIT_MODULE}`]) {
      const r = await transpile(`import x from ${JSON.stringify(name)};\nexport const a = x;\n`);
      expect(r.ok, name).toBe(false);
      if (!r.ok) expect(r.errors[0]?.message, name).toContain(`Cannot import '${name}'`);
    }
    // require() stays a call, which the sandbox answers: the kit, or a runtime error for anything else.
    const req = await transpile(`const fs = require("fs");\nexport const a = fs;\n`);
    expect(req.ok && req.code).toContain(`require("fs")`);
  });

  it("builds without the import check's plugin only where that gives the plugin's own output", async () => {
    // Every solution, starter and mutant: the build without the plugin is the plugin's build, or not taken.
    let taken = 0;
    let sources = 0;
    for (const ex of readdirSync(EXERCISES, { withFileTypes: true })) {
      if (!ex.isDirectory()) continue;
      const dir = new URL(`${ex.name}/`, EXERCISES);
      const texts = readdirSync(dir)
        .filter((f) => f.endsWith(".ts") && f !== "spec.ts" && f !== "driver.ts")
        .map((f) => readFileSync(new URL(f, dir), "utf8"));
      for (const m of mutantIdsIn(dir.pathname)) texts.push(mutantSourceIn(dir.pathname, m));
      for (const text of texts) {
        sources++;
        const fast = await transpileWithoutPlugin(text);
        if (fast === null) continue;
        taken++;
        expect(fast, ex.name).toEqual(await transpileWithPlugin(text, null));
      }
    }
    // The model solutions and their mutants import only the kit: nearly all of them take it.
    expect(taken).toBeGreaterThan(sources * 0.9);
    // Not taken for any import but the kit's exactly (esbuild's `external` would let `@tfm/kit/x` through),
    // for a require of anything else, for a compile error.
    for (const name of ["fs", "node:fs", "zod", "esbuild", `${KIT_MODULE}/x`, `${KIT_MODULE}/internal`, `${KIT_MODULE}/../x`, `${KIT_MODULE}x`, `./${KIT_MODULE}`]) {
      expect(await transpileWithoutPlugin(`import x from ${JSON.stringify(name)};\nexport const a = x;\n`), name).toBeNull();
      expect(await transpileWithoutPlugin(`export const a = require(${JSON.stringify(name)});\n`), name).toBeNull();
    }
    expect(await transpileWithoutPlugin(`export const a = ;\n`)).toBeNull();
    const kitOnly = `import { torch } from "${KIT_MODULE}";\nconst again = require("${KIT_MODULE}");\nexport const a = [torch, again];\n`;
    expect(await transpileWithoutPlugin(kitOnly)).toEqual(await transpileWithPlugin(kitOnly, null));
  });

  it("matches every path but the kit's own name in the filter that sends imports to the check", () => {
    const re = allBut(KIT_MODULE);
    expect(re.test(KIT_MODULE)).toBe(false);
    // Strings near the name: every prefix, every one-character change, insertion and extension.
    const alphabet = [...new Set([...KIT_MODULE, "x", "\n", "/", "."])];
    const near = new Set<string>([""]);
    for (let i = 0; i <= KIT_MODULE.length; i++) {
      near.add(KIT_MODULE.slice(0, i));
      for (const c of alphabet) {
        near.add(KIT_MODULE.slice(0, i) + c + KIT_MODULE.slice(i));
        if (i < KIT_MODULE.length) near.add(KIT_MODULE.slice(0, i) + c + KIT_MODULE.slice(i + 1));
      }
    }
    for (const s of near) expect(re.test(s), JSON.stringify(s)).toBe(s !== KIT_MODULE);
    const special = allBut("a.b*c");
    expect([special.test("a.b*c"), special.test("axb*c"), special.test("a.bbc"), special.test("a.b*cd")]).toEqual([false, true, true, true]);
  });
});
