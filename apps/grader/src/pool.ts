import { type ChildProcess, fork } from "node:child_process";
import { randomInt } from "node:crypto";
import { fileURLToPath } from "node:url";
import { GradeRequest, type GradeResult } from "@tfm/contract";
import type { LimitScale } from "./calibration.ts";
import type { Catalog } from "./catalog.ts";
import { FairQueue } from "./fair-queue.ts";
import { type GradeJob, type StageTimes, UnknownExerciseError, stallHorizonMs } from "./grade.ts";
import { hostResult } from "./synthetic.ts";
import type { TranspilerHealth } from "./transpile.ts";
import type { FromWorker, ToWorker } from "./worker/protocol.ts";

/**
 * V8 flags of every grading worker (and of `npm run bench:inproc` and `npm run verdicts`, which grade
 * as a worker does). They change how fast code runs, never what it computes.
 * - `--always-sparkplug`: every submission's isolate is fresh, so the kit's code never warms up;
 *   baseline-compiling each function at its first call (cheap, non-optimising) lowered the calls' CPU
 *   time in packages/kit/bench/cold-isolate.ts by ~15% (noisy machine; see the kit README).
 * - `--interrupt-budget=270336` (4x V8's default): a function is sent to the optimising compiler after
 *   4x more work. An isolate lives for one grading, so most of what the optimising compiler made of the
 *   kit's functions there (on a background thread, ~4% of a worker's CPU in a profile) was thrown away
 *   with the isolate, often before it ran; a long loop still gets optimised, a few milliseconds later.
 *   Measured with `npm run bench:inproc -- --gradings 40` (every light exercise, CPU per grading summed,
 *   five pairs alternated): 639 / 726 / 643 / 663 / 631 -> 598 / 587 / 592 / 545 / 576 ms.
 */
export const WORKER_V8_FLAGS: readonly string[] = ["--always-sparkplug", "--interrupt-budget=270336"];

const WORKER_ENTRY = fileURLToPath(new URL("./worker/main.ts", import.meta.url));
/** Time the watchdog allows beyond an exercise's own wall-clock limit (isolate setup, copies). */
const WATCHDOG_GRACE_MS = 5_000;
const START_TIMEOUT_MS = 60_000;

export interface PoolOptions {
  size: number;
  catalog: Catalog;
  env?: NodeJS.ProcessEnv;
  queueLimit?: number;
  /** How many times a job whose worker crashed is tried again on a fresh worker. */
  retries?: number;
  /** Time the watchdog allows beyond an exercise's own wall-clock limit. */
  watchdogGraceMs?: number;
  /** The watchdog's whole wait, overriding the computed one (tests of frozen workers). */
  watchdogMs?: number;
}

interface Pending {
  id: number;
  job: GradeJob;
  attempts: number;
  enqueuedAt: number;
  /** Whose grading it is: the queue takes turns between users (fair scheduling, issue 17). */
  userKey: string;
  /** Called once, when a worker takes the job (the durable runner counts interruptions from then on). */
  onStart: (() => void) | undefined;
  resolve: (r: GradeResult) => void;
  reject: (e: Error) => void;
}

interface Worker {
  child: ChildProcess;
  ready: boolean;
  backend: string;
  current: Pending | null;
  watchdog: NodeJS.Timeout | null;
  killedByWatchdog: boolean;
  /** isolated-vm reported a fatal heap OOM of an isolate before the process aborted (see spawn). */
  isolateHeapOom: boolean;
  /** The worker's own reference cache counters (cumulative since it started). */
  cacheHits: number;
  cacheMisses: number;
  /** The worker's transpiler as it last reported it (after start-up and after every job). */
  transpiler: TranspilerHealth | null;
  /** How the worker set light exercises' per-call limits for its machine itself (reported when ready). */
  measured: LimitScale | null;
  /** When the current job was sent to it (performance.now()). */
  busySince: number;
  /** When it last became free (ready, or its last job ended): the longest idle gets the next job. */
  idleSince: number;
}

/** One worker as /health shows it. */
export interface WorkerHealth {
  pid: number | null;
  ready: boolean;
  busy: boolean;
  transpiler: TranspilerHealth | null;
  /** The limit scale it grades with: the pool's (PoolStats.limits), once it is ready. */
  limits: LimitScale | null;
  /** How it set its limits itself at start (its own calibration, or its TFM_LIMIT_SCALE). */
  measured: LimitScale | null;
}

/**
 * The grading could not be judged for a reason outside the isolate: the worker froze (SIGSTOP, a VM
 * pause) until the watchdog killed it, or its wall clock ran far past the CPU the isolate used. Not
 * the student's fault and no verdict: the caller retries (the durable runner queues it again,
 * see isHostFault there; POST /v1/grade answers 503).
 */
export class HostFaultError extends Error {
  override name = "HostFaultError";
  readonly hostFault = true;
}

export class QueueFullError extends Error {
  override name = "QueueFullError";
}

export interface PoolStats {
  size: number;
  ready: number;
  busy: number;
  queued: number;
  restarts: number;
  watchdogKills: number;
  backend: string;
  cacheHits: number;
  cacheMisses: number;
  /** Time the workers spent on jobs (sent to answered, hidden cases included), summed over workers, in ms. */
  busyMs: number;
  /** How often a worker whose job ended was told that nothing waits for it (it then prepares isolates). */
  idleHints: number;
  /**
   * The limit scale every worker grades with: the first ready worker's (calibration.ts), kept for the
   * pool's life and told to each worker before its first job, replacements included; null until one
   * is ready.
   */
  limits: LimitScale | null;
  workers: WorkerHealth[];
}

/** A fixed set of grading child processes; a job goes to an idle one, a dead one is replaced. */
export class GraderPool {
  private readonly workers: Worker[] = [];
  private readonly queue = new FairQueue<Pending>();
  private nextId = 1;
  private closed = false;
  private restarts = 0;
  private watchdogKills = 0;
  private backend = "unknown";
  /** Reference cache counters of workers that have exited (the live ones are summed from each worker). */
  private exitedCacheHits = 0;
  private exitedCacheMisses = 0;
  private readyWaiters: (() => void)[] = [];
  /** See PoolStats.limits. */
  private limits: LimitScale | null = null;
  private readonly onResult: ((r: GradeResult, job: GradeJob, stages: StageTimes | null) => void)[] = [];

  constructor(private readonly options: PoolOptions) {}

  async start(): Promise<void> {
    for (let i = 0; i < this.options.size; i++) this.spawn();
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`grading workers did not start within ${START_TIMEOUT_MS} ms`)), START_TIMEOUT_MS);
      this.readyWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Registers a listener for every finished grading (metrics, persistence); `stages`: where a worker's time went (null for host-made results). */
  listen(fn: (r: GradeResult, job: GradeJob, stages: StageTimes | null) => void): void {
    this.onResult.push(fn);
  }

  /**
   * Validates, assigns a seed when none was given, and grades on the first idle worker. Waiting
   * gradings are served in turns between users (`userId`; without one, all share one line).
   */
  grade(request: GradeRequest, options: { userId?: string; onStart?: () => void } = {}): Promise<GradeResult> {
    if (this.closed) return Promise.reject(new Error("the grading pool is closed"));
    const parsed = GradeRequest.parse(request);
    if (!this.options.catalog.exercises.has(parsed.exerciseId)) {
      return Promise.reject(new UnknownExerciseError(`unknown exercise '${parsed.exerciseId}'`));
    }
    const limit = this.options.queueLimit ?? 1_000;
    if (this.queue.length >= limit) return Promise.reject(new QueueFullError(`the grading queue is full (${limit} waiting)`));
    const job: GradeJob = { ...parsed, seed: parsed.seed ?? randomInt(0, 0x1_0000_0000) };
    return new Promise<GradeResult>((resolve, reject) => {
      const userKey = options.userId ?? "";
      this.queue.push(userKey, { id: this.nextId++, job, attempts: 0, enqueuedAt: performance.now(), userKey, onStart: options.onStart, resolve, reject });
      this.dispatch();
    });
  }

  stats(): PoolStats {
    return {
      size: this.options.size,
      ready: this.workers.filter((w) => w.ready).length,
      busy: this.workers.filter((w) => w.current !== null).length,
      queued: this.queue.length,
      restarts: this.restarts,
      watchdogKills: this.watchdogKills,
      backend: this.backend,
      cacheHits: this.exitedCacheHits + this.workers.reduce((n, w) => n + w.cacheHits, 0),
      cacheMisses: this.exitedCacheMisses + this.workers.reduce((n, w) => n + w.cacheMisses, 0),
      busyMs: this.busyMs + this.workers.reduce((n, w) => n + (w.current !== null ? performance.now() - w.busySince : 0), 0),
      idleHints: this.idleHints,
      limits: this.limits,
      workers: this.workers.map((w) => ({
        pid: w.child.pid ?? null,
        ready: w.ready,
        busy: w.current !== null,
        transpiler: w.transpiler,
        limits: w.ready ? this.limits : null,
        measured: w.measured,
      })),
    };
  }

  /**
   * Gradings this pool would start at once (its idle workers), plus `ahead` that may wait in its queue,
   * less those already waiting: the durable runner claims no more jobs than this.
   */
  openSlots(ahead = 0): number {
    if (this.closed) return 0;
    const live = this.workers.filter((w) => w.ready && w.child.connected);
    const busy = live.filter((w) => w.current !== null).length;
    return Math.max(0, live.length - busy + ahead - this.queue.length);
  }

  /** Process ids of the live workers (for operators and fault-injection tests). */
  workerPids(): number[] {
    return this.workers.flatMap((w) => (w.child.pid === undefined ? [] : [w.child.pid]));
  }

  /** Process ids of the workers busy with a job right now. */
  busyWorkerPids(): number[] {
    return this.workers.flatMap((w) => (w.current !== null && w.child.pid !== undefined ? [w.child.pid] : []));
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const p of this.queue.drain()) p.reject(new Error("the grading pool is closing"));
    await Promise.all(
      this.workers.map(
        (w) =>
          new Promise<void>((resolve) => {
            if (w.child.exitCode !== null || w.child.signalCode !== null) return resolve();
            w.child.once("exit", () => resolve());
            w.child.kill("SIGKILL");
          }),
      ),
    );
  }

  private spawn(): void {
    const child = fork(WORKER_ENTRY, [], {
      execArgv: ["--no-node-snapshot", ...WORKER_V8_FLAGS, "--import", "tsx"],
      serialization: "advanced",
      env: this.options.env ?? process.env,
      stdio: ["ignore", "inherit", "pipe", "ipc"],
    });
    const worker: Worker = { child, ready: false, backend: "unknown", current: null, watchdog: null, killedByWatchdog: false, isolateHeapOom: false, cacheHits: 0, cacheMisses: 0, transpiler: null, measured: null, busySince: 0, idleSince: 0 };
    this.workers.push(worker);
    child.on("message", (raw) => this.onMessage(worker, raw as FromWorker));
    // An isolate that runs out of heap in one step (new Array(1e9).fill(0)) is beyond isolated-vm's
    // memory limit: it prints "is_heap_oom = 1" and aborts the whole process. That is the
    // submission's memory_limit, not a grader fault (which would be retried and cost no attempt).
    let tail = "";
    child.stderr?.on("data", (chunk: Buffer) => {
      process.stderr.write(chunk);
      const text = tail + chunk.toString("latin1");
      if (text.includes("is_heap_oom = 1")) worker.isolateHeapOom = true;
      tail = text.slice(-32);
    });
    child.on("exit", (code, signal) => {
      // The last lines on stderr may arrive after the exit: give an abort a moment to explain itself.
      if (signal === "SIGABRT" && !worker.isolateHeapOom) setTimeout(() => this.onExit(worker, code, signal), 300);
      else this.onExit(worker, code, signal);
    });
    child.on("error", () => {
      // 'exit' follows and handles replacement.
    });
  }

  private onMessage(worker: Worker, msg: FromWorker): void {
    switch (msg.type) {
      case "ready": {
        worker.ready = true;
        worker.idleSince = performance.now();
        worker.backend = msg.backend;
        worker.transpiler = msg.transpiler;
        worker.measured = msg.limits;
        // One scale for the pool's life (see PoolStats.limits), sent before the worker's first job.
        this.limits ??= msg.limits;
        const limits: ToWorker = { type: "limits", limits: this.limits };
        // A worker gone meanwhile is replaced on its exit (and told then); dispatch skips it.
        if (worker.child.connected) worker.child.send(limits);
        this.backend = msg.backend;
        for (const w of this.readyWaiters.splice(0)) w();
        this.dispatch();
        return;
      }
      case "result":
      case "failed": {
        const job = worker.current;
        if (job === null || job.id !== msg.id) return;
        worker.transpiler = msg.transpiler;
        this.finishWorker(worker);
        if (msg.type === "result") {
          worker.cacheHits = msg.cacheHits;
          worker.cacheMisses = msg.cacheMisses;
          this.complete(job, msg.result, msg.stages);
        } else if (msg.hostFault === true) {
          job.reject(new HostFaultError(`the grading host stalled: ${msg.message.split("\n")[0] ?? ""}`));
        } else {
          this.complete(
            job,
            this.synthetic(job, "internal_error", {
              ja: "採点中に採点システム側でエラーが起きました。あなたの試行回数には数えません",
              en: "the grader failed while grading; this is not counted against you",
            }),
          );
          console.error(`grading job ${job.id} (${job.job.exerciseId}) failed in the worker:\n${msg.message}`);
        }
        this.dispatch();
        // Nothing waits for it: it prepares the next submission's isolates now (worker/main.ts).
        if (worker.current === null && worker.child.connected) {
          const idle: ToWorker = { type: "idle" };
          worker.child.send(idle);
          this.idleHints++;
        }
        return;
      }
    }
  }

  private onExit(worker: Worker, code: number | null, signal: NodeJS.Signals | null): void {
    const index = this.workers.indexOf(worker);
    if (index >= 0) this.workers.splice(index, 1);
    this.exitedCacheHits += worker.cacheHits;
    this.exitedCacheMisses += worker.cacheMisses;
    if (worker.watchdog) clearTimeout(worker.watchdog);
    const job = worker.current;
    if (job !== null) this.busyMs += performance.now() - worker.busySince;
    worker.current = null;
    if (this.closed) return;
    if (job !== null) {
      if (worker.killedByWatchdog) {
        // Every limit of the student's code is enforced inside the worker on the isolate's CPU time;
        // a worker that overran even the watchdog was frozen or starved: the host's fault.
        job.reject(new HostFaultError(`the grading worker stalled (no answer within the watchdog's time) and was replaced; not counted against the student`));
      } else if (worker.isolateHeapOom) {
        // The submission's isolate ran out of heap too fast for the soft limit: its fault, not ours.
        this.complete(
          job,
          this.synthetic(job, "memory_limit", {
            ja: "一度に大きすぎるメモリを確保したため、サンドボックスのプロセスごと停止しました",
            en: "the submission allocated so much memory at once that its sandbox process had to stop",
          }),
        );
      } else if (job.attempts < (this.options.retries ?? 1)) {
        job.attempts++;
        this.queue.unshift(job.userKey, job);
      } else {
        this.complete(
          job,
          this.synthetic(job, "internal_error", {
            ja: `採点プロセスが異常終了しました (code ${code}, signal ${signal})。あなたの試行回数には数えません`,
            en: `the grading process died (code ${code}, signal ${signal}); this is not counted against you`,
          }),
        );
      }
    }
    this.restarts++;
    this.spawn();
    this.dispatch();
  }

  /** Busy time of finished jobs (see PoolStats.busyMs). */
  private busyMs = 0;
  private idleHints = 0;

  private finishWorker(worker: Worker): void {
    if (worker.current !== null) this.busyMs += performance.now() - worker.busySince;
    if (worker.watchdog) clearTimeout(worker.watchdog);
    worker.watchdog = null;
    worker.current = null;
    worker.idleSince = performance.now();
  }

  /**
   * Free workers take waiting jobs, the one idle longest first: a worker prepares the next submission's
   * isolates when it is told nothing waits for it (worker/main.ts), so under light load the job goes to
   * the one that has had the most time to do so, not always to the first in the list.
   */
  private dispatch(): void {
    const free = this.workers.filter((w) => w.ready && w.current === null && w.child.connected).sort((a, b) => a.idleSince - b.idleSince);
    for (const worker of free) {
      if (this.queue.length === 0) return;
      const job = this.queue.shift() as Pending;
      worker.current = job;
      worker.busySince = performance.now();
      const onStart = job.onStart;
      job.onStart = undefined;
      onStart?.();
      const entry = this.options.catalog.exercises.get(job.job.exerciseId);
      const budget = entry?.meta.limits.wallTimeoutMs ?? 20_000;
      worker.watchdog = setTimeout(() => {
        worker.killedByWatchdog = true;
        this.watchdogKills++;
        worker.child.kill("SIGKILL");
      }, this.options.watchdogMs ?? stallHorizonMs(budget) + (this.options.watchdogGraceMs ?? WATCHDOG_GRACE_MS));
      const msg: ToWorker = { type: "grade", id: job.id, job: job.job };
      worker.child.send(msg);
    }
  }

  private complete(p: Pending, result: GradeResult, stages: StageTimes | null = null): void {
    for (const fn of this.onResult) fn(result, p.job, stages);
    p.resolve(result);
  }

  private synthetic(p: Pending, verdict: "internal_error" | "time_limit" | "memory_limit", why: { ja: string; en: string }): GradeResult {
    const entry = this.options.catalog.exercises.get(p.job.exerciseId);
    if (entry === undefined) throw new UnknownExerciseError(p.job.exerciseId);
    return hostResult(p.job, entry, verdict, why, this.backend, performance.now() - p.enqueuedAt);
  }
}
