import { fileURLToPath } from "node:url";
import type { ExerciseMeta, WireValue } from "@tfm/contract";
import * as esbuild from "esbuild";
import ivm from "isolated-vm";
import type { BootOptions, CallResult, ErrorInfo, LockdownReport, PackedLockdownPlan } from "./in-isolate.ts";
import type { KitKernels } from "@tfm/kit/internal";
import { busiestThreadMs, callingThreadCpuMs, callingThreadSinceMs, threadCpuTimes } from "./thread-cpu.ts";

/** Outcome of running something in the isolate, as the host sees it. */
export type RunOutcome =
  | { ok: true; value: unknown; inputChanged?: string }
  | { ok: false; kind: "runtime" | "undefined" | "promise" | "not-function"; error: ErrorInfo }
  | { ok: false; kind: "time" | "memory" | "output"; error: ErrorInfo }
  /** The host, not the isolate, ran out of time: the wall clock ran far past the isolate's CPU time. Never the student's. */
  | { ok: false; kind: "stall"; error: ErrorInfo }
  /**
   * A call on the fast path (see Sandbox.call) reached its budget in wall time before it had used its
   * CPU budget: the host was busy. The call was stopped and the isolate disposed; the session makes a
   * fresh one and runs the call again under the CPU watch. Never a verdict.
   */
  | { ok: false; kind: "preempted"; error: ErrorInfo };

/**
 * Time limits count the isolate's own CPU time: a host stall (SIGSTOP, a VM pause, a busy machine)
 * is never the student's time. A host timer reads the isolate's CPU clock every CPU_POLL_MS and
 * stops the isolate when a call's CPU budget is spent (time_limit). The wall clock is only the outer
 * watchdog: WALL_FACTOR times the budget plus WALL_SLACK_MS; when it fires first, the isolate had
 * not used its CPU budget, so the host was stalled: a grader fault ("stall"), retried, never counted.
 */
export const CPU_POLL_MS = 5;
/**
 * The fast path's wall-clock watchdog fires at this many times the CPU budget (see Sandbox.call). By
 * then a call that had at least 0.9 / FAST_WALL_FACTOR (72%) of the wall clock has used 90% of its CPU
 * budget and is time_limit at once; only a host busier than that preempts it (a second run in a fresh
 * isolate, under the CPU watch). At 1.0, every endless loop in a deadline burst (2 workers, 2 cores,
 * the queue and the database beside them) was preempted and cost ~2.4 budgets; on a quiet host an
 * endless loop now runs 1.25 budgets of CPU before it is stopped (charged its budget, as before).
 */
export const FAST_WALL_FACTOR = 1.25;
export const WALL_FACTOR = 10;
export const WALL_SLACK_MS = 5_000;
/** A call stopped by the CPU watch after its process grew by this share of the isolate's memory limit exhausted memory, not time. */
const HEAP_FULL_SHARE = 0.6;

let bootstrap: { source: string; cache: ivm.ExternalCopy<ArrayBuffer> | null } | null = null;

/** The kit and the harness, bundled once per process; V8 code cache shared by every isolate. */
export function bootstrapSource(): string {
  if (bootstrap === null) {
    const entry = fileURLToPath(new URL("./in-isolate.ts", import.meta.url));
    const out = esbuild.buildSync({
      entryPoints: [entry],
      bundle: true,
      format: "cjs",
      platform: "neutral",
      target: "es2022",
      write: false,
      logLevel: "silent",
    });
    const text = out.outputFiles[0]?.text;
    if (text === undefined) throw new Error("bundling the sandbox kit produced no output");
    bootstrap = {
      // Strict mode for all of it (the kit and the harness): a sloppy function the student makes with
      // Function cannot walk .caller / .arguments into a strict caller.
      source: `(function () { "use strict"; const module = { exports: {} }; const exports = module.exports;\n${text}\nreturn module.exports.boot; })()`,
      cache: null,
    };
  }
  return bootstrap.source;
}

export interface SandboxOptions extends Omit<BootOptions, "wasmKernels"> {
  memoryMb: number;
}

/** What a submission's session needs of its sandbox; the benchmark's process-per-submission baseline provides the same. */
export interface SubmissionSandbox {
  readonly setup: SandboxSetup;
  readonly disposed: boolean;
  /** CPU time of the last load or call, when the sandbox can measure it (else the wall time is charged). */
  readonly lastCpuMs?: number;
  /** `watched`: never the fast path (after a "preempted" outcome, the load is run again so). */
  load(code: string, timeoutMs: number, watched?: boolean): Promise<RunOutcome>;
  /** `watched`: never the fast path (after a "preempted" outcome, the call is run again so). */
  call(entry: string, args: WireValue[], timeoutMs: number, watched?: boolean): Promise<RunOutcome>;
  drainConsole(): Promise<{ text: string; exceeded: boolean }>;
  dispose(): void;
  /** Bytes the isolate's heap holds (its ArrayBuffers included), when the sandbox can tell; asked only between calls. */
  heapBytes?(): number;
  /**
   * The same submission's hidden session begins in this sandbox's context, once its visible session has
   * ended (see Sandbox.beginHidden); false when it cannot (the hidden session then gets a fresh isolate).
   */
  beginHidden?(maxInheritedBytes: number, consoleBytes: number): boolean;
}

export type SandboxFactory = (options: SandboxOptions) => Promise<SubmissionSandbox>;

export interface SandboxSetup {
  /** A new isolate. */
  isolateMs: number;
  /** Compiling the kit + harness bundle (from the V8 code cache), a context, running the bundle in it, then booting it (lockdown). */
  kitMs: number;
  /** Whether the kit was compiled from the shared code cache: "produced" by the first isolate of a process. */
  codeCache: "hit" | "rejected" | "produced";
  /** The isolate was prepared ahead of time (prepareSpares): isolateMs is then the wait for it, kitMs the seeding. */
  spare: boolean;
  /** Steps of the warm-up (warm-up.ts) that ran in it before it was handed out: a spare's, while the worker was idle. */
  warmSteps: number;
}

const TIMEOUT_MESSAGE = /Script execution timed out/;
/** The submission's script: its line numbers are the transpiled code's (the wrapper's first line is -1). */
const SUBMISSION_SCRIPT = { filename: "submission.js", lineOffset: -1 } as const;

/** What a booted isolate depends on: everything of SandboxOptions but the seed (set at hand-out). */
export type BootKey = Omit<SandboxOptions, "seed">;

/** An exercise's isolates are booted with its limits and withheld entries (the one place these are read). */
export function bootKeyOf(meta: Pick<ExerciseMeta, "limits" | "withheld">): BootKey {
  return { memoryMb: meta.limits.memoryMb, withheld: meta.withheld, consoleBytes: meta.limits.consoleBytes, resultBytes: meta.limits.resultBytes };
}

export function keyOf(o: BootKey): string {
  return JSON.stringify([o.memoryMb, [...o.withheld].sort(), o.consoleBytes, o.resultBytes]);
}

/** A context of an isolate with the kit + harness evaluated and booted (lockdown done): no seed yet, no student code. */
interface BootedContext {
  context: ivm.Context;
  harness: { load: ivm.Reference<(f: unknown) => CallResult>; call: ivm.Reference<(e: string, a: unknown[]) => CallResult>; drain: ivm.Reference<() => { text: string; exceeded: boolean }>; drainBefore: ivm.Reference<() => { text: string; exceeded: boolean }>; reseed: ivm.Reference<(seed: number) => boolean>; warm: ivm.Reference<() => boolean> | null; api: ivm.Reference<Record<string, unknown>> };
  /** Where the console sink forwards to: the Sandbox, once one owns this context. */
  sinkTarget: { sandbox: Sandbox | null };
  /** What lockdown reported: only for the recording and auditing isolates (see lockdownPlan). */
  lockdown: LockdownReport | null;
  /** Steps of the warm-up that ran to their end in this context (a spare's, see warmSpare). */
  warmSteps: number;
}

/** An isolate with its context booted (see BootedContext). */
interface Prepared extends BootedContext {
  isolate: ivm.Isolate;
  codeCache: SandboxSetup["codeCache"];
  isolateMs: number;
  /** Compiling the kit's script in it, creating the context and booting the kit there. */
  kitMs: number;
}

/**
 * Lockdown's walk of the intrinsics (every property of ~470 built-in objects) cost ~4 ms per
 * isolate, twice per grading. The objects it reaches are the same in every isolate of a process (the
 * same V8, the same bundle), so the first isolate records them (LockdownPlan) and later ones freeze
 * that list without walking. Before the plan is used, a second isolate replays it and then walks the
 * intrinsics to audit that every object the walk reaches is as the walk would leave it; a plan that
 * fails the audit (or could not be made) is not used: every isolate walks, as before.
 */
let lockdownPlan: Promise<PackedLockdownPlan | null> | null = null;
export interface LockdownPlanStatus {
  objects: number;
  audit: "passed" | "failed" | "error";
  mismatches: string[];
}
let planStatus: LockdownPlanStatus | null = null;

/** The plan, once per process (see lockdownPlan); null when it is not to be used. */
export function lockdownPlanOnce(): Promise<PackedLockdownPlan | null> {
  lockdownPlan ??= makeLockdownPlan().catch((e: unknown) => {
    planStatus = { objects: 0, audit: "error", mismatches: [e instanceof Error ? e.message : String(e)] };
    return null;
  });
  return lockdownPlan;
}

/** How the process's lockdown plan fared (null before lockdownPlanOnce settled). */
export function lockdownPlanStatus(): LockdownPlanStatus | null {
  return planStatus;
}

const PLAN_KEY: BootKey = { memoryMb: 64, withheld: [], consoleBytes: 0, resultBytes: 0 };

/** Records the plan in a fresh isolate (the walk, as without a plan). */
export async function recordLockdownPlan(): Promise<PackedLockdownPlan> {
  const recorded = lockdownOf(await prepare(PLAN_KEY, { mode: "record" }));
  if (recorded.plan === null) throw new Error("the recording isolate returned no lockdown plan");
  return { keys: recorded.plan.keys.join("\0"), ops: Int32Array.from(recorded.plan.ops) };
}

/** Replays a plan in a fresh isolate, then walks the intrinsics there to find what it left unlocked. */
export async function auditLockdownPlan(plan: PackedLockdownPlan): Promise<LockdownReport> {
  return lockdownOf(await prepare(PLAN_KEY, { mode: "audit", plan }));
}

/**
 * The student kit's part of lockdown (every object reachable from the kit a submission imports) was
 * walked in every isolate (~0.65 ms of a ~1.8 ms boot): unlike the intrinsics it depends on the
 * exercise, whose withheld entries get stubs. So it has a plan per withheld list, recorded and audited
 * like the intrinsics' (recordKitPlan: a recording isolate, then an auditing one that replays it and
 * walks the kit), and until one has passed its audit, or where none could be made, the kit is walked
 * as before. At most KIT_PLANS_MAX lists are kept (an exercise has one).
 */
export const KIT_PLANS_MAX = 64;
/** Settled plans: a plan that passed its audit, or null (not to be used). */
const kitPlans = new Map<string, PackedLockdownPlan | null>();
const kitPlansPending = new Map<string, Promise<boolean>>();

function kitPlanKey(key: BootKey): string {
  return JSON.stringify([key.withheld, hasWasmKernels(key)]);
}

/** Records the student kit's walk for these options in a fresh isolate (its isolated-vm work off this thread). */
export async function recordKitLockdownPlan(key: BootKey): Promise<PackedLockdownPlan> {
  const recorded = lockdownOf(await prepare(key, { mode: "record" }, true));
  if (recorded.kitPlan === null) throw new Error("the recording isolate returned no plan of the student kit");
  return { keys: recorded.kitPlan.keys.join("\0"), ops: Int32Array.from(recorded.kitPlan.ops) };
}

/** Replays the intrinsics' plan and `kit` in a fresh isolate, then walks both there (null without an intrinsics plan). */
export async function auditKitLockdownPlan(key: BootKey, kit: PackedLockdownPlan): Promise<LockdownReport | null> {
  const plan = await lockdownPlanOnce();
  return plan === null ? null : lockdownOf(await prepare(key, { mode: "audit", plan, kit }, true));
}

/** Whether the kit plan for these options is in use ("passed"), refused ("failed"), being made, or not asked for. */
export function kitPlanStatus(key: BootKey): "passed" | "failed" | "pending" | null {
  const k = kitPlanKey(key);
  const settled = kitPlans.get(k);
  if (settled !== undefined) return settled === null ? "failed" : "passed";
  return kitPlansPending.has(k) ? "pending" : null;
}

/**
 * The kit plan for these options if one has passed its audit; never waits. The first time these options
 * are asked about, their plan is requested (recordKitPlan, on a later turn of the event loop).
 */
function kitPlanFor(key: BootKey): PackedLockdownPlan | undefined {
  const k = kitPlanKey(key);
  const settled = kitPlans.get(k);
  if (settled !== undefined) return settled ?? undefined;
  if (!kitPlansPending.has(k)) setImmediate(() => void recordKitPlan(key));
  return undefined;
}

/** Recordings run one after another: the first gradings of a worker's exercises would otherwise boot two isolates each at once. */
let kitPlansInLine: Promise<unknown> = Promise.resolve();

/**
 * Records and audits the kit plan for these options, once per withheld list (concurrent callers share
 * the work); resolves to whether a plan is in use. The isolates' work runs on isolated-vm's threads.
 */
export function recordKitPlan(key: BootKey): Promise<boolean> {
  const k = kitPlanKey(key);
  const settled = kitPlans.get(k);
  if (settled !== undefined) return Promise.resolve(settled !== null);
  const pending = kitPlansPending.get(k);
  if (pending !== undefined) return pending;
  if (kitPlans.size + kitPlansPending.size >= KIT_PLANS_MAX) return Promise.resolve(false);
  const made = kitPlansInLine
    .then(async () => {
      if ((await lockdownPlanOnce()) === null) return null;
      const kit = await recordKitLockdownPlan(key);
      const audited = await auditKitLockdownPlan(key, kit);
      return audited !== null && audited.replayed && audited.kitReplayed && audited.mismatches.length === 0 ? kit : null;
    })
    .catch(() => null)
    .then((kit) => {
      kitPlans.set(k, kit);
      kitPlansPending.delete(k);
      return kit !== null;
    });
  kitPlansPending.set(k, made);
  kitPlansInLine = made;
  return made;
}

async function makeLockdownPlan(): Promise<PackedLockdownPlan | null> {
  const packed = await recordLockdownPlan();
  const audited = await auditLockdownPlan(packed);
  const ok = audited.replayed && audited.mismatches.length === 0;
  planStatus = { objects: packed.ops.length / 4, audit: ok ? "passed" : "failed", mismatches: audited.mismatches };
  return ok ? packed : null;
}

function lockdownOf(p: Prepared): LockdownReport {
  p.isolate.dispose();
  if (p.lockdown === null) throw new Error("the isolate was not asked what lockdown did");
  return p.lockdown;
}

async function prepare(key: BootKey, lockdown?: BootOptions["lockdown"], background = false): Promise<Prepared> {
  const source = bootstrapSource();
  // Never for the recording and audit isolates themselves (they decide whether there is a plan).
  const plan = lockdown === undefined ? await lockdownPlanOnce() : null;
  // Only trusted code runs here (the kit and the harness: no student code has been near this isolate),
  // so each step may be a synchronous call: an asynchronous one costs a hop to isolated-vm's thread
  // and back (~0.1 ms of latency each, nine of them per isolate) for work that takes as long either
  // way. Spares, prepared while the worker is idle, take the hops (`background`): the main thread
  // stays free for the next job's message.
  const t0 = performance.now();
  const isolate = new ivm.Isolate({ memoryLimit: key.memoryMb });
  try {
    const t1 = performance.now();
    const cached = bootstrap?.cache ?? null;
    const compileOptions = { filename: "kit.js", ...(cached ? { cachedData: cached } : { produceCachedData: true }) };
    const script: ivm.Script & ivm.CachedDataResult = background ? await isolate.compileScript(source, compileOptions) : isolate.compileScriptSync(source, compileOptions);
    // isolated-vm sets cachedDataRejected (its typings omit it) when V8 refused the supplied cache.
    const rejected = (script as { cachedDataRejected?: boolean }).cachedDataRejected === true;
    const codeCache: SandboxSetup["codeCache"] = cached === null ? "produced" : rejected ? "rejected" : "hit";
    if (bootstrap !== null && bootstrap.cache === null && script.cachedData) bootstrap.cache = script.cachedData;
    // Isolates booted before their options' kit plan is ready walk the kit (see kitPlanFor).
    const kit = plan === null || lockdown !== undefined ? undefined : kitPlanFor(key);
    const how: BootOptions["lockdown"] = lockdown ?? (plan === null ? undefined : kit === undefined ? { mode: "replay", plan } : { mode: "replay", plan, kit });
    const booted = await bootContext(isolate, script, key, how, background);
    // The isolate stage is the new isolate alone; the kit stage its compile, context and boot.
    return { ...booted, isolate, codeCache, isolateMs: t1 - t0, kitMs: performance.now() - t1 };
  } catch (e) {
    if (!isolate.isDisposed) isolate.dispose();
    throw e;
  }
}

/**
 * A new context (its own realm: its own global object and intrinsics) of `isolate`, with the kit's
 * script run in it and the harness booted (lockdown done). Only trusted code runs here.
 */
async function bootContext(isolate: ivm.Isolate, script: ivm.Script, key: BootKey, how: BootOptions["lockdown"], background: boolean): Promise<BootedContext> {
  const t0 = performance.now();
  const context = background ? await isolate.createContext() : isolate.createContextSync();
  try {
    const bootRef = (background ? await script.run(context, { reference: true, timeout: 5_000 }) : script.runSync(context, { reference: true, timeout: 5_000 })) as ivm.Reference<(o: BootOptions, sink: unknown) => unknown>;
    // Console lines are also forwarded as they are written (fire-and-forget), so that a call stopped
    // by the CPU watch (which disposes the isolate) still shows what it printed before.
    const sinkTarget: { sandbox: Sandbox | null } = { sandbox: null };
    const sink = new ivm.Reference((text: unknown, exceeded: unknown) => {
      if (typeof text === "string") sinkTarget.sandbox?.receiveConsole(text, exceeded === true);
    });
    const boot: BootOptions = { withheld: key.withheld, consoleBytes: key.consoleBytes, resultBytes: key.resultBytes, seed: 0, wasmKernels: hasWasmKernels(key), ...(how === undefined ? {} : { lockdown: how }) };
    const bootOptions = { arguments: { copy: true }, result: { reference: true }, timeout: 5_000 } as const;
    const harness = (background ? await bootRef.apply(undefined, [boot, sink], bootOptions) : bootRef.applySync(undefined, [boot, sink], bootOptions)) as ivm.Reference<Record<string, unknown>>;
    // The references: on the main thread either way (a hop each would cost more than the get). Only a
    // spare (`background`) is warmed: an isolate booted for a waiting job does not fetch the reference.
    const get = <T>(name: string) => harness.getSync(name, { reference: true }) as ivm.Reference<T>;
    const refs: BootedContext["harness"] = { load: get("load"), call: get("call"), drain: get("drainConsole"), drainBefore: get("drainBeforeCall"), reseed: get("reseed"), warm: background ? get("warm") : null, api: harness };
    // Only the recording and audit isolates are asked what lockdown reports (a plan is ~2,000 numbers).
    const report = how === undefined || how.mode === "replay" ? null : (harness.getSync("lockdown", { copy: true }) as LockdownReport);
    bootRef.release();
    // The harness object itself stays referenced (released with the context): rarely used entries
    // (kernels) are fetched from it when asked, not at every boot.
    return { context, harness: refs, sinkTarget, lockdown: report, warmSteps: 0 };
  } catch (e) {
    context.release();
    throw e;
  }
}

/** Gives a booted context its submission's seed, before any of the submission's code runs (the harness refuses it later). */
function seedContext(b: BootedContext, seed: number): void {
  if (b.harness.reseed.applySync(undefined, [seed], { result: { copy: true }, timeout: 1_000 }) !== true) throw new Error("the sandbox refused the submission's seed");
  b.harness.reseed.release();
}

/**
 * At most MAX_SPARES prepared isolates per process, waiting for the next submissions. A grading uses
 * one (its hidden session runs in the same context, see Sandbox.beginHidden), so an idle worker
 * prepares SPARES_PER_GRADING by default.
 */
export const MAX_SPARES = 2;
export const SPARES_PER_GRADING = 1;

/**
 * The smallest memory limit at which a submission's hidden session runs in the context of its visible
 * one (Sandbox.beginHidden). Under it (the chapter's memory pitfall, chunked-attention, runs in 16 MB,
 * and its verdicts are about memory) the hidden session gets a fresh isolate, with the whole limit to
 * itself, and an idle worker prepares two spares, one per session.
 */
export const HIDDEN_SHARED_MIN_MEMORY_MB = 64;
export function sharesHiddenContext(options: Pick<BootKey, "memoryMb">): boolean {
  return options.memoryMb >= HIDDEN_SHARED_MIN_MEMORY_MB;
}

/**
 * The smallest memory limit whose kit runs float32 products in WebAssembly (packages/kit/src/wasm-gemm.ts).
 * Its memory (up to 4 MB per context) lies outside the isolate's heap limit, and its product needs
 * no scratch copy of B: under this limit (chunked-attention, whose verdicts are about memory) the kit
 * stays as it was, so that no memory verdict can move.
 */
export const WASM_KERNELS_MIN_MEMORY_MB = 64;
export function hasWasmKernels(options: Pick<BootKey, "memoryMb">): boolean {
  return options.memoryMb >= WASM_KERNELS_MIN_MEMORY_MB;
}

/**
 * A prepared isolate waiting for its submission. Once booted it is warmed a step at a time (warmSpare)
 * until it is taken: `taken` stops the steps, and whoever takes it awaits `warming` (the step in
 * flight, at most one), so no warm-up step runs once the isolate is handed out.
 */
interface Spare {
  key: string;
  prepared: Promise<Prepared>;
  taken: boolean;
  warming: Promise<void>;
}
let spares: Spare[] = [];

/** Resolves once every waiting spare is booted and done warming (for tests: no timing guesses). */
export async function sparesSettled(): Promise<void> {
  await Promise.all(spares.map((s) => s.warming));
}
/** Steps of the warm-up per spare (a round of warm-up.ts's workload each, ~1-2 ms): enough for V8 to give the kit's functions their feedback. */
export const WARM_STEPS = 3;

/**
 * Warms a booted spare while nobody has taken it: WARM_STEPS steps of the fixed workload (warm-up.ts),
 * each its own call on isolated-vm's thread (~1-2 ms), so a job that takes the spare meanwhile waits
 * for one step at most. Stops at the first step that does not run to its end (an exercise's withheld
 * entry); a failure only leaves the spare colder.
 */
async function warmSpare(spare: Spare, p: Prepared): Promise<void> {
  const warm = p.harness.warm;
  for (let step = 0; step < WARM_STEPS; step++) {
    if (spare.taken || p.isolate.isDisposed || warm === null) return;
    const ok = await warm.apply(undefined, [], { result: { copy: true }, timeout: 1_000 }).catch(() => false);
    if (ok !== true) return;
    p.warmSteps++;
  }
}

/** Takes a spare for good: no warm-up step starts after this, and the one in flight has ended when it resolves. */
async function takeSpare(spare: Spare): Promise<Prepared | null> {
  spare.taken = true;
  await spare.warming;
  const p = await spare.prepared.catch(() => null);
  p?.harness.warm?.release();
  return p;
}

/**
 * Prepares isolates ahead of time, while the worker is idle: new isolates with the kit evaluated and
 * booted (lockdown done) for these options, up to `count` of them (at most MAX_SPARES in all). The
 * next Sandbox.create with the same options takes one, and only that one: it is handed out once,
 * never returned, never shared, so every submission still gets an isolate no other code has run in.
 * Spares of other options are dropped when room is needed.
 */
export function prepareSpares(options: BootKey, count = sharesHiddenContext(options) ? SPARES_PER_GRADING : 2): void {
  const key = keyOf(options);
  const need = Math.max(0, Math.min(count, MAX_SPARES) - spares.filter((s) => s.key === key).length);
  // Make room: the oldest spares of other options go first.
  while (need > MAX_SPARES - spares.length) {
    const other = spares.find((s) => s.key !== key);
    if (other === undefined) break;
    spares = spares.filter((s) => s !== other);
    void takeSpare(other).then((p) => p === null || p.isolate.isDisposed || p.isolate.dispose());
  }
  for (let i = 0; i < need && spares.length < MAX_SPARES; i++) {
    const prepared = prepare(options, undefined, true);
    prepared.catch(() => {
      // Creating it failed: Sandbox.create makes its own.
    });
    const spare: Spare = { key, prepared, taken: false, warming: Promise.resolve() };
    spare.warming = prepared.then((p) => warmSpare(spare, p)).catch(() => {});
    spares.push(spare);
  }
}

/** The options the calibration's isolates are booted with: a light exercise's, no withheld entry. */
const CALIBRATION_KEY: BootKey = { memoryMb: 128, withheld: [], consoleBytes: 4_096, resultBytes: 1_048_576 };

/**
 * One sample of this machine's speed for the limits (limits.ts, calibration.ts): a fresh isolate booted
 * as a light exercise's (the kit, lockdown), then one step of the spare warm-up's fixed workload
 * (warm-up.ts), cold as a submission's first call is: the isolate's CPU time for that step, in ms. Only
 * the kit and the harness run here. Null when the step did not run to its end.
 */
export async function calibrationSampleMs(): Promise<number | null> {
  // `background` for the warm-up's reference (a spare's); the step itself runs on this thread.
  const p = await prepare(CALIBRATION_KEY, undefined, true);
  try {
    const warm = p.harness.warm;
    if (warm === null) return null;
    const before = p.isolate.cpuTime;
    const ok = warm.applySync(undefined, [], { result: { copy: true }, timeout: 5_000 });
    const ms = Number(p.isolate.cpuTime - before) / 1e6;
    return ok === true && ms > 0 ? ms : null;
  } finally {
    if (!p.isolate.isDisposed) p.isolate.dispose();
  }
}

/** The process's CPU time since `start` (a process.cpuUsage() reading), in ms. */
function processCpuSinceMs(start: NodeJS.CpuUsage): number {
  const p = process.cpuUsage(start);
  return (p.user + p.system) / 1e3;
}

/**
 * One isolate for one submission: created fresh, never reused across submissions. Every call
 * copies its arguments in and its result out.
 */
export class Sandbox implements SubmissionSandbox {
  private constructor(
    private readonly isolate: ivm.Isolate,
    private readonly booted: BootedContext,
    /** The options it was booted with. */
    private readonly key: BootKey,
    /** What creating this sandbox cost (for the benchmark's per-stage profile). */
    readonly setup: SandboxSetup,
    /** The isolate's memory limit, in bytes. */
    private readonly memoryBytes: number,
  ) {
    this.context = booted.context;
    this.loadRef = booted.harness.load;
    this.callRef = booted.harness.call;
    this.drainRef = booted.harness.drain;
    this.drainBeforeRef = booted.harness.drainBefore;
  }

  private readonly context: ivm.Context;
  private readonly loadRef: ivm.Reference<(f: unknown) => CallResult>;
  private readonly callRef: ivm.Reference<(entry: string, args: unknown[]) => CallResult>;
  private readonly drainRef: ivm.Reference<() => { text: string; exceeded: boolean }>;
  private readonly drainBeforeRef: ivm.Reference<() => { text: string; exceeded: boolean }>;
  /** The isolate's heap when the hidden session began here: what the visible session left there (see heapNearlyFull). */
  private inheritedBytes = 0;

  /**
   * A sandbox for one submission. The isolate comes from the spare prepared while the worker was idle
   * (see prepareSpares) when its memory limit matches, else it is made now; either way it has never run
   * anything but the kit, and the harness is booted here with this submission's options.
   */
  static async create(options: SandboxOptions): Promise<Sandbox> {
    const t0 = performance.now();
    let prepared: Prepared | null = null;
    let fromSpare = false;
    const key = keyOf(options);
    const taken = spares.find((s) => s.key === key);
    if (taken !== undefined) {
      spares = spares.filter((s) => s !== taken);
      prepared = await takeSpare(taken);
      fromSpare = prepared !== null && !prepared.isolate.isDisposed;
      if (!fromSpare) prepared = null;
    }
    prepared ??= await prepare(options);
    const { isolate, codeCache } = prepared;
    try {
      const t1 = performance.now();
      seedContext(prepared, options.seed);
      const seedMs = performance.now() - t1;
      // From a spare: the isolate stage is only the wait for it, the kit stage only the seed.
      const setup: SandboxSetup = fromSpare
        ? { isolateMs: t1 - t0, kitMs: seedMs, codeCache, spare: true, warmSteps: prepared.warmSteps }
        : { isolateMs: prepared.isolateMs, kitMs: prepared.kitMs + seedMs, codeCache, spare: false, warmSteps: 0 };
      const { memoryMb, withheld, consoleBytes, resultBytes } = options;
      const sandbox = new Sandbox(isolate, prepared, { memoryMb, withheld, consoleBytes, resultBytes }, setup, memoryMb * 1024 * 1024);
      prepared.sinkTarget.sandbox = sandbox;
      return sandbox;
    } catch (e) {
      if (!isolate.isDisposed) isolate.dispose();
      throw e;
    }
  }

  /**
   * The same submission's hidden session begins in this context, once its visible session has ended and
   * everything it shows has been read (grade.ts): the harness sets again what a fresh context starts
   * with (the console and its cap, `consoleBytes`, the seeded Math.random and the kit's default generator; the
   * submission's module state stays, as between its calls), and nothing the hidden calls do is read
   * back but their results (SECURITY.md). The hidden calls then run with the code and the type
   * feedback the visible calls warmed, and no second context, kit boot or load is needed. False, and
   * nothing changed, when the isolate is gone (a limit or a busy host disposed it), its memory limit is
   * under HIDDEN_SHARED_MIN_MEMORY_MB, the submission changed a shared prototype, or the visible session
   * left more than `maxInheritedBytes` in the heap (its share of the limit would be the hidden session's
   * to lose; grade.ts: hiddenMaxInheritedBytes): the hidden session then gets a fresh isolate.
   */
  beginHidden(maxInheritedBytes: number, consoleBytes: number): boolean {
    if (this.disposed || !sharesHiddenContext(this.key)) return false;
    const inherited = this.heapBytes();
    if (inherited > maxInheritedBytes) return false;
    let begin: ivm.Reference<(consoleBytes: number) => boolean> | null = null;
    try {
      begin = this.booted.harness.api.getSync("beginHidden", { reference: true }) as ivm.Reference<(consoleBytes: number) => boolean>;
      if (begin.applySync(undefined, [consoleBytes], { result: { copy: true }, timeout: 1_000 }) !== true) return false;
    } catch {
      return false;
    } finally {
      begin?.release();
    }
    this.inheritedBytes = inherited;
    // What the visible session printed was read before this; the forwarded copy starts again with the console.
    this.forwarded = "";
    this.forwardedExceeded = false;
    return true;
  }

  get disposed(): boolean {
    return this.isolate.isDisposed;
  }

  /**
   * For an isolate that ran only trusted code (the model solutions, at worker start; see
   * warm-cache.ts): compiles the kit bundle again here, where V8's compilation cache returns it with
   * every function those calls compiled, and shares the code cache made from it. Later isolates then
   * start with the kit's functions compiled instead of compiling each one at its first call (a cache
   * made at compile time holds only the eagerly compiled top level). Returns whether it was shared.
   */
  async shareCompiledKit(): Promise<boolean> {
    const script: ivm.Script & ivm.CachedDataResult = await this.isolate.compileScript(bootstrapSource(), { filename: "kit.js", produceCachedData: true });
    if (bootstrap === null || script.cachedData === undefined) return false;
    bootstrap.cache = script.cachedData;
    return true;
  }

  /** Which product kernels the kit of this context runs (see packages/kit/src/wasm-gemm.ts). Takes the isolate's lock: never during a call. */
  kitKernels(): KitKernels {
    const kernels = this.booted.harness.api.getSync("kernels", { reference: true }) as ivm.Reference<() => KitKernels>;
    try {
      return kernels.applySync(undefined, [], { result: { copy: true }, timeout: 1_000 }) as KitKernels;
    } finally {
      kernels.release();
    }
  }

  /** CPU time the isolate has used, in milliseconds. */
  cpuMs(): number {
    return Number(this.isolate.cpuTime) / 1e6;
  }

  /** Set when the CPU watch stopped the isolate (it is disposed then): the call's verdict is time, not memory. */
  private cpuStop: { heapNearlyFull: boolean } | null = null;
  /** CPU time used by the last load or call, in milliseconds. */
  lastCpuMs = 0;
  /** Console text forwarded line by line as it is written: what is left when a CPU stop disposes the isolate. */
  private forwarded = "";
  private forwardedExceeded = false;
  /** Set when a call was preempted: the console is what was printed before it (drainBeforeCall), nothing later. */
  private consoleClosed = false;

  /** Called from the isolate (fire-and-forget) for every console line it keeps. */
  receiveConsole(text: string, exceeded: boolean): void {
    // After a preempted call, what it printed arrives late and is dropped (the call runs again elsewhere).
    if (this.consoleClosed) return;
    if (this.forwarded.length < 1_000_000) this.forwarded += text;
    this.forwardedExceeded ||= exceeded;
  }

  /**
   * CPU time used from now by a watched call, in milliseconds: the smaller of the isolate's clock and
   * the host's (see withCpuBudget for why both). The host's is read thread by thread and only the
   * busiest thread counts (thread-cpu.ts): the call runs on one of isolated-vm's threads, and what the
   * process's other threads do meanwhile is not the call's; without /proc, the process's clock.
   */
  private cpuMeter(): () => number {
    const c0 = this.isolate.cpuTime;
    const p0 = process.cpuUsage();
    const t0 = threadCpuTimes();
    return () => {
      const t = t0 === null ? null : threadCpuTimes();
      const hostMs = t0 !== null && t !== null ? busiestThreadMs(t0, t) : processCpuSinceMs(p0);
      // A disposed isolate (a memory limit, on isolated-vm's own thread) leaves the host's clock only.
      return Math.min(this.isolateCpuSinceMs(c0), hostMs);
    };
  }

  /** The isolate's CPU time since `start` (an isolate.cpuTime reading), in ms; Infinity once the isolate is gone. */
  private isolateCpuSinceMs(start: bigint): number {
    try {
      return Number(this.isolate.cpuTime - start) / 1e6;
    } catch {
      // Disposed meanwhile (a memory limit, on isolated-vm's own thread): the other clock decides.
      return Number.POSITIVE_INFINITY;
    }
  }

  /** Runs `step` with a CPU budget of `budgetMs` and the outer wall watchdog (see CPU_POLL_MS). */
  private async withCpuBudget<T>(budgetMs: number, step: (wallMs: number) => Promise<T>): Promise<T | (RunOutcome & { ok: false })> {
    // isolated-vm's cpuTime is the isolate's thread CPU time once a call has ended, but while one runs
    // it counts the wall time since the call began (on Linux: CLOCK_THREAD_CPUTIME_ID when a timer
    // stops, steady_clock for the running part), so a starved or frozen process (SIGSTOP) still counts
    // as running (measured: 4.3 s "CPU" for 1.3 s of work and a 4 s stop). The CPU time of the busiest
    // thread of the process does not advance while it waits for a core or is stopped, and leaves out
    // what the process's other threads do beside the call (V8's background work, libuv's threads:
    // test/fast-path.test.ts "CPU time used by the grader's other threads"; where there is no /proc,
    // the process's CPU time, which includes them). The smaller of the two is charged: never a stall,
    // never another thread's work.
    const used = this.cpuMeter();
    const w0 = performance.now();
    const rss0 = process.memoryUsage.rss();
    const wallMs = budgetMs * WALL_FACTOR + WALL_SLACK_MS;
    const watch = setInterval(() => {
      try {
        if (this.isolate.isDisposed || used() <= budgetMs) return;
        // Nothing here may wait for the isolate: its heap statistics take the isolate's lock, which a
        // running loop holds until it ends (the wall watchdog, budget x 10 + 5 s later). The process's
        // resident memory is read without it; its growth during the call is the isolate's heap.
        this.cpuStop = { heapNearlyFull: process.memoryUsage.rss() - rss0 > HEAP_FULL_SHARE * this.memoryBytes };
        this.isolate.dispose();
      } catch {
        // The isolate was disposed between the check and dispose(): the call ends on its own.
      }
    }, CPU_POLL_MS);
    try {
      const result = await step(wallMs);
      this.lastCpuMs = used();
      return result;
    } catch (e) {
      const cpuMs = used();
      // A call stopped by the CPU watch is charged its budget (the watch fires up to a poll after it
      // was spent). Read before hostFailure, which takes the watch's stop.
      this.lastCpuMs = this.cpuStop !== null ? budgetMs : cpuMs;
      return this.hostFailure(e, cpuMs, budgetMs, { elapsedMs: performance.now() - w0, limitMs: wallMs });
    } finally {
      clearInterval(watch);
    }
  }

  /**
   * Evaluates the transpiled submission (its top level runs here, under the time limit). On the fast
   * path, as a call (see call): synchronously, stopped by the fast path's wall-clock watchdog, "preempted" when
   * a busy host stopped it early (the session then loads it again, `watched`, in a fresh isolate).
   */
  async load(code: string, timeoutMs: number, watched = false): Promise<RunOutcome> {
    let script: ivm.Script;
    const wrapped = `(function (require, module, exports) {"use strict";\n${code}\n})`;
    try {
      script = watched ? await this.isolate.compileScript(wrapped, SUBMISSION_SCRIPT) : this.isolate.compileScriptSync(wrapped, SUBMISSION_SCRIPT);
    } catch (e) {
      // esbuild accepted it but V8 did not (rare): the student's code, reported with V8's words.
      if (e instanceof SyntaxError) return { ok: false, kind: "runtime", error: { name: e.name, message: e.message, messageJa: null, stack: e.stack ?? "" } };
      return this.hostFailure(e, 0, timeoutMs);
    }
    if (watched) {
      return this.withCpuBudget(timeoutMs, async (wallMs) => {
        const factory = (await script.run(this.context, { reference: true, timeout: wallMs })) as ivm.Reference<unknown>;
        try {
          return (await this.loadRef.apply(undefined, [factory.derefInto()], { result: { copy: true }, timeout: wallMs })) as CallResult;
        } finally {
          factory.release();
        }
      });
    }
    return this.fastRun(timeoutMs, () => {
      // Evaluating the wrapper only makes the module's function; its body (the top level) runs in the harness.
      const wallMs = fastWallMs(timeoutMs);
      const factory = script.runSync(this.context, { reference: true, timeout: wallMs }) as ivm.Reference<unknown>;
      try {
        return this.loadRef.applySync(undefined, [factory.derefInto()], { result: { copy: true }, timeout: wallMs }) as CallResult;
      } finally {
        factory.release();
      }
    });
  }

  /**
   * One call of the student's entry point. The fast path runs it synchronously with isolated-vm's
   * wall-clock timeout at FAST_WALL_FACTOR times the call's CPU budget: an asynchronous call costs a hop to isolated-vm's
   * thread and back and the CPU watch's timer (measured 0.47 ms per call against 0.14 ms for the same
   * call made synchronously), and a grading makes 20-40 calls. On a quiet host the wall clock and the
   * isolate's CPU clock run together, so a call stopped by that watchdog has used its CPU budget:
   * time_limit. One stopped before it had used 90% of its CPU budget was preempted by a busy
   * host: "preempted", and the session runs it again in a fresh isolate under the CPU watch (the
   * watched path, `watched`), where only CPU time counts. So the verdict never depends on the load.
   */
  async call(entry: string, args: WireValue[], timeoutMs: number, watched = false): Promise<RunOutcome> {
    // Copied before the run: a failure here is the host's (internal_error), not something thrown in the isolate.
    const copied = new ivm.ExternalCopy(args).copyInto({ release: true });
    if (watched) {
      return this.withCpuBudget(timeoutMs, async (wallMs) => {
        return (await this.callRef.apply(undefined, [entry, copied], {
          result: { copy: true },
          timeout: wallMs,
        })) as CallResult;
      });
    }
    return this.fastRun(timeoutMs, () => this.callRef.applySync(undefined, [entry, copied], { result: { copy: true }, timeout: fastWallMs(timeoutMs) }) as CallResult);
  }

  /**
   * A load or call on the fast path: `run` synchronously, with isolated-vm's wall-clock timeout at
   * FAST_WALL_FACTOR times the CPU budget (see call). Stopped after using >= 90% of its CPU budget: time (memory when its heap is
   * nearly full); stopped earlier: "preempted" (the isolate is disposed, its console kept up to where
   * this run began).
   */
  private fastRun(timeoutMs: number, run: () => CallResult): RunOutcome {
    // A call that ended is charged the isolate's clock alone: it ran on this thread, and isolated-vm
    // counted exactly this thread's CPU time while it was in the isolate. The process's clock, the
    // other bound the watched path takes, can only be larger (it includes this thread; 1 in 3,000 calls
    // read it up to 0.05 ms smaller, its granularity), and reading it twice per call cost ~10 us of the
    // ~0.1 ms a cold call costs. Only a stopped call needs a second clock: this thread's, or where
    // there is no /proc the process's.
    const iso0 = this.isolate.cpuTime;
    const thread0 = callingThreadCpuMs();
    const process0 = thread0 === null ? process.cpuUsage() : null;
    const w0 = performance.now();
    try {
      const result = run();
      this.lastCpuMs = this.isolateCpuSinceMs(iso0);
      return result;
    } catch (e) {
      // Stopped: isolated-vm's clock then counts the wall time of the call, and the process's includes
      // its other threads (both read ~325 ms where this thread had run 55). The call ran on this
      // thread, so this thread's CPU time decides time against preempted (thread-cpu.ts; it lags by up
      // to a scheduler tick, which only leans towards running the call again).
      const cpuMs = Math.min(this.isolateCpuSinceMs(iso0), process0 === null ? callingThreadSinceMs(thread0) : processCpuSinceMs(process0));
      this.lastCpuMs = cpuMs;
      const elapsedMs = performance.now() - w0;
      const message = e instanceof Error ? e.message : "";
      // Only isolated-vm's own timeout fires after the whole budget in wall time (the harness catches
      // whatever the student's code throws; see hostFailure for what else can come out).
      if (!this.isolate.isDisposed && elapsedMs >= fastWallMs(timeoutMs) * 0.9 && TIMEOUT_MESSAGE.test(message)) {
        if (cpuMs >= timeoutMs * 0.9) {
          this.lastCpuMs = timeoutMs;
          return { ok: false, kind: this.heapNearlyFull() ? "memory" : "time", error: { name: "SandboxLimit", message: `CPU time limit (${timeoutMs} ms) exceeded`, messageJa: null, stack: "" } };
        }
        // It runs again in a fresh isolate: keep what was printed before it, not its own lines (they
        // will be printed again). Asked of the stopped isolate; only the harness runs here.
        try {
          const before = this.drainBeforeRef.applySync(undefined, [], { result: { copy: true }, timeout: 1_000 }) as { text: string; exceeded: boolean };
          this.forwarded = before.text;
          this.forwardedExceeded = before.exceeded;
        } catch {
          // Keep what was forwarded line by line.
        }
        this.consoleClosed = true;
        this.isolate.dispose();
        return { ok: false, kind: "preempted", error: { name: "SandboxLimit", message: `the host was busy: ${Math.round(cpuMs)} ms of CPU in ${Math.round(elapsedMs)} ms`, messageJa: null, stack: "" } };
      }
      return this.hostFailure(e, cpuMs, timeoutMs, { elapsedMs, limitMs: timeoutMs * WALL_FACTOR + WALL_SLACK_MS });
    }
  }

  async drainConsole(): Promise<{ text: string; exceeded: boolean }> {
    // A disposed isolate (a CPU stop, a memory limit) cannot be asked: what it forwarded is what it wrote.
    const fallback = { text: this.forwarded, exceeded: this.forwardedExceeded };
    this.forwarded = "";
    if (this.isolate.isDisposed) return fallback;
    try {
      return (await this.drainRef.apply(undefined, [], { result: { copy: true }, timeout: 1_000 })) as { text: string; exceeded: boolean };
    } catch {
      return fallback;
    }
  }

  /** Ends this sandbox: its isolate is disposed. */
  dispose(): void {
    if (!this.isolate.isDisposed) this.isolate.dispose();
  }


  /** Whether lockdown froze this isolate's intrinsics and student kit from recorded plans (else it walked them); asked of the harness, for tests. */
  lockdownReplayed(): { intrinsics: boolean; kit: boolean } {
    const r = this.booted.harness.api.getSync("lockdown", { copy: true }) as LockdownReport;
    return { intrinsics: r.replayed, kit: r.kitReplayed };
  }

  /** What the isolate's heap holds, ArrayBuffers included (0 when it cannot be asked). Takes the isolate's lock: never during a call. */
  heapBytes(): number {
    try {
      const h = this.isolate.getHeapStatisticsSync();
      return h.used_heap_size + h.externally_allocated_size;
    } catch {
      return 0;
    }
  }

  /**
   * A heap filled with many small objects makes V8 collect garbage again and again near the limit:
   * the CPU time runs out before isolated-vm declares the memory limit. Stopped by a clock with its
   * heap holding over HEAP_FULL_SHARE of the isolate's limit, the submission exhausted memory, not
   * time: the one rule for every stop (the CPU watch applies it to the process's growth, as it may not
   * ask a running isolate). Asked only of a stopped isolate: the statistics take the isolate's lock.
   */
  private heapNearlyFull(): boolean {
    // A hidden session counts only what it added: the visible session left at most
    // HIDDEN_MAX_INHERITED_BYTES there (see grade.ts), which a fresh isolate would not hold.
    return this.heapBytes() - this.inheritedBytes > HEAP_FULL_SHARE * this.memoryBytes;
  }

  /**
   * An exception out of a load or a call. `wall` is the host's own measure of the run (absent for a
   * failure before anything ran in the isolate, such as compiling the script): the verdict is decided
   * from the host's measurements (the CPU watch's flag, the isolate's state, the wall time elapsed),
   * never from the text of what was thrown, which student code can choose.
   */
  private hostFailure(e: unknown, cpuMs: number, budgetMs: number, wall?: { elapsedMs: number; limitMs: number }): RunOutcome & { ok: false } {
    const message = e instanceof Error ? e.message : safeText(e);
    const error: ErrorInfo = { name: "SandboxLimit", message, messageJa: null, stack: "" };
    if (this.cpuStop !== null) {
      const stop = this.cpuStop;
      this.cpuStop = null;
      return { ok: false, kind: stop.heapNearlyFull ? "memory" : "time", error: { ...error, message: `CPU time limit (${budgetMs} ms) exceeded` } };
    }
    if (this.isolate.isDisposed) return { ok: false, kind: "memory", error };
    // isolated-vm's wall timeout fires only once the whole wall window has passed: an error that says
    // "Script execution timed out" any sooner was thrown by the student's code (a forged host stall).
    if (wall !== undefined && wall.elapsedMs >= wall.limitMs * 0.9 && e instanceof Error && TIMEOUT_MESSAGE.test(message)) {
      // The wall watchdog fired before the CPU budget was spent: the host stalled, not the student.
      if (cpuMs < budgetMs * 0.9) return { ok: false, kind: "stall", error: { ...error, message: `the host stalled: ${Math.round(cpuMs)} ms of CPU in a ${budgetMs * WALL_FACTOR + WALL_SLACK_MS} ms wall window` } };
      return { ok: false, kind: this.heapNearlyFull() ? "memory" : "time", error };
    }
    if (/memory limit/i.test(message)) return { ok: false, kind: "memory", error };
    // Nothing ran in the isolate yet (compiling failed): the grader's fault, surfaced as internal_error.
    if (wall === undefined) throw e;
    // The isolate is alive, the CPU watch did not stop it and the wall window did not run out: what came
    // out was thrown by code in the isolate. The harness catches everything a call throws, so this is an
    // unhandled promise rejection from the student's microtasks (isolated-vm rethrows those), whatever
    // its reason (a number, a Symbol, an Error with its stack erased): the student's runtime error.
    const name = e instanceof Error ? clipText(safeText(e.name), 100) : "NonErrorThrown";
    const reason = clipText(e instanceof Error ? message : `a non-Error value was rejected: ${message}`, 2000);
    const reasonJa = clipText(e instanceof Error ? message : `Error ではない値で reject されました: ${message}`, 2000);
    const stack = e instanceof Error ? clipText(safeText(e.stack ?? ""), 4000) : "";
    return {
      ok: false,
      kind: "runtime",
      error: { name, message: `unhandled promise rejection: ${reason}`, messageJa: `処理されなかった Promise の reject: ${reasonJa}`, stack },
    };
  }
}

/** The fast path's wall-clock watchdog for a CPU budget (see FAST_WALL_FACTOR). */
function fastWallMs(budgetMs: number): number {
  return Math.ceil(budgetMs * FAST_WALL_FACTOR);
}

/** Text for any thrown value (a Symbol, a BigInt, an object whose toString throws), never throwing. */
function safeText(v: unknown): string {
  try {
    return typeof v === "string" ? v : String(v);
  } catch {
    return "[a value that cannot be shown]";
  }
}

function clipText(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n)}…` : s;
}
