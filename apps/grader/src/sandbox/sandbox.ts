import { fileURLToPath } from "node:url";
import type { WireValue } from "@tfm/contract";
import * as esbuild from "esbuild";
import ivm from "isolated-vm";
import type { BootOptions, CallResult, ErrorInfo } from "./in-isolate.ts";

/** Outcome of running something in the isolate, as the host sees it. */
export type RunOutcome =
  | { ok: true; value: unknown }
  | { ok: false; kind: "runtime" | "undefined" | "promise" | "not-function"; error: ErrorInfo }
  | { ok: false; kind: "time" | "memory" | "output"; error: ErrorInfo };

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
      source: `(function () { const module = { exports: {} }; const exports = module.exports;\n${text}\nreturn module.exports.boot; })()`,
      cache: null,
    };
  }
  return bootstrap.source;
}

export interface SandboxOptions extends BootOptions {
  memoryMb: number;
}

/** What a submission's session needs of its sandbox; the benchmark's process-per-submission baseline provides the same. */
export interface SubmissionSandbox {
  readonly setup: SandboxSetup;
  readonly disposed: boolean;
  load(code: string, timeoutMs: number): Promise<RunOutcome>;
  call(entry: string, args: WireValue[], timeoutMs: number): Promise<RunOutcome>;
  drainConsole(): Promise<{ text: string; exceeded: boolean }>;
  dispose(): void;
}

export type SandboxFactory = (options: SandboxOptions) => Promise<SubmissionSandbox>;

export interface SandboxSetup {
  /** A new isolate and its context. */
  isolateMs: number;
  /** Compiling (from the V8 code cache) and running the kit + harness bundle, then booting it (lockdown). */
  kitMs: number;
  /** Whether the kit was compiled from the shared code cache: "produced" by the first isolate of a process. */
  codeCache: "hit" | "rejected" | "produced";
  /** The isolate was prepared ahead of time (prepareSpare): isolateMs is then the wait for it, kitMs the boot. */
  spare: boolean;
}

const TIMEOUT_MESSAGE = /Script execution timed out/;

/** An isolate with the kit + harness bundle evaluated, not yet booted: no options, no student code. */
interface Prepared {
  isolate: ivm.Isolate;
  context: ivm.Context;
  bootRef: ivm.Reference<(o: BootOptions) => unknown>;
  codeCache: SandboxSetup["codeCache"];
  isolateMs: number;
  kitMs: number;
}

async function prepare(memoryMb: number): Promise<Prepared> {
  const source = bootstrapSource();
  const t0 = performance.now();
  const isolate = new ivm.Isolate({ memoryLimit: memoryMb });
  try {
    const context = await isolate.createContext();
    const t1 = performance.now();
    const cached = bootstrap?.cache ?? null;
    const script: ivm.Script & ivm.CachedDataResult = await isolate.compileScript(source, {
      filename: "kit.js",
      ...(cached ? { cachedData: cached } : { produceCachedData: true }),
    });
    // isolated-vm sets cachedDataRejected (its typings omit it) when V8 refused the supplied cache.
    const rejected = (script as { cachedDataRejected?: boolean }).cachedDataRejected === true;
    const codeCache: SandboxSetup["codeCache"] = cached === null ? "produced" : rejected ? "rejected" : "hit";
    if (bootstrap !== null && bootstrap.cache === null && script.cachedData) bootstrap.cache = script.cachedData;
    const bootRef = (await script.run(context, { reference: true, timeout: 5_000 })) as ivm.Reference<(o: BootOptions) => unknown>;
    return { isolate, context, bootRef, codeCache, isolateMs: t1 - t0, kitMs: performance.now() - t1 };
  } catch (e) {
    if (!isolate.isDisposed) isolate.dispose();
    throw e;
  }
}

/** At most one prepared isolate per process, waiting for the next submission. */
let spare: { memoryMb: number; prepared: Promise<Prepared> } | null = null;

/**
 * Prepares the next submission's isolate ahead of time, while the worker is idle: a new isolate with
 * the given memory limit and the kit evaluated in it (not booted). The next Sandbox.create with the
 * same limit takes it, and only that one: it is handed out once, never returned, never shared, so
 * every submission still gets an isolate no other code has run in. A spare of another limit is dropped.
 */
export function prepareSpare(memoryMb: number): void {
  if (spare !== null) {
    if (spare.memoryMb === memoryMb) return;
    void spare.prepared.then((p) => p.isolate.isDisposed || p.isolate.dispose()).catch(() => {});
  }
  const prepared = prepare(memoryMb);
  prepared.catch(() => {
    // Creating it failed: Sandbox.create makes its own.
  });
  spare = { memoryMb, prepared };
}

/**
 * One isolate for one submission: created fresh, never reused across submissions. Every call
 * copies its arguments in and its result out.
 */
export class Sandbox implements SubmissionSandbox {
  private constructor(
    private readonly isolate: ivm.Isolate,
    private readonly context: ivm.Context,
    private readonly loadRef: ivm.Reference<(f: unknown) => CallResult>,
    private readonly callRef: ivm.Reference<(entry: string, args: unknown[]) => CallResult>,
    private readonly drainRef: ivm.Reference<() => { text: string; exceeded: boolean }>,
    /** What creating this sandbox cost (for the benchmark's per-stage profile). */
    readonly setup: SandboxSetup,
  ) {}

  /**
   * A sandbox for one submission. The isolate comes from the spare prepared while the worker was idle
   * (see prepareSpare) when its memory limit matches, else it is made now; either way it has never run
   * anything but the kit, and the harness is booted here with this submission's options.
   */
  static async create(options: SandboxOptions): Promise<Sandbox> {
    const t0 = performance.now();
    let prepared: Prepared | null = null;
    let fromSpare = false;
    if (spare !== null && spare.memoryMb === options.memoryMb) {
      const taken = spare;
      spare = null;
      prepared = await taken.prepared.catch(() => null);
      fromSpare = prepared !== null && !prepared.isolate.isDisposed;
      if (!fromSpare) prepared = null;
    }
    prepared ??= await prepare(options.memoryMb);
    const { isolate, context, bootRef, codeCache } = prepared;
    try {
      const t1 = performance.now();
      const boot: BootOptions = {
        withheld: options.withheld,
        consoleBytes: options.consoleBytes,
        resultBytes: options.resultBytes,
        seed: options.seed,
      };
      const harness = (await bootRef.apply(undefined, [boot], {
        arguments: { copy: true },
        result: { reference: true },
        timeout: 5_000,
      })) as ivm.Reference<Record<string, unknown>>;
      const loadRef = (await harness.get("load", { reference: true })) as ivm.Reference<(f: unknown) => CallResult>;
      const callRef = (await harness.get("call", { reference: true })) as ivm.Reference<(e: string, a: unknown[]) => CallResult>;
      const drainRef = (await harness.get("drainConsole", { reference: true })) as ivm.Reference<() => { text: string; exceeded: boolean }>;
      bootRef.release();
      harness.release();
      const bootMs = performance.now() - t1;
      // From a spare: the isolate stage is only the wait for it, the kit stage only the boot.
      const setup: SandboxSetup = fromSpare
        ? { isolateMs: t1 - t0, kitMs: bootMs, codeCache, spare: true }
        : { isolateMs: prepared.isolateMs, kitMs: prepared.kitMs + bootMs, codeCache, spare: false };
      return new Sandbox(isolate, context, loadRef, callRef, drainRef, setup);
    } catch (e) {
      if (!isolate.isDisposed) isolate.dispose();
      throw e;
    }
  }

  get disposed(): boolean {
    return this.isolate.isDisposed;
  }

  /** CPU time the isolate has used, in milliseconds. */
  cpuMs(): number {
    return Number(this.isolate.cpuTime) / 1e6;
  }

  /** Evaluates the transpiled submission (its top level runs here, under the time limit). */
  async load(code: string, timeoutMs: number): Promise<RunOutcome> {
    let script: ivm.Script;
    try {
      const wrapped = `(function (require, module, exports) {"use strict";\n${code}\n})`;
      script = await this.isolate.compileScript(wrapped, { filename: "submission.js", lineOffset: -1 });
    } catch (e) {
      // esbuild accepted it but V8 did not (rare): the student's code, reported with V8's words.
      if (e instanceof SyntaxError) return { ok: false, kind: "runtime", error: { name: e.name, message: e.message, messageJa: null, stack: e.stack ?? "" } };
      return this.hostFailure(e);
    }
    try {
      const factory = (await script.run(this.context, { reference: true, timeout: timeoutMs })) as ivm.Reference<unknown>;
      const result = (await this.loadRef.apply(undefined, [factory.derefInto()], {
        result: { copy: true },
        timeout: timeoutMs,
      })) as CallResult;
      factory.release();
      return result;
    } catch (e) {
      return this.hostFailure(e);
    }
  }

  async call(entry: string, args: WireValue[], timeoutMs: number): Promise<RunOutcome> {
    try {
      return (await this.callRef.apply(undefined, [entry, new ivm.ExternalCopy(args).copyInto({ release: true })], {
        result: { copy: true },
        timeout: timeoutMs,
      })) as CallResult;
    } catch (e) {
      return this.hostFailure(e);
    }
  }

  async drainConsole(): Promise<{ text: string; exceeded: boolean }> {
    if (this.isolate.isDisposed) return { text: "", exceeded: false };
    try {
      return (await this.drainRef.apply(undefined, [], { result: { copy: true }, timeout: 1_000 })) as { text: string; exceeded: boolean };
    } catch {
      return { text: "", exceeded: false };
    }
  }

  dispose(): void {
    if (!this.isolate.isDisposed) this.isolate.dispose();
  }

  /**
   * A heap filled with many small objects makes V8 collect garbage again and again near the limit:
   * the CPU time runs out before isolated-vm declares the memory limit. Stopped by the clock with
   * the heap over three quarters full, the submission exhausted memory, not time.
   */
  private heapNearlyFull(): boolean {
    try {
      const h = this.isolate.getHeapStatisticsSync();
      return h.used_heap_size + h.externally_allocated_size > 0.75 * h.heap_size_limit;
    } catch {
      return false;
    }
  }

  /** An exception on the host side of a call: the isolate was stopped, not the student's code. */
  private hostFailure(e: unknown): RunOutcome & { ok: false } {
    const message = e instanceof Error ? e.message : String(e);
    const error: ErrorInfo = { name: "SandboxLimit", message, messageJa: null, stack: "" };
    if (this.isolate.isDisposed) return { ok: false, kind: "memory", error };
    if (TIMEOUT_MESSAGE.test(message)) return { ok: false, kind: this.heapNearlyFull() ? "memory" : "time", error };
    if (/memory limit/i.test(message)) return { ok: false, kind: "memory", error };
    // An error raised by code inside the isolate that escaped the harness (isolated-vm rethrows
    // unhandled promise rejections from the student's microtasks): the student's runtime error.
    const stack = e instanceof Error ? (e.stack ?? "") : "";
    if (/\((submission|kit)\.js:\d+:\d+\)|at (submission|kit)\.js:\d+/.test(stack)) {
      return {
        ok: false,
        kind: "runtime",
        error: { name: e instanceof Error ? e.name : "Error", message: `unhandled promise rejection: ${message}`, messageJa: `処理されなかった Promise の reject: ${message}`, stack },
      };
    }
    // Anything else is the grader's fault, never the student's: let it surface as internal_error.
    throw e;
  }
}
