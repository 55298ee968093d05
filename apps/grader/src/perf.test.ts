/**
 * Work that need not be repeated is not, and what must be fresh is: reference outputs cached per
 * exercise version and case seed, exercise modules imported once, identical sources transpiled once,
 * and still a fresh isolate for every submission (also when it was prepared ahead of time).
 */
import { readFileSync } from "node:fs";
import { Rng, deriveSeed } from "@tfm/spec";
import { initBackend } from "@tfm/reference";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadCatalog } from "./catalog.ts";
import { type GradeJob, HIDDEN_MAX_INHERITED_BYTES, type StageTimes, gradeSubmission, hiddenMaxInheritedBytes, prepareWhile, warmPublicReferences } from "./grade.ts";
import { GraderPool } from "./pool.ts";
import { type WireValue, isWireTensor } from "@tfm/contract";
import { loadMutant } from "./mutants.ts";
import { ReferenceCache } from "./reference-cache.ts";
import { loadRuntime } from "./runtime.ts";
import ivm from "isolated-vm";
import { HIDDEN_SHARED_MIN_MEMORY_MB, MAX_SPARES, Sandbox, WARM_STEPS, bootstrapSource, prepareSpares, sharesHiddenContext, sparesSettled } from "./sandbox/sandbox.ts";
import { compiledCode } from "./sandbox/test-helpers.ts";
import { transpile, transpileCache } from "./transpile.ts";

const EX = "scaled-dot-product-attention";
/** Whether the isolate under a sandbox is gone (a sandbox's own `disposed` is also true once only its context was released). */
const isolateDisposed = (sb: Sandbox): boolean => (sb as unknown as { isolate: ivm.Isolate }).isolate.isDisposed;
const catalog = loadCatalog();
const entry = catalog.exercises.get(EX);
if (entry === undefined) throw new Error(`${EX} is missing`);
const SOLUTION = readFileSync(entry.solutionPath, "utf8");
const job = (seed: number, tag = ""): GradeJob => ({ exerciseId: EX, source: `${SOLUTION}\n// ${tag}\n`, seed, lang: "en", scope: "all" });

/**
 * Counts only the expected outputs (`version|case|seed`); the pitfall variants' predictions, which
 * attribution caches under `version|case|seed|pitfall`, are counted apart.
 */
class ExpectedCounter extends ReferenceCache {
  computed = 0;
  served = 0;
  /** The expected outputs computed, by key. */
  readonly computedKeys = new Set<string>();
  override get(key: string, compute: () => WireValue | Promise<WireValue>): Promise<WireValue> {
    const before = this.misses;
    const p = super.get(key, compute);
    if (key.split("|").length === 3) {
      if (this.misses > before) {
        this.computed++;
        this.computedKeys.add(key);
      }
      else this.served++;
    }
    return p;
  }
}

describe("reference cache", () => {
  let backend: string;
  beforeAll(async () => {
    backend = await initBackend();
  });

  it("computes each expected output once per exercise version and case seed", async () => {
    const runtime = await loadRuntime(entry);
    const hidden = runtime.spec.cases.filter((c) => c.kind === "hidden").length;
    const open = runtime.spec.cases.length - hidden;
    expect(hidden).toBeGreaterThan(0);
    expect(open).toBeGreaterThan(0);
    const references = new ExpectedCounter();
    const deps = { catalog, backend, references };

    expect((await gradeSubmission(job(5, "a"), deps)).verdict).toBe("passed");
    expect(references.computed).toBe(open + hidden);
    // Same seed, another source: every expected output comes from the cache.
    expect((await gradeSubmission(job(5, "b"), deps)).verdict).toBe("passed");
    expect(references.computed).toBe(open + hidden);
    // Served at least once each; a hidden one made ahead while its grading transpiled (prepareWhile)
    // is also served to that grading's own case.
    expect(references.served).toBeGreaterThanOrEqual(open + hidden);
    // A new seed: only the hidden cases (whose inputs depend on it) are computed again.
    expect((await gradeSubmission(job(6, "c"), deps)).verdict).toBe("passed");
    expect(references.computed).toBe(open + 2 * hidden);
    // Another exercise version: nothing of the old one is served.
    const changed = { ...entry, version: `${entry.version}-changed` };
    const other = { ...catalog, exercises: new Map([[EX, changed]]) };
    expect((await gradeSubmission(job(6, "d"), { ...deps, catalog: other })).verdict).toBe("passed");
    expect(references.computed).toBe(2 * open + 3 * hidden);
  });

  it("warms exactly the public cases, so a first grading computes only its hidden ones", async () => {
    const runtime = await loadRuntime(entry);
    const hidden = runtime.spec.cases.filter((c) => c.kind === "hidden").length;
    const references = new ExpectedCounter();
    const warmed = await warmPublicReferences(runtime, references);
    expect(warmed).toBe(runtime.spec.cases.length - hidden);
    expect(references.computed).toBe(warmed);
    expect((await gradeSubmission(job(9), { catalog, backend, references })).verdict).toBe("passed");
    expect(references.computed).toBe(warmed + hidden);
    expect(references.served).toBeGreaterThanOrEqual(warmed);
    expect(references.served).toBeLessThanOrEqual(warmed + hidden);
  });

  it("imports an exercise's spec and reference once per process and version", async () => {
    const a = loadRuntime(entry);
    const b = loadRuntime(entry);
    expect(b).toBe(a);
    expect((await b).spec).toBe((await a).spec);
  });
});

describe("cases prepared while the submission is transpiled", () => {
  beforeAll(async () => {
    await initBackend();
  });
  /** The arguments a case makes for itself in a grading with this seed (hidden cases from it, the others from 0). */
  const ownArgs = (c: Awaited<ReturnType<typeof loadRuntime>>["spec"]["cases"][number], seed: number) => c.make({ rng: new Rng(deriveSeed(c.kind === "hidden" ? seed : 0, c.id)) });
  const hiddenKeys = (runtime: Awaited<ReturnType<typeof loadRuntime>>, seed: number, references: ExpectedCounter) =>
    runtime.spec.cases.filter((c) => c.kind === "hidden").map((c) => references.computedKeys.has(`${runtime.entry.version}|${c.id}|${deriveSeed(seed, c.id)}`));

  it("makes every case's arguments, then every hidden reference, while the transpile is pending", async () => {
    const runtime = await loadRuntime(entry);
    const references = new ExpectedCounter();
    const prepared = await prepareWhile(new Promise(() => undefined), runtime, job(61), references);
    expect([...prepared.keys()].sort()).toEqual(runtime.spec.cases.map((c) => c.id).sort());
    // The same arguments the case makes for itself from its seed.
    for (const c of runtime.spec.cases) expect(prepared.get(c.id)).toEqual(ownArgs(c, 61));
    expect(hiddenKeys(runtime, 61, references).every(Boolean)).toBe(true);
    expect(references.computed).toBe(runtime.spec.cases.filter((c) => c.kind === "hidden").length);
  });

  it("does nothing once the transpile has settled, and no hidden case for a public-only grading", async () => {
    const runtime = await loadRuntime(entry);
    const references = new ExpectedCounter();
    expect((await prepareWhile(Promise.resolve(), runtime, job(62), references)).size).toBe(0);
    expect((await prepareWhile(Promise.reject(new Error("esbuild died")), runtime, job(62), references)).size).toBe(0);
    const open = await prepareWhile(new Promise(() => undefined), runtime, { ...job(63), scope: "public" }, references);
    expect([...open.keys()].sort()).toEqual(runtime.spec.cases.filter((c) => c.kind !== "hidden").map((c) => c.id).sort());
    expect(references.computed).toBe(0);
  });

  it("stops at the first step after the transpile settles", async () => {
    const runtime = await loadRuntime(entry);
    let settle = (): void => undefined;
    const pending = new Promise<void>((resolve) => (settle = resolve));
    // Settled in the turn after the first step (immediates run in the order they were queued): one
    // case made, nothing else.
    setImmediate(() => setImmediate(settle));
    const prepared = await prepareWhile(pending, runtime, job(64), new ExpectedCounter());
    expect(prepared.size).toBe(1);
  });

  it("keeps the case's arguments as made whatever the reference does with its input, and survives a case that cannot be made", async () => {
    const runtime = await loadRuntime(entry);
    const zeroing = {
      ...runtime,
      reference: {
        ...runtime.reference,
        expected: (args: WireValue[]) => {
          // A reference that writes into its input (none should; this one does).
          for (const a of args) if (isWireTensor(a)) a.$tensor.data.fill(0);
          return runtime.reference.expected(args);
        },
      },
    };
    const references = new ExpectedCounter();
    const prepared = await prepareWhile(new Promise(() => undefined), zeroing, job(67), references);
    expect(references.computed).toBe(runtime.spec.cases.filter((c) => c.kind === "hidden").length);
    for (const c of runtime.spec.cases) expect(prepared.get(c.id)).toEqual(ownArgs(c, 67));
    const broken = { ...runtime, spec: { ...runtime.spec, cases: runtime.spec.cases.map((c, i) => (i === 1 ? { ...c, make: () => { throw new Error("a spec bug"); } } : c)) } };
    const partial = await prepareWhile(new Promise(() => undefined), broken, job(68), new ExpectedCounter());
    expect([...partial.keys()]).toEqual([runtime.spec.cases.filter((c) => c.kind !== "hidden")[0]?.id]);
  });

  it("prepares nothing for an exercise with its own limits (chunked-attention: a step would take up to a second)", async () => {
    const backend = await initBackend();
    const heavy = catalog.exercises.get("chunked-attention");
    if (heavy === undefined) throw new Error("chunked-attention is missing");
    const light: StageTimes[] = [];
    const own: StageTimes[] = [];
    const grade = async (e: typeof heavy, tag: string, into: StageTimes[]) =>
      gradeSubmission(
        { exerciseId: e.meta.id, source: `${readFileSync(e.solutionPath, "utf8")}\n// ${tag} ${Date.now()}\n`, seed: 66, lang: "en", scope: "public" },
        { catalog, backend, references: new ReferenceCache(), onStages: (st) => into.push(st) },
      );
    // Both modules imported first, as the worker does at start (an import would outlast the transpile).
    await Promise.all([loadRuntime(heavy), loadRuntime(entry)]);
    expect((await grade(heavy, "heavy", own)).verdict).toBe("passed");
    expect(own[0]?.preparedCases).toBe(0);
    // The same grading of a light exercise prepares (a new source: esbuild is asked, and answers after a step or more).
    expect((await grade(entry, "light", light)).verdict).toBe("passed");
    expect(light[0]?.preparedCases).toBeGreaterThan(0);
  });

  it("a grading whose hidden references were made ahead gives the same result as one that made them itself", async () => {
    const backend = await initBackend();
    const runtime = await loadRuntime(entry);
    const ahead = new ReferenceCache();
    await prepareWhile(new Promise(() => undefined), runtime, job(65), ahead);
    const a = await gradeSubmission(job(65, "same"), { catalog, backend, references: ahead });
    const b = await gradeSubmission(job(65, "same"), { catalog, backend, references: new ReferenceCache() });
    expect(a.verdict).toBe("passed");
    expect(a.tests.map((t) => [t.id, t.status, t.message])).toEqual(b.tests.map((t) => [t.id, t.status, t.message]));
  });
});

describe("pitfall evidence of a failed grading", () => {
  /** A reference cache that records what it was asked for (a variant's key ends in `|pitfall`). */
  class Recording extends ReferenceCache {
    asked: string[] = [];
    override get(key: string, compute: () => WireValue | Promise<WireValue>): Promise<WireValue> {
      this.asked.push(key);
      return super.get(key, compute);
    }
  }

  it("does not compute, on later tests, the variants of pitfalls an earlier test ruled out", async () => {
    const backend = await initBackend();
    const mha = catalog.exercises.get("multi-head-attention");
    if (mha === undefined) throw new Error("no multi-head-attention");
    const runtime = await loadRuntime(mha);
    const withVariants = mha.meta.pitfalls.filter((p) => runtime.reference.variants?.[p] !== undefined);
    const hidden = runtime.spec.cases.filter((c) => c.kind === "hidden").map((c) => c.id);
    const references = new Recording();
    const r = await gradeSubmission({ exerciseId: "multi-head-attention", source: loadMutant(mha, "missing-scale").source, seed: 77, scope: "all", lang: "en" }, { catalog, backend, references });
    expect(r.verdict).toBe("failed");
    expect(r.summary.en).toMatch(/scal/i);
    const failedHidden = r.tests.filter((t) => hidden.includes(t.id) && t.status === "failed").length;
    expect(failedHidden).toBeGreaterThan(2);
    // Every hidden case failed, so each asked its variants; all but the pitfall's own (and any it
    // cannot be told from) were ruled out by the public tests before the hidden session began.
    const hiddenVariants = references.asked.filter((k) => hidden.some((id) => k.includes(`|${id}|`)) && withVariants.some((p) => k.endsWith(`|${p}`)));
    expect(withVariants.length).toBeGreaterThan(4);
    expect(hiddenVariants.length).toBeGreaterThan(0);
    expect(hiddenVariants.length).toBeLessThanOrEqual(2 * failedHidden);
    expect(hiddenVariants.every((k) => k.endsWith("|missing-scale") || k.endsWith("|scale-by-d-model"))).toBe(true);
  });
});

describe("transpile cache", () => {
  it("transpiles an identical source once and a changed one again", async () => {
    const source = `${SOLUTION}\n// transpile cache ${Date.now()}\n`;
    const misses = transpileCache.misses;
    const first = await transpile(source);
    expect(transpileCache.misses).toBe(misses + 1);
    const hits = transpileCache.hits;
    const again = await transpile(source);
    expect(transpileCache.hits).toBe(hits + 1);
    expect(again).toEqual(first);
    await transpile(`${source} `);
    expect(transpileCache.misses).toBe(misses + 2);
  });
});

describe("the grading's last isolate is disposed after the result is sent", () => {
  let backend: string;
  beforeAll(async () => {
    backend = await initBackend();
  });
  /** Sandbox.create, recording what it made (in the order made) and which of them a hidden session ran on in. */
  const recording = () => {
    const made: Sandbox[] = [];
    const handed: Sandbox[] = [];
    const create = async (o: Parameters<typeof Sandbox.create>[0]) => {
      const sb = await Sandbox.create(o);
      made.push(sb);
      const begin = sb.beginHidden.bind(sb);
      sb.beginHidden = (maxInherited, consoleBytes) => {
        const ok = begin(maxInherited, consoleBytes);
        if (ok) handed.push(sb);
        return ok;
      };
      return sb;
    };
    return { made, handed, create };
  };
  const stagesOf = async (j: GradeJob, deps: Omit<Parameters<typeof gradeSubmission>[1], "catalog" | "backend" | "references" | "onStages">) => {
    let stages: StageTimes | null = null;
    const r = await gradeSubmission(j, { catalog, backend, references: new ReferenceCache(), ...deps, onStages: (s) => (stages = s) });
    return { r, stages: stages as StageTimes | null };
  };

  it("runs the hidden session on in the visible session's context and hands its isolate to disposeLater", async () => {
    const { made, handed, create } = recording();
    const later: (() => void)[] = [];
    const { r, stages } = await stagesOf(job(41, "dispose later"), { sandboxes: create, disposeLater: (d) => later.push(d) });
    expect(r.verdict).toBe("passed");
    expect(made).toHaveLength(1);
    expect(handed).toEqual(made);
    expect([stages?.isolates, stages?.hiddenShared]).toEqual([1, 1]);
    // The isolate lives on until disposeLater runs.
    expect(made.map((s) => s.disposed)).toEqual([false]);
    expect(later).toHaveLength(1);
    for (const d of later) d();
    expect(made.map((s) => s.disposed)).toEqual([true]);
    expect(made.map(isolateDisposed)).toEqual([true]);
  });

  it("disposes at once a visible isolate that holds a large heap (at most one such isolate per worker beside the hidden session)", async () => {
    const { made, handed, create } = recording();
    const later: (() => void)[] = [];
    // The model solution, with 24 MB kept alive by its module.
    const hoarding = `${SOLUTION}\nexport const kept = [new Float64Array(3 * 1024 * 1024)];\n`;
    const { r, stages } = await stagesOf({ ...job(46, "hoarding"), source: hoarding }, { sandboxes: create, disposeLater: (d) => later.push(d) });
    expect(r.verdict).toBe("passed");
    // Over HIDDEN_MAX_INHERITED_BYTES: the hidden session gets a fresh isolate, as before.
    expect([made.length, handed.length, stages?.hiddenShared]).toEqual([2, 0, 0]);
    expect(made.map((s) => s.disposed)).toEqual([true, false]);
    expect(later).toHaveLength(1);
    for (const d of later) d();
  });

  it("gives the hidden session an isolate of its own after the submission changed a shared prototype, and the visible context when its heap is small", async () => {
    // V8 keeps some of what such a change touches per isolate (its protectors), not per context.
    const tampering = `let calls = 0;\n${SOLUTION.replace("{\n  const dK", "{\n  if (++calls === 2) Object.defineProperty(Float32Array.prototype, 'constructor', { value: Array, configurable: true, writable: true });\n  const dK")}`;
    expect(tampering).toContain("value: Array");
    const a = recording();
    const r = await gradeSubmission({ ...job(48, "tampering"), source: tampering }, { catalog, backend, references: new ReferenceCache(), sandboxes: a.create });
    expect(r.tests.some((t) => t.message.en.includes("Float32Array.prototype"))).toBe(true);
    expect([a.made.length, a.handed.length]).toEqual([2, 0]);
    // 4 MB kept by the module: under HIDDEN_MAX_INHERITED_BYTES.
    const b = recording();
    const keeping = `${SOLUTION}\nexport const kept = [new Float64Array(512 * 1024)];\n`;
    const k = await gradeSubmission({ ...job(49, "keeping"), source: keeping }, { catalog, backend, references: new ReferenceCache(), sandboxes: b.create });
    expect(k.verdict).toBe("passed");
    expect([b.made.length, b.handed.length]).toEqual([1, 1]);
    expect(hiddenMaxInheritedBytes(128)).toBe(HIDDEN_MAX_INHERITED_BYTES);
    expect(hiddenMaxInheritedBytes(16)).toBe(1024 * 1024);
  });

  it("defers the one isolate of a grading without hidden cases, and disposes everything at once without disposeLater", async () => {
    const a = recording();
    const later: (() => void)[] = [];
    await gradeSubmission({ ...job(42, "public only"), scope: "public" }, { catalog, backend, references: new ReferenceCache(), sandboxes: a.create, disposeLater: (d) => later.push(d) });
    expect(a.made.map((s) => s.disposed)).toEqual([false]);
    for (const d of later) d();
    expect(a.made[0]?.disposed).toBe(true);
    const b = recording();
    await gradeSubmission(job(43, "no later"), { catalog, backend, references: new ReferenceCache(), sandboxes: b.create });
    expect(b.made.map((s) => s.disposed)).toEqual([true]);
  });

  it("disposes at once the isolate of a grading that stopped on an error of the host", async () => {
    const later: (() => void)[] = [];
    const made: Sandbox[] = [];
    let calls = 0;
    // The host's fault on the third call: gradeSubmission throws, and the isolate is not left to a caller.
    const failing = async (o: Parameters<typeof Sandbox.create>[0]) => {
      const sb = await Sandbox.create(o);
      made.push(sb);
      const call = sb.call.bind(sb);
      sb.call = (...args: Parameters<Sandbox["call"]>) => (++calls === 3 ? Promise.reject(new Error("the host failed")) : call(...args));
      return sb;
    };
    await expect(gradeSubmission(job(44, "host fault"), { catalog, backend, references: new ReferenceCache(), sandboxes: failing, disposeLater: (d) => later.push(d) })).rejects.toThrow("the host failed");
    expect(later).toHaveLength(0);
    expect(made.map((s) => s.disposed)).toEqual([true]);
  });

  it("disposes at once the isolate of a hidden session (run on in the visible context) that stopped on an error of the host", async () => {
    const later: (() => void)[] = [];
    const { made, handed, create } = recording();
    // The host's fault on the hidden session's first call.
    const failing = async (o: Parameters<typeof Sandbox.create>[0]) => {
      const sb = await create(o);
      const begin = sb.beginHidden.bind(sb);
      sb.beginHidden = (maxInherited, consoleBytes) => {
        const ok = begin(maxInherited, consoleBytes);
        if (ok) sb.call = () => Promise.reject(new Error("the host failed"));
        return ok;
      };
      return sb;
    };
    await expect(gradeSubmission(job(45, "hidden host fault"), { catalog, backend, references: new ReferenceCache(), sandboxes: failing, disposeLater: (d) => later.push(d) })).rejects.toThrow("the host failed");
    expect([made.length, handed.length]).toEqual([1, 1]);
    expect(made.map((s) => s.disposed)).toEqual([true]);
    expect(later).toHaveLength(0);
  });

  it("hands over the visible isolate but disposes at once a hidden one of its own whose session stopped on an error of the host", async () => {
    const later: (() => void)[] = [];
    const made: Sandbox[] = [];
    // Not handed over (as for a submission that changed a shared prototype): the hidden session's isolate is the second one made.
    const failing = async (o: Parameters<typeof Sandbox.create>[0]) => {
      const sb = await Sandbox.create(o);
      sb.beginHidden = () => false;
      if (made.push(sb) === 2) sb.call = () => Promise.reject(new Error("the host failed"));
      return sb;
    };
    await expect(gradeSubmission(job(47, "hidden host fault, own isolate"), { catalog, backend, references: new ReferenceCache(), sandboxes: failing, disposeLater: (d) => later.push(d) })).rejects.toThrow("the host failed");
    expect(made.map((s) => s.disposed)).toEqual([false, true]);
    expect(later).toHaveLength(1);
    for (const d of later) d();
    expect(made.map((s) => s.disposed)).toEqual([true, true]);
  });
});

describe("spare isolates", () => {
  const options = { memoryMb: 64, withheld: [], consoleBytes: 1_000, resultBytes: 100_000, seed: 1 };

  it("hands each prepared (booted) isolate to one sandbox only, and only for the same options", async () => {
    const src = await compiledCode(`const g = globalThis as { mark?: number };
      export function f(): number { g.mark = (g.mark ?? 0) + 1; return g.mark; }
      export function r(): number { return Math.random(); }`);
    const { seed: _seed, ...key } = options;
    prepareSpares(key, 1);
    const a = await Sandbox.create(options);
    const b = await Sandbox.create(options);
    try {
      expect(a.setup.spare).toBe(true);
      expect(b.setup.spare).toBe(false);
      for (const sb of [a, b]) {
        expect((await sb.load(src, 1_000)).ok).toBe(true);
        expect(await sb.call("f", [], 1_000)).toEqual({ ok: true, value: 1 });
      }
      // Booted before its submission was known, the spare still draws from the submission's seed.
      expect(await a.call("r", [], 1_000)).toEqual(await b.call("r", [], 1_000));
    } finally {
      a.dispose();
      b.dispose();
    }
    // Two at most; other options (another memory limit, other withheld entries) make their own.
    prepareSpares({ ...key, memoryMb: 32 }, 5);
    const c = await Sandbox.create(options);
    c.dispose();
    expect(c.setup.spare).toBe(false);
    const w = await Sandbox.create({ ...options, memoryMb: 32, withheld: ["F.softmax"] });
    w.dispose();
    expect(w.setup.spare).toBe(false);
    expect(MAX_SPARES).toBe(2);
    // The 32 MB spares are still waiting, and their limit is the one they were made with.
    const e = await Sandbox.create({ ...options, memoryMb: 32 });
    e.dispose();
    expect(e.setup.spare).toBe(true);
    const d = await Sandbox.create({ ...options, memoryMb: 32 });
    try {
      expect(d.setup.spare).toBe(true);
      expect((await d.load(await compiledCode(`export const f = () => new Float64Array(8 * 1024 * 1024).length;`), 2_000)).ok).toBe(true);
      expect(await d.call("f", [], 2_000)).toMatchObject({ ok: false, kind: "memory" });
    } finally {
      d.dispose();
    }
  });

  /** A spare of these options, taken once it is booted and done warming (as after an idle moment). */
  const idleSpare = async (o: Parameters<typeof Sandbox.create>[0]): Promise<Sandbox> => {
    const { seed: _seed, ...key } = o;
    prepareSpares(key, 1);
    await sparesSettled();
    return Sandbox.create(o);
  };

  it("warms an idle spare with the fixed workload; stops at an exercise's withheld entry; never warms an isolate made for a waiting job", async () => {
    const spare = await idleSpare(options);
    const fresh = await Sandbox.create(options);
    const withheld = await idleSpare({ ...options, withheld: ["F.softmax"] });
    for (const sb of [spare, fresh, withheld]) sb.dispose();
    expect([spare.setup.spare, spare.setup.warmSteps]).toEqual([true, WARM_STEPS]);
    expect([fresh.setup.spare, fresh.setup.warmSteps]).toEqual([false, 0]);
    // The workload calls F.softmax: the stub throws in the first step, and warming stops there.
    expect([withheld.setup.spare, withheld.setup.warmSteps]).toEqual([true, 0]);
  });

  it("under HIDDEN_SHARED_MIN_MEMORY_MB (chunked-attention's 16 MB): the hidden session never runs on in the visible context, and an idle worker prepares two spares, one per session", async () => {
    const small = { ...options, memoryMb: 16 };
    const { seed: _seed, ...key } = small;
    expect(sharesHiddenContext(key)).toBe(false);
    expect(sharesHiddenContext({ memoryMb: HIDDEN_SHARED_MIN_MEMORY_MB })).toBe(true);
    prepareSpares(key);
    await sparesSettled();
    const a = await Sandbox.create(small);
    const b = await Sandbox.create(small);
    try {
      expect([a.setup.spare, b.setup.spare]).toEqual([true, true]);
      expect((await a.load(await compiledCode(`export const f = (): number => 1;`), 1_000)).ok).toBe(true);
      expect(a.beginHidden(Number.POSITIVE_INFINITY, 1_000)).toBe(false);
    } finally {
      a.dispose();
      b.dispose();
    }
  });

  it("runs no warm-up step in a spare taken before its boot ended, and the spare works", async () => {
    const { seed: _seed, ...key } = options;
    prepareSpares(key, 1);
    const sb = await Sandbox.create(options);
    try {
      // Taken before its boot had finished: not one step ran.
      expect([sb.setup.spare, sb.setup.warmSteps]).toEqual([true, 0]);
      // (That no step starts after a load is the harness's own refusal: the next test.)
      const code = await transpile(`export const f = (): number => 1;`);
      if (!code.ok) throw new Error("does not compile");
      expect((await sb.load(code.code, 1_000)).ok).toBe(true);
      expect(await sb.call("f", [], 1_000)).toEqual({ ok: true, value: 1 });
    } finally {
      sb.dispose();
    }
  });

  it("the harness runs a warm-up step only before a submission is loaded", async () => {
    // The harness itself, booted in a bare isolate (as prepare() does), asked for a step before and after a load.
    const isolate = new ivm.Isolate({ memoryLimit: 64 });
    try {
      const context = isolate.createContextSync();
      const bootRef = isolate.compileScriptSync(bootstrapSource()).runSync(context, { reference: true }) as ivm.Reference<unknown>;
      const harness = bootRef.applySync(undefined, [{ withheld: [], consoleBytes: 1_000, resultBytes: 100_000, seed: 0 }], { arguments: { copy: true }, result: { reference: true } }) as ivm.Reference<Record<string, unknown>>;
      const warm = harness.getSync("warm", { reference: true }) as ivm.Reference<() => boolean>;
      const load = harness.getSync("load", { reference: true }) as ivm.Reference<(f: unknown) => unknown>;
      const step = () => warm.applySync(undefined, [], { result: { copy: true } });
      expect([step(), step()]).toEqual([true, true]);
      const factory = isolate.compileScriptSync(`(function (require, module, exports) { exports.f = () => 1; })`).runSync(context, { reference: true }) as ivm.Reference<unknown>;
      expect(load.applySync(undefined, [factory.derefInto()], { result: { copy: true } })).toEqual({ ok: true, value: null });
      expect(step()).toBe(false);
    } finally {
      isolate.dispose();
    }
  });

  // What a submission could read of the realm and the kit's state: the default generator's draws
  // (torch.rand / randn without a generator), the seeded Math.random, the globals, the frozen kit and
  // intrinsics, and the console.
  const PROBE = `import { torch, F, nn } from "@tfm/kit";
      console.log("loaded");
      let calls = 0;
      export function count(): number { return ++calls; }
      export function shout(n: number): number { console.log("x".repeat(n)); return n; }
      export function tamper(): number { (Array.prototype as unknown as Record<string, unknown>).mark = 1; return 0; }
      export function probe(): unknown {
        const r = torch.randn([6]);
        const u = torch.rand([3]);
        const x = torch.arange(0, 6).float().view(2, 3);
        return {
          randn: r,
          rand: u,
          seed: torch.initialSeed(),
          math: [Math.random(), Math.random(), Math.random()],
          globals: Object.getOwnPropertyNames(globalThis).sort().join(","),
          softmax: F.softmax(x, -1),
          next: torch.randn([2]),
          frozen: [torch, F, nn, Object.getPrototypeOf(x), Array.prototype.map, Math, JSON, Float32Array].map((o) => Object.isFrozen(o)),
        };
      }`;

  it("leaves nothing a submission can see: a warmed spare and a fresh isolate answer alike, bit for bit", async () => {
    const src = await compiledCode(PROBE);
    const spare = await idleSpare({ ...options, seed: 77 });
    const fresh = await Sandbox.create({ ...options, seed: 77 });
    try {
      expect([spare.setup.warmSteps, fresh.setup.warmSteps]).toEqual([WARM_STEPS, 0]);
      const answers = [];
      for (const sb of [spare, fresh]) {
        expect((await sb.load(src, 1_000)).ok).toBe(true);
        answers.push({ first: await sb.call("probe", [], 1_000), second: await sb.call("probe", [], 1_000), console: await sb.drainConsole() });
      }
      expect(answers[0]).toMatchObject({ first: { ok: true, value: { frozen: [true, true, true, true, true, true, true, true] } }, console: { text: "loaded\n", exceeded: false } });
      expect(answers[0]).toEqual(answers[1]);
    } finally {
      spare.dispose();
      fresh.dispose();
    }
  });

  it("starts a hidden session in the visible context as a fresh context would start it: the same draws, an empty console with its whole cap; the module's own state stays", async () => {
    const src = await compiledCode(PROBE);
    const opts = { ...options, seed: 77, consoleBytes: 1_000 };
    const visible = await Sandbox.create(opts);
    const fresh = await Sandbox.create(opts);
    try {
      for (const sb of [visible, fresh]) expect((await sb.load(src, 1_000)).ok).toBe(true);
      // The visible session: draws, prints most of the cap, counts.
      expect(await visible.call("probe", [], 1_000)).toMatchObject({ ok: true });
      expect(await visible.call("shout", [600], 1_000)).toEqual({ ok: true, value: 600 });
      expect(await visible.call("count", [], 1_000)).toEqual({ ok: true, value: 1 });
      expect(visible.beginHidden(HIDDEN_MAX_INHERITED_BYTES, 1_000)).toBe(true);
      // The draws of a fresh context's first call (Math.random from the submission's seed, the kit's
      // default generator from 0), not those that follow the visible calls.
      const expected = await fresh.call("probe", [], 1_000);
      expect(expected).toMatchObject({ ok: true });
      expect(await visible.call("probe", [], 1_000)).toEqual(expected);
      // The whole cap again: 601 more bytes would have overflowed the visible session's 1,000.
      expect(await visible.call("shout", [600], 1_000)).toEqual({ ok: true, value: 600 });
      expect(await visible.drainConsole()).toEqual({ text: `${"x".repeat(600)}\n`, exceeded: false });
      expect(await visible.call("count", [], 1_000)).toEqual({ ok: true, value: 2 });
    } finally {
      visible.dispose();
      fresh.dispose();
    }
  });

  it("refuses a hidden session in the visible context before a load, after a changed prototype, over the heap allowed, and with a console cap that is not a size", async () => {
    const src = await compiledCode(PROBE);
    const sbs: Sandbox[] = [];
    const loaded = async (): Promise<Sandbox> => {
      const sb = await Sandbox.create(options);
      sbs.push(sb);
      expect((await sb.load(src, 1_000)).ok).toBe(true);
      return sb;
    };
    try {
      const unloaded = await Sandbox.create(options);
      sbs.push(unloaded);
      expect(unloaded.beginHidden(HIDDEN_MAX_INHERITED_BYTES, 1_000)).toBe(false);
      const tampered = await loaded();
      expect(await tampered.call("tamper", [], 1_000)).toMatchObject({ ok: false, error: { name: "IntrinsicChanged" } });
      expect(tampered.beginHidden(HIDDEN_MAX_INHERITED_BYTES, 1_000)).toBe(false);
      const heavy = await loaded();
      expect(heavy.beginHidden(1024, 1_000)).toBe(false);
      const odd = await loaded();
      for (const cap of [-1, 1.5, Number.NaN]) expect(odd.beginHidden(HIDDEN_MAX_INHERITED_BYTES, cap)).toBe(false);
      // Refused, nothing was set again: the generators go on from where the visible calls left them.
      const first = await odd.call("probe", [], 1_000);
      const ok = await loaded();
      const again = await ok.call("probe", [], 1_000);
      expect(first).toEqual(again);
      expect(await odd.call("probe", [], 1_000)).not.toEqual(first);
      expect(ok.beginHidden(HIDDEN_MAX_INHERITED_BYTES, 1_000)).toBe(true);
      expect(await ok.call("probe", [], 1_000)).toEqual(first);
    } finally {
      for (const sb of sbs) sb.dispose();
    }
  });
});

describe("a fresh isolate per submission through the pool", () => {
  let pool: GraderPool;
  const stages: StageTimes[] = [];
  beforeAll(async () => {
    pool = new GraderPool({ size: 1, catalog });
    await pool.start();
    pool.listen((_r, _job, s) => {
      if (s !== null) stages.push(s);
    });
  });
  afterAll(async () => pool.close());

  it("never lets one submission see another's globals, back to back or from a prepared isolate", async () => {
    // Throws at load if its isolate ever ran a submission before; the same text every time (so the
    // transpile cache serves it), always on the same worker.
    const source = `const g = globalThis as { seen?: number };
if (g.seen !== undefined) throw new Error("this isolate ran a submission before");
g.seen = 1;
${SOLUTION}`;
    for (let i = 0; i < 4; i++) {
      // Pauses on odd rounds: the idle worker prepares the next isolate ahead of time.
      if (i % 2 === 1) await new Promise((r) => setTimeout(r, 300));
      const r = await pool.grade({ exerciseId: EX, source, seed: 40 + i });
      expect(r.verdict, r.summary.en).toBe("passed");
    }
    expect(stages).toHaveLength(4);
    // A fresh isolate for each submission (its hidden calls run on in the same context: nothing carries over between submissions).
    expect(stages.map((s) => s.isolates)).toEqual([1, 1, 1, 1]);
    expect(stages.map((s) => s.hiddenShared)).toEqual([1, 1, 1, 1]);
    // After an idle pause a grading's isolate was booted ahead of time.
    expect(stages.some((s) => s.spares === 1), JSON.stringify(stages.map((s) => s.spares))).toBe(true);
  });
});

describe("the calls' isolate CPU in the stages (bench:inproc's steadiest figure)", () => {
  let backend: string;
  beforeAll(async () => {
    backend = await initBackend();
  });
  const stagesOf = async (j: GradeJob) => {
    let stages: StageTimes | null = null;
    const r = await gradeSubmission(j, { catalog, backend, references: new ReferenceCache(), onStages: (s) => (stages = s) });
    if (stages === null) throw new Error("no stages reported");
    return { r, stages: stages as StageTimes };
  };

  it("counts every call, visible and hidden, and never more than the calls' wall time", async () => {
    const { r, stages } = await stagesOf(job(61, "call cpu"));
    expect(r.verdict).toBe("passed");
    expect(stages.calls).toBeGreaterThan(20);
    expect(stages.callCpuMs).toBeGreaterThan(0);
    // runMs is the calls' wall time (both sessions); the isolate's CPU inside them cannot exceed it.
    expect(stages.callCpuMs).toBeLessThanOrEqual(stages.runMs + 1);
  });

  it("charges an endless loop its call limit", async () => {
    const loop = `export function scaledDotProductAttention(): never { for (;;) {} }\n`;
    const { r, stages } = await stagesOf({ ...job(62), source: loop });
    expect(r.verdict).toBe("time_limit");
    expect(stages.callCpuMs).toBeGreaterThanOrEqual(entry.meta.limits.callTimeoutMs);
  });
});
