/**
 * Calls run synchronously with a wall-clock timeout equal to their CPU budget (the fast path,
 * Sandbox.call), and a call that a busy host stopped before it had used its CPU budget is run again
 * in a fresh isolate under the CPU watch. What must hold: the verdict depends on CPU time only, never
 * on how busy the machine is. The busy host is made on purpose (test/busy-host.ts: this process and
 * two spinning processes on one core).
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { loadCatalog } from "../apps/grader/src/catalog.ts";
import { gradeSubmission } from "../apps/grader/src/grade.ts";
import { ReferenceCache } from "../apps/grader/src/reference-cache.ts";
import { FAST_WALL_FACTOR, Sandbox } from "../apps/grader/src/sandbox/sandbox.ts";
import { fromValues } from "../apps/grader/src/sandbox/test-helpers.ts";
import { transpile } from "../apps/grader/src/transpile.ts";
import { withBusyCore, withBusyThreads } from "./busy-host.ts";

const ROOT = path.resolve(import.meta.dirname, "..");
const open: Sandbox[] = [];
afterEach(() => {
  for (const s of open.splice(0)) s.dispose();
});

async function sandboxWith(source: string): Promise<Sandbox> {
  const compiled = await transpile(source);
  if (!compiled.ok) throw new Error(compiled.errors.map((e) => e.message).join("\n"));
  const sb = await Sandbox.create({ memoryMb: 64, withheld: [], consoleBytes: 1_000, resultBytes: 1_000_000, seed: 1 });
  open.push(sb);
  const loaded = await sb.load(compiled.code, 1_000);
  if (!loaded.ok) throw new Error(JSON.stringify(loaded));
  return sb;
}

/** A fixed amount of work per call (a count of loop turns), whatever the machine's speed or load. */
const WORK = `import type { Tensor } from "@tfm/kit";
export function f(x: Tensor, turns: number): Tensor { let s = 0; for (let i = 0; i < turns; i++) s = (s + i * 7) % 1000003; return x.add(s === -1 ? 1 : 0); }`;

/** Loop turns that cost about `ms` of CPU in this process, measured (on the watched path) now. */
async function turnsFor(ms: number): Promise<number> {
  const sb = await sandboxWith(WORK);
  let turns = 1_000_000;
  for (let i = 0; i < 4; i++) {
    const out = await sb.call("f", [fromValues([1], [1]), turns], 2_000, true);
    if (!out.ok) throw new Error(JSON.stringify(out));
    turns = Math.max(1, Math.round((turns * ms) / Math.max(0.5, sb.lastCpuMs)));
  }
  return turns;
}

describe("the fast path", () => {
  it("returns a call's value and charges the call's CPU time", async () => {
    const sb = await sandboxWith(WORK);
    const out = await sb.call("f", [fromValues([2], [1, 2]), 10], 1_000);
    expect(out).toMatchObject({ ok: true });
    expect(sb.lastCpuMs).toBeGreaterThan(0);
    expect(sb.lastCpuMs).toBeLessThan(1_000);
  });

  it("calls a call a busy host stopped before it used its CPU budget 'preempted' (never time), and the watched path then passes it", async () => {
    // Work worth 60% of the budget: about 1.8 budgets of wall time on a third of a core.
    const budget = 300;
    const turns = await turnsFor(budget * 0.6);
    await withBusyCore(async () => {
      const fast = await sandboxWith(WORK);
      const out = await fast.call("f", [fromValues([1], [1]), turns], budget);
      expect(out).toMatchObject({ ok: false, kind: "preempted" });
      expect(fast.disposed).toBe(true);
      expect(fast.lastCpuMs).toBeLessThan(budget * 0.9);
      const watched = await sandboxWith(WORK);
      const again = await watched.call("f", [fromValues([1], [1]), turns], budget, true);
      expect(again).toMatchObject({ ok: true });
      expect(watched.lastCpuMs).toBeLessThan(budget);
    });
  });

  it("loads a top level a busy host stopped before it used its CPU budget as 'preempted' (never time), and a watched load then passes it", async () => {
    const budget = 300;
    const turns = await turnsFor(budget * 0.6);
    const compiled = await transpile(`${WORK}\nlet s0 = 0; for (let i = 0; i < ${turns}; i++) s0 = (s0 + i * 7) % 1000003;\nexport const top = s0;\n`);
    if (!compiled.ok) throw new Error("compile");
    const make = async () => {
      const sb = await Sandbox.create({ memoryMb: 64, withheld: [], consoleBytes: 1_000, resultBytes: 1_000_000, seed: 1 });
      open.push(sb);
      return sb;
    };
    await withBusyCore(async () => {
      const fast = await make();
      const out = await fast.load(compiled.code, budget);
      expect(out).toMatchObject({ ok: false, kind: "preempted" });
      expect(fast.disposed).toBe(true);
      expect(fast.lastCpuMs).toBeLessThan(budget * 0.9);
      const watched = await make();
      expect(await watched.load(compiled.code, budget, true)).toMatchObject({ ok: true });
      expect(await watched.call("f", [fromValues([1], [1]), 1], budget, true)).toMatchObject({ ok: true });
    });
  });

  it("ends a top level that never returns with time on the fast path, its whole budget charged", async () => {
    const compiled = await transpile(`${WORK}\nfor (;;) {}\n`);
    if (!compiled.ok) throw new Error("compile");
    // The suites run in parallel (on CI's two cores too): a try that gets under 72% of a core is
    // preempted (the session would then load it watched), which is right and not what this checks; a
    // longer budget evens contention out, and one of six fresh sandboxes meets a quiet enough moment.
    const budget = 300;
    let out: Awaited<ReturnType<Sandbox["load"]>> | null = null;
    let sb: Sandbox | null = null;
    const seen: string[] = [];
    for (let i = 0; i < 6 && (out === null || (!out.ok && out.kind === "preempted")); i++) {
      sb = await Sandbox.create({ memoryMb: 64, withheld: [], consoleBytes: 1_000, resultBytes: 1_000_000, seed: 1 });
      open.push(sb);
      out = await sb.load(compiled.code, budget);
      seen.push(out.ok ? "ok" : out.kind);
    }
    expect(out, seen.join()).toMatchObject({ ok: false, kind: "time" });
    expect(sb?.lastCpuMs).toBe(budget);
  });

  it("lets an endless loop run until 1.25 x its budget in wall time on the fast path before deciding", async () => {
    // The fast path's wall-clock watchdog fires at FAST_WALL_FACTOR x the budget: by then a call that
    // had over 72% of a core has used 90% of its CPU budget and is time_limit at once, not "preempted"
    // and run again in a fresh isolate (which cost a deadline burst ~2.4 budgets per endless loop).
    // The watchdog's place is what is checked (the wall clock never runs short of it, however busy the
    // machine); which of the two outcomes a try gets depends on the load.
    const budget = 200;
    const sb = await sandboxWith(`import type { Tensor } from "@tfm/kit";\nexport function f(x: Tensor): Tensor { for (;;) {} }`);
    const t0 = performance.now();
    const out = await sb.call("f", [fromValues([1], [1])], budget);
    const elapsed = performance.now() - t0;
    expect(out.ok ? "ok" : out.kind).toMatch(/^(time|preempted)$/);
    // (2% for the timer thread's granularity: at 1.0 the call came back after ~200 ms.)
    expect(elapsed).toBeGreaterThanOrEqual(budget * FAST_WALL_FACTOR * 0.98);
    if (!out.ok && out.kind === "time") expect(sb.lastCpuMs).toBe(budget);
  });

  it("stops an endless loop at its CPU budget on the watched path however busy the host is", async () => {
    await withBusyCore(async () => {
      const sb = await sandboxWith(`import type { Tensor } from "@tfm/kit";\nexport function f(x: Tensor): Tensor { for (;;) {} }`);
      const t0 = performance.now();
      const out = await sb.call("f", [fromValues([1], [1])], 100, true);
      expect(out).toMatchObject({ ok: false, kind: "time" });
      // CPU time, not wall time: on a third of a core 100 ms of CPU take about 300 ms.
      expect(performance.now() - t0).toBeGreaterThan(150);
    });
  });
});

describe("CPU time used by the grader's other threads is not the call's", () => {
  // Four worker threads of this process spin on the same core as all of it: the process's CPU clock
  // runs about as fast as the wall clock, the isolate's thread gets a fifth of the core.
  it("on the fast path: a call the busy threads stopped early is preempted, never time", async () => {
    const budget = 200;
    // 100 ms of work on a fifth of a core needs ~500 ms: the fast path stops it at 250 ms of wall time.
    const turns = await turnsFor(budget * 0.5);
    const sb = await sandboxWith(WORK);
    const out = await withBusyThreads(() => sb.call("f", [fromValues([1], [1]), turns], budget));
    expect(out.ok ? "ok" : out.kind).toBe("preempted");
  });

  it("on the watched path: a call that needs half its budget passes, charged about its own work", async () => {
    const budget = 200;
    const turns = await turnsFor(budget * 0.5);
    const sb = await sandboxWith(WORK);
    const out = await withBusyThreads(() => sb.call("f", [fromValues([1], [1]), turns], budget, true));
    expect(out).toMatchObject({ ok: true });
    expect(sb.lastCpuMs).toBeGreaterThan(budget * 0.3);
    expect(sb.lastCpuMs).toBeLessThan(budget * 0.8);
  });

  it("still stops an endless loop at its budget on the watched path", async () => {
    const sb = await sandboxWith(`import type { Tensor } from "@tfm/kit";\nexport function f(x: Tensor): Tensor { for (;;) {} }`);
    const t0 = performance.now();
    const out = await withBusyThreads(() => sb.call("f", [fromValues([1], [1])], 100, true));
    expect(out).toMatchObject({ ok: false, kind: "time" });
    // Stopped by the CPU watch once its own thread had used the budget (polled every 5 ms), and charged
    // the budget, not by the wall watchdog (100 x 10 + 5,000 ms): the meter is not blind to the isolate's thread.
    expect(sb.lastCpuMs).toBe(100);
    expect(performance.now() - t0).toBeLessThan(3_000);
  });
});

describe("a grading on a busy host", () => {
  const catalog = loadCatalog();
  const id = "scaled-dot-product-attention";
  const entry = catalog.exercises.get(id);
  if (entry === undefined) throw new Error(`no exercise ${id}`);
  const model = readFileSync(path.join(ROOT, "exercises", id, "solution.ts"), "utf8");
  let preempted = 0;
  const grade = (source: string) => {
    preempted = 0;
    return gradeSubmission(
      { exerciseId: id, source, seed: 11, scope: "all", lang: "en" },
      { catalog, backend: "wasm", references: new ReferenceCache(), onStages: (s) => (preempted = s.preempted) },
    );
  };

  it("passes a correct submission whose calls each need 60% of the call limit, which the busy host stretches past the limit in wall time", async () => {
    const budget = entry.meta.limits.callTimeoutMs;
    // 60%: on a third of a core that is ~1.8 call limits of wall time, so the fast path stops the
    // calls even if the scheduler gives this process half the core; the watched path passes them.
    const turns = await turnsFor(budget * 0.6);
    // The model solution, each call first doing 60% of the call limit's worth of work.
    const slow = model.replace(
      /export function scaledDotProductAttention\(/,
      `function spin__(): number { let s = 0; for (let i = 0; i < ${turns}; i++) s = (s + i * 7) % 1000003; return s; }\nexport function scaledDotProductAttention(`,
    ).replace(/(export function scaledDotProductAttention\([^)]*\)[^{]*\{)/, "$1\n  if (spin__() === -1) throw new Error('never');");
    expect(slow).toContain("spin__() === -1");
    const r = await withBusyCore(() => grade(slow));
    expect(preempted).toBeGreaterThan(0);
    expect(r.tests.filter((t) => t.status !== "passed").map((t) => `${t.id}: ${t.status} ${t.message.en}`)).toEqual([]);
    expect(r.verdict).toBe("passed");
  });

  it("shows the same console output as on a quiet host: a call run again prints its lines once", async () => {
    const budget = entry.meta.limits.callTimeoutMs;
    const turns = await turnsFor(budget * 0.6);
    // Every call prints its own line, from its arguments (not from module state, which a call run
    // again in a fresh isolate does not keep), and 60% of the call limit's work makes a busy host
    // stop it on the fast path.
    const printing = (spin: boolean) =>
      model
        .replace(
          /export function scaledDotProductAttention\(/,
          `function spin__(): number { let s = 0; for (let i = 0; i < ${spin ? turns : 0}; i++) s = (s + i * 7) % 1000003; return s; }\nexport function scaledDotProductAttention(`,
        )
        // Only the calls with a mask do the work: the others run on the fast path, and their lines
        // must survive a later call's stop as well.
        .replace(/(export function scaledDotProductAttention\([^)]*\)[^{]*\{)/, "$1\n  console.log(`call ${Q.shape.join('x')} ${mask === null ? 'no mask' : 'mask'}`);\n  if (mask !== null && spin__() === -1) throw new Error('never');");
    const quiet = await grade(printing(false));
    expect(quiet.verdict).toBe("passed");
    expect(quiet.console.split("\n").filter((l) => l.startsWith("call ")).length).toBeGreaterThan(3);
    const busy = await withBusyCore(() => grade(printing(true)));
    expect(busy.verdict).toBe("passed");
    // The busy host did stop calls on the fast path (else this test would show nothing).
    expect(preempted).toBeGreaterThan(0);
    expect(busy.console).toBe(quiet.console);
  });

  it("passes a correct submission whose top level needs 60% of the call limit, and prints its top level's line once", async () => {
    const budget = entry.meta.limits.callTimeoutMs;
    const turns = await turnsFor(budget * 0.6);
    const withTop = (spin: boolean) =>
      `${model}\nconsole.log("top level");\nlet top__ = 0; for (let i = 0; i < ${spin ? turns : 0}; i++) top__ = (top__ + i * 7) % 1000003;\nexport const unused__ = top__;\n`;
    const quiet = await grade(withTop(false));
    expect(quiet.verdict).toBe("passed");
    const busy = await withBusyCore(() => grade(withTop(true)));
    // Both sessions (visible and hidden cases) load it: a busy host stops the top level on the fast path.
    expect(preempted).toBeGreaterThan(0);
    expect(busy.verdict).toBe("passed");
    expect(busy.console).toBe(quiet.console);
    expect(busy.console.split("\n").filter((l) => l === "top level")).toHaveLength(1);
  });

  it("ends a top level that never returns with time_limit on a busy host, not as the grader's fault", async () => {
    const r = await withBusyCore(() => grade(`${model}\nwhile (Date.now() > 0) {}\n`));
    expect(r.verdict).toBe("time_limit");
    expect(r.tests[0]?.status).toBe("time_limit");
  });

  it("ends an endless loop with time_limit, not as the grader's fault", async () => {
    const source = `import type { Tensor } from "@tfm/kit";\nexport function scaledDotProductAttention(Q: Tensor, K: Tensor, V: Tensor, mask: Tensor | null): [Tensor, Tensor] { for (;;) {} }\n`;
    const r = await withBusyCore(() => grade(source));
    expect(r.verdict).toBe("time_limit");
    expect(r.tests.filter((t) => t.status === "time_limit")).toHaveLength(1);
  });
});
