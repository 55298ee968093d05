/**
 * Withheld means unreachable. For every exercise that withholds kit functions, a submission walks
 * every object graph reachable from the kit it is given (own properties, accessors and what safe
 * getters return, [[Prototype]] links, functions' own properties, instances of every class it can
 * construct without arguments) and looks for the withheld implementations, recognised by their
 * source text as read from a kit that withholds nothing. None may be found. The same walk over a
 * kit that withholds nothing finds them all: the test can fail.
 */
import { readFileSync, readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { Sandbox } from "../../apps/grader/src/sandbox/sandbox.ts";
import { transpile } from "../../apps/grader/src/transpile.ts";

const EXERCISES = new URL("../../exercises/", import.meta.url);

const withheldByExercise: [string, string[]][] = readdirSync(EXERCISES, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .flatMap((d) => {
    try {
      const meta = JSON.parse(readFileSync(new URL(`${d.name}/exercise.json`, EXERCISES), "utf8")) as { withheld: string[] };
      return meta.withheld.length > 0 ? [[d.name, meta.withheld] as [string, string[]]] : [];
    } catch {
      return [];
    }
  });

/** Source texts of the withheld functions (and of a withheld class's methods), in a kit that withholds nothing. */
const FINGERPRINTS = `
import * as kit from "@tfm/kit";
const text = (f: unknown): string => Function.prototype.toString.call(f);
export function fingerprints(paths: string[]): string[] {
  const spaces: Record<string, unknown> = { torch: kit.torch, F: kit.F, nn: kit.nn, "nn.init": (kit.nn as unknown as { init: unknown }).init, Tensor: kit.Tensor.prototype };
  const out: string[] = [];
  const own = (o: unknown) => {
    for (const k of Reflect.ownKeys(o as object)) {
      if (k === "constructor" || k === "prototype") continue;
      const d = Object.getOwnPropertyDescriptor(o, k);
      for (const f of [d?.value, d?.get, d?.set]) if (typeof f === "function") out.push(text(f));
    }
  };
  for (const p of paths) {
    const dot = p.lastIndexOf(".");
    const v = (spaces[p.slice(0, dot)] as Record<string, unknown>)[p.slice(dot + 1)];
    if (typeof v !== "function") throw new Error("no such kit entry: " + p);
    out.push(text(v));
    const proto = (v as { prototype?: unknown }).prototype;
    if (typeof proto === "object" && proto !== null) own(proto);
    own(v);
  }
  return out;
}`;

/** Walks everything reachable from the kit and returns the paths where a fingerprinted function was found. */
const WALKER_ONLY = `
import * as kit from "@tfm/kit";
const text = (f: unknown): string => Function.prototype.toString.call(f);
`;
const WALKER = `
export function walk(fingerprints: string[]): { found: string[]; functions: number } {
  const wanted = new Set(fingerprints);
  const found: string[] = [];
  const seen = new Set<unknown>();
  let functions = 0;
  const queue: [unknown, string][] = [[kit, "kit"]];
  const visit = (v: unknown, path: string) => {
    if ((typeof v === "object" || typeof v === "function") && v !== null && !seen.has(v)) queue.push([v, path]);
  };
  while (queue.length > 0) {
    const [v, path] = queue.shift() as [unknown, string];
    if (seen.has(v)) continue;
    seen.add(v);
    if (typeof v === "function") {
      functions++;
      const t = text(v);
      if (wanted.has(t)) found.push(path);
      // Instances: every class that constructs without arguments, and what its methods return.
      try {
        const inst = Reflect.construct(v as new () => unknown, []);
        visit(inst, "new " + path);
      } catch { /* needs arguments, or not a constructor */ }
    }
    let keys: (string | symbol)[] = [];
    try { keys = Reflect.ownKeys(v as object); } catch { continue; }
    for (const k of keys) {
      let d: PropertyDescriptor | undefined;
      try { d = Object.getOwnPropertyDescriptor(v, k); } catch { continue; }
      if (d === undefined) continue;
      const p = path + "." + String(k);
      if ("value" in d) visit(d.value, p);
      if (d.get) {
        visit(d.get, p + "<get>");
        try { visit(Reflect.apply(d.get, v, []), p + "()"); } catch { /* a getter that needs a real instance */ }
      }
      if (d.set) visit(d.set, p + "<set>");
    }
    try { visit(Object.getPrototypeOf(v), path + ".[[Prototype]]"); } catch { /* a proxy */ }
  }
  return { found, functions };
}`;

async function boot(source: string, withheld: string[]): Promise<Sandbox> {
  const compiled = await transpile(source);
  if (!compiled.ok) throw new Error(compiled.errors.map((e) => e.message).join("\n"));
  const sb = await Sandbox.create({ memoryMb: 128, withheld, consoleBytes: 1_000, resultBytes: 8_000_000, seed: 1 });
  const loaded = await sb.load(compiled.code, 5_000);
  if (!loaded.ok) throw new Error(JSON.stringify(loaded));
  return sb;
}

async function callOk(sb: Sandbox, entry: string, args: unknown[]): Promise<unknown> {
  const out = await sb.call(entry, args as never, 20_000);
  if (!out.ok) throw new Error(`${entry}: ${JSON.stringify(out.error)}`);
  return out.value;
}

describe("withheld kit functions are unreachable", () => {
  it("covers every exercise that withholds something", () => {
    expect(withheldByExercise.length).toBeGreaterThanOrEqual(6);
  });

  it.each(withheldByExercise)("%s: no withheld implementation is reachable from the student's kit", async (_id, withheld) => {
    const plain = await boot(FINGERPRINTS + WALKER, []);
    const prints = (await callOk(plain, "fingerprints", [withheld])) as string[];
    expect(prints.length).toBeGreaterThanOrEqual(withheld.length);
    // Negative control: a kit that withholds nothing shows every one of them.
    const control = (await callOk(plain, "walk", [prints])) as { found: string[]; functions: number };
    plain.dispose();
    expect(control.found.length).toBeGreaterThanOrEqual(withheld.length);

    const student = await boot(WALKER_ONLY + WALKER, withheld);
    const walked = (await callOk(student, "walk", [prints])) as { found: string[]; functions: number };
    student.dispose();
    expect(walked.functions).toBeGreaterThan(100);
    expect(walked.found).toEqual([]);
  });

  it("state-dict: nn.Module's loadStateDict through Object.getPrototypeOf(nn.Linear.prototype) is the stub", async () => {
    const sb = await boot(
      `import { nn, torch } from "@tfm/kit";
       type Fn = (...a: unknown[]) => unknown;
       export function viaProto(): string {
         const base = Object.getPrototypeOf(nn.Linear.prototype) as Record<string, Fn>;
         const target = { weight: torch.zeros([2]) };
         try { Reflect.apply(base.loadStateDict as Fn, target, [{ weight: torch.ones([2]) }]); return "called"; } catch (e) { return String((e as Error).message); }
       }
       export function viaClass(): string {
         const Base = Object.getPrototypeOf(nn.Linear) as new () => Record<string, Fn>;
         try { const m = new Base(); return String(m.stateDict?.()); } catch (e) { return String((e as Error).message); }
       }
       export function viaInstance(): string {
         try { return String(new nn.Linear(2, 2).stateDict()); } catch (e) { return String((e as Error).message); }
       }`,
      ["nn.Module"],
    );
    for (const entry of ["viaProto", "viaClass", "viaInstance"]) expect(await callOk(sb, entry, []), entry).toMatch(/withheld in this exercise/);
    sb.dispose();
  });
});
