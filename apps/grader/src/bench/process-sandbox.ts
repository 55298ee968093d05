/**
 * The baseline the benchmark compares isolates with: every submission in a fresh plain Node process
 * (what a container-per-submission grader does, minus the container). Plugged into the unchanged
 * grading pipeline through GradeDeps.sandboxes, so inputs, references and comparison are the same
 * code; only the substrate differs. Benchmark code: it runs the model solutions only.
 */
import { type ChildProcess, fork } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { WireValue } from "@tfm/contract";
import * as esbuild from "esbuild";
import type { ErrorInfo } from "../sandbox/in-isolate.ts";
import { type RunOutcome, type SandboxFactory, type SandboxOptions, type SandboxSetup, type SubmissionSandbox, bootstrapSource } from "../sandbox/sandbox.ts";

type Reply = { type: "booted" } | { type: "outcome"; r: RunOutcome } | { type: "console"; text: string; exceeded: boolean };

export interface ProcessSandboxes {
  factory: SandboxFactory;
  /** Removes the temporary child script and kit bundle. */
  close(): void;
}

/** Writes the child script and the kit bundle to a temporary folder and returns a factory of process sandboxes. */
export function processSandboxes(): ProcessSandboxes {
  const dir = mkdtempSync(path.join(os.tmpdir(), "tfm-baseline-"));
  const childFile = path.join(dir, "baseline-child.cjs");
  const kitFile = path.join(dir, "kit.js");
  const out = esbuild.buildSync({
    entryPoints: [fileURLToPath(new URL("./baseline-child.ts", import.meta.url))],
    bundle: true,
    format: "cjs",
    platform: "node",
    target: "node20",
    write: false,
    logLevel: "silent",
  });
  const text = out.outputFiles[0]?.text;
  if (text === undefined) throw new Error("bundling the baseline child produced no output");
  writeFileSync(childFile, text);
  writeFileSync(kitFile, bootstrapSource());
  return {
    factory: (options) => ProcessSandbox.create(childFile, kitFile, options),
    close: () => rmSync(dir, { recursive: true, force: true }),
  };
}

class ProcessSandbox implements SubmissionSandbox {
  private waiting: ((r: Reply | null) => void) | null = null;
  private exited = false;

  private constructor(
    private readonly child: ChildProcess,
    public setup: SandboxSetup,
  ) {
    child.on("message", (m) => this.settle(m as Reply));
    child.on("exit", () => {
      this.exited = true;
      this.settle(null);
    });
  }

  static async create(childFile: string, kitFile: string, options: SandboxOptions): Promise<ProcessSandbox> {
    const t0 = performance.now();
    const child = fork(childFile, [], { execArgv: [], serialization: "advanced", stdio: ["ignore", "ignore", "inherit", "ipc"] });
    const sandbox = new ProcessSandbox(child, { isolateMs: 0, kitMs: 0, codeCache: "produced", spare: false, warmSteps: 0 });
    await new Promise<void>((resolve, reject) => {
      child.once("spawn", () => resolve());
      child.once("error", reject);
    });
    const { memoryMb: _memory, ...boot } = options;
    const t1 = performance.now();
    const booted = await sandbox.request({ type: "boot", kitFile, options: boot }, 30_000);
    if (booted?.type !== "booted") {
      sandbox.dispose();
      throw new Error("the baseline process did not boot the kit");
    }
    sandbox.setup = { isolateMs: t1 - t0, kitMs: performance.now() - t1, codeCache: "produced", spare: false, warmSteps: 0 };
    return sandbox;
  }

  get disposed(): boolean {
    return this.exited;
  }

  load(code: string, timeoutMs: number): Promise<RunOutcome> {
    return this.outcome({ type: "load", code }, timeoutMs);
  }

  call(entry: string, args: WireValue[], timeoutMs: number): Promise<RunOutcome> {
    return this.outcome({ type: "call", entry, args }, timeoutMs);
  }

  async drainConsole(): Promise<{ text: string; exceeded: boolean }> {
    if (this.exited) return { text: "", exceeded: false };
    const r = await this.request({ type: "drain" }, 1_000);
    return r?.type === "console" ? { text: r.text, exceeded: r.exceeded } : { text: "", exceeded: false };
  }

  dispose(): void {
    if (!this.exited) this.child.kill("SIGKILL");
  }

  private async outcome(msg: object, timeoutMs: number): Promise<RunOutcome> {
    const r = await this.request(msg, timeoutMs);
    if (r?.type === "outcome") return r.r;
    const error: ErrorInfo = { name: "SandboxLimit", message: "the baseline process stopped or timed out", messageJa: null, stack: "" };
    return { ok: false, kind: "time", error };
  }

  private request(msg: object, timeoutMs: number): Promise<Reply | null> {
    if (this.exited) return Promise.resolve(null);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.child.kill("SIGKILL");
      }, timeoutMs);
      this.waiting = (r) => {
        clearTimeout(timer);
        resolve(r);
      };
      this.child.send(msg);
    });
  }

  private settle(r: Reply | null): void {
    const w = this.waiting;
    this.waiting = null;
    w?.(r);
  }
}
