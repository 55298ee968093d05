import type { GradeRequest, GradeResult } from "@tfm/contract";
import {
  type ClaimedJob,
  type CompleteOutcome,
  type Database,
  DbError,
  type ExerciseVersionInput,
  type LeaseRef,
  LeaseLostError,
  abandonGrading,
  claimJobs,
  completeGrading,
  giveUpExhausted,
  listenForJobs,
  markStarted,
  queueStats,
  renewLease,
} from "@tfm/db";
import type { Catalog } from "../catalog.ts";
import { type Logger, createLogger, logGrading } from "../log.ts";

/** Per-grading context a grader may use: who it is for (fair scheduling) and when a worker really starts it. */
export interface GradeOptions {
  /** The user the grading is for: the pool takes turns between users. */
  userId?: string;
  /** Called once, when a worker starts the grading (not while it waits in the pool's queue). */
  onStart?: () => void;
}

/** What the runner needs of a grader: the existing GraderPool fits. */
export interface Grader {
  grade(request: GradeRequest, options?: GradeOptions): Promise<GradeResult>;
  /**
   * Gradings it would take now so that each starts at once or waits behind at most `ahead` others
   * (its idle workers plus `ahead`, less what already waits); absent: as many as the runner has free slots.
   */
  openSlots?(ahead: number): number;
  /** Registers a listener for every finished grading (the runner claims again as soon as a worker frees up). */
  listen?(fn: () => void): void;
}

/**
 * The grader could not judge the submission for a reason outside its isolate (the host was frozen,
 * SIGSTOP, a VM pause, a worker starved of CPU): nothing is held against the student, the job is queued
 * again at once, up to MAX_HOST_STALLS times a round (see abandonGrading). The pool rejects with an
 * error whose `hostFault` is true.
 */
export function isHostFault(e: unknown): boolean {
  return typeof e === "object" && e !== null && (e as { hostFault?: unknown }).hostFault === true;
}

export interface DurableRunnerOptions {
  db: Database;
  grader: Grader;
  /** Lease owner prefix, unique per process (host:pid); each slot adds `#<n>`. */
  workerId: string;
  /**
   * Jobs graded at once (one per pool worker). A job is claimed only when a slot and a pool worker are
   * free, or (claimAhead) so that the next one already waits when a worker frees up.
   */
  loops: number;
  /**
   * Jobs claimed ahead: besides one per free worker, up to this many wait claimed in the pool (their
   * leases renewed, no attempt counted until a worker starts them), so that a worker that finishes
   * takes the next job at once instead of idling through a claim's round trip to the database. 0: a job
   * is claimed only when a worker can start it. Default 0; the grader server and the durable process
   * use TFM_CLAIM_AHEAD, else defaultClaimAhead.
   */
  claimAhead?: number;
  /** A lease lasts this long; it is renewed every leaseRenewMs (default a third of it) while the job is graded. */
  leaseMs?: number;
  leaseRenewMs?: number;
  /** Wait between empty polls of the queue (PostgreSQL also wakes on NOTIFY). */
  pollMs?: number;
  maxAttempts?: number;
  retryDelayMs?: number;
  /** How long stop() lets in-flight gradings finish before handing their jobs back to the queue. */
  stopTimeoutMs?: number;
  /** Audit trail and operations log (default: TFM_LOG_LEVEL, silent under vitest). */
  logger?: Logger;
  /** Plain lines instead of the logger (tests that read them). */
  log?: (line: string) => void;
  /** Called after each result is written (progress snapshots, metrics, notifications). */
  onResult?: (job: ClaimedJob, outcome: CompleteOutcome, result: GradeResult) => void | Promise<void>;
}

export interface RunnerStats {
  claimed: number;
  completed: number;
  leaseLost: number;
  abandoned: number;
  dbErrors: number;
  /** Claim statements issued, and those that found nothing. */
  claimCalls: number;
  emptyClaims: number;
  inFlight: number;
}

const DEFAULTS = { leaseMs: 10_000, pollMs: 500, stopTimeoutMs: 30_000 } as const;

/** Jobs held at once for a pool of `workers`: one per worker (a job is claimed only when a worker can start it). */
export function defaultLoops(workers: number): number {
  return workers;
}

/** Jobs claimed ahead for a pool of `workers` (TFM_CLAIM_AHEAD unset): one waiting per worker. */
export function defaultClaimAhead(workers: number): number {
  return workers;
}

/** The versions a catalog holds, in the shape @tfm/db syncs (a changed exercise folder is a new version). */
export function catalogVersions(catalog: Catalog): ExerciseVersionInput[] {
  return [...catalog.exercises.values()].map((e) => ({
    id: e.meta.id,
    version: e.version,
    order: e.meta.order,
    area: e.meta.area,
    title: e.meta.title,
    meta: { ...e.meta },
  }));
}

interface InFlight {
  ref: LeaseRef;
  handedBack: boolean;
  started: boolean;
}

/**
 * Grades queued submissions from the database. One claim loop takes as many jobs as there are free
 * workers (one statement on PostgreSQL), hands each to the pool at once, and goes back to claiming as
 * soon as a worker frees up: results are written beside the next gradings, not before them. Each job's
 * lease is renewed while it is graded; a job whose process dies is taken again when its short lease
 * expires. A result that cannot be written because the database is down is retried until the lease
 * would have expired (after that another claim grades the job again, so nothing accepted is lost).
 */
export class DurableRunner {
  private readonly options: Required<Pick<DurableRunnerOptions, "leaseMs" | "pollMs" | "stopTimeoutMs">> & DurableRunnerOptions;
  private readonly logger: Logger;
  private loopDone: Promise<void> | null = null;
  private readonly inFlight = new Set<InFlight>();
  private readonly writes = new Set<Promise<void>>();
  /** Jobs handed to the grader and not finished: the slots in use. */
  private grading = 0;
  private wakeUp: (() => void) | null = null;
  private woken = false;
  private stopping = false;
  private stopListening: (() => Promise<void>) | null = null;
  private nextSweep = 0;
  private readonly counters = { claimed: 0, completed: 0, leaseLost: 0, abandoned: 0, dbErrors: 0, claimCalls: 0, emptyClaims: 0 };

  constructor(options: DurableRunnerOptions) {
    this.options = { ...DEFAULTS, ...options };
    this.logger = options.logger ?? createLogger(undefined);
    if (!Number.isInteger(options.loops) || options.loops < 1) throw new RangeError("loops must be a positive integer");
    if (options.claimAhead !== undefined && (!Number.isInteger(options.claimAhead) || options.claimAhead < 0)) throw new RangeError("claimAhead must be a non-negative integer");
    const renew = this.renewMs();
    if (renew >= this.options.leaseMs) throw new RangeError(`leaseRenewMs (${renew}) must be shorter than leaseMs (${this.options.leaseMs})`);
    options.grader.listen?.(() => this.wake());
  }

  start(): void {
    if (this.loopDone !== null) throw new Error("the durable runner is already running");
    this.loopDone = this.loop();
    // Wake on every new submission in any process (PostgreSQL); polling remains the fallback.
    listenForJobs(
      this.options.db,
      () => this.wake(),
      (e) => this.logger.warn({ event: "queue_listen_failed", err: e.message }, "queue notifications lost; polling only"),
    ).then(
      (stop) => {
        if (this.stopping) void stop?.();
        else this.stopListening = stop;
      },
      (e: unknown) => this.logger.warn({ event: "queue_listen_failed", err: (e as Error).message }, "cannot listen for queue notifications; polling only"),
    );
  }

  /** Claim now instead of at the next poll (a submission was stored in this process). */
  wake(): void {
    this.woken = true;
    const w = this.wakeUp;
    this.wakeUp = null;
    w?.();
  }

  stats(): RunnerStats {
    return { ...this.counters, inFlight: this.inFlight.size };
  }

  /** Resolves once the queue is empty and nothing is being graded (seed scripts, tests). */
  async drain(options: { pollMs?: number; timeoutMs?: number } = {}): Promise<void> {
    const deadline = Date.now() + (options.timeoutMs ?? 600_000);
    for (;;) {
      const s = await queueStats(this.options.db);
      if (this.inFlight.size === 0 && s.grading === 0 && s.queued === 0) return;
      if (Date.now() > deadline) throw new Error(`the queue did not drain in time (${s.queued} queued, ${s.grading} grading)`);
      await new Promise((r) => setTimeout(r, options.pollMs ?? 200));
    }
  }

  /** Stops claiming; in-flight gradings get stopTimeoutMs to finish, then their jobs go back to the queue. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake();
    await this.stopListening?.();
    await this.loopDone;
    const settled = async () => {
      while (this.inFlight.size > 0 || this.writes.size > 0) await Promise.all([...this.writes, new Promise((r) => setTimeout(r, 20))]);
    };
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      settled().then(() => false),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(true), this.options.stopTimeoutMs);
      }),
    ]);
    clearTimeout(timer);
    if (timedOut) {
      for (const job of this.inFlight) {
        job.handedBack = true;
        await abandonGrading(this.options.db, job.ref, "the grader was stopped while grading; queued again", { countAttempt: false, started: job.started }).catch(() => {});
      }
    }
  }

  private renewMs(): number {
    return this.options.leaseRenewMs ?? Math.max(50, Math.floor(this.options.leaseMs / 3));
  }

  private line(level: "info" | "warn" | "error", fields: Record<string, unknown>, text: string): void {
    if (this.options.log !== undefined) this.options.log(text);
    else this.logger[level](fields, text);
  }

  /** Free slots: the runner's own, and no more than the pool would start at once or hold ahead (public runs share the pool). */
  private freeSlots(): number {
    const ahead = this.options.claimAhead ?? 0;
    const own = this.options.loops + ahead - this.grading;
    const open = this.options.grader.openSlots?.(ahead) ?? own;
    return Math.max(0, Math.min(own, open));
  }

  private async loop(): Promise<void> {
    let failures = 0;
    while (!this.stopping) {
      const free = this.freeSlots();
      if (free === 0) {
        await this.sleep(this.options.pollMs);
        continue;
      }
      let jobs: ClaimedJob[];
      const now = Date.now();
      const sweep = now >= this.nextSweep;
      if (sweep) this.nextSweep = now + Math.max(1_000, Math.floor(this.options.leaseMs / 2));
      try {
        this.counters.claimCalls++;
        jobs = await claimJobs(this.options.db, {
          workerId: `${this.options.workerId}#${this.grading}`,
          leaseMs: this.options.leaseMs,
          limit: free,
          sweep,
          ...(this.options.maxAttempts === undefined ? {} : { maxAttempts: this.options.maxAttempts }),
        });
        failures = 0;
      } catch (e) {
        this.counters.dbErrors++;
        this.line("warn", { event: "claim_failed", err: (e as Error).message }, `[durable ${this.options.workerId}] cannot claim: ${(e as Error).message}`);
        await this.sleep(Math.min(this.options.pollMs * 2 ** Math.min(failures++, 5), 10_000));
        continue;
      }
      if (jobs.length === 0) {
        this.counters.emptyClaims++;
        // Jitter keeps several processes from polling in lockstep.
        await this.sleep(this.options.pollMs * (0.75 + Math.random() * 0.5));
        continue;
      }
      this.counters.claimed += jobs.length;
      for (const job of jobs) this.process(job);
      if (sweep) {
        // Jobs interrupted maxAttempts times are given up by the sweep inside claimJobs; nothing else to do.
      }
    }
  }

  /** Starts grading `job` now (synchronously hands it to the grader) and tracks its write. */
  private process(job: ClaimedJob): void {
    const ref: LeaseRef = { submissionId: job.submissionId, workerId: job.workerId, attempt: job.attempt };
    const entry: InFlight = { ref, handedBack: false, started: false };
    this.inFlight.add(entry);
    this.grading++;
    const { db, leaseMs } = this.options;
    let leaseHeld = true;
    const heartbeat = setInterval(() => {
      renewLease(db, ref, leaseMs).then(
        (ok) => {
          if (!ok && leaseHeld) {
            leaseHeld = false;
            this.line("warn", { event: "lease_lost", submissionId: job.submissionId, userId: job.userId }, `[durable ${job.workerId}] lost the lease of ${job.submissionId} while grading`);
          }
        },
        () => {
          // The database is down: the write below retries; the lease may expire meanwhile.
          this.counters.dbErrors++;
        },
      );
    }, this.renewMs());
    let started: Promise<unknown> = Promise.resolve();
    const startedAt = performance.now();
    const graded = this.options.grader
      .grade(
        { exerciseId: job.exerciseId, source: job.source, seed: job.seed, lang: job.lang, scope: job.scope },
        {
          userId: job.userId,
          onStart: () => {
            entry.started = true;
            // From here an interruption counts against the job; while it only waited it did not.
            started = markStarted(db, ref).catch(() => false);
          },
        },
      )
      .then(
        (result) => ({ ok: true as const, result }),
        (error: unknown) => ({ ok: false as const, error }),
      );
    const write = graded
      .then(async (outcome) => {
        this.grading--;
        this.wake();
        clearInterval(heartbeat);
        await started;
        if (entry.handedBack) return;
        if (!outcome.ok) return this.handBack(job, ref, entry, outcome.error);
        const result = outcome.result;
        const done = await this.write(job, () => completeGrading(db, ref, result, this.retryOptions()));
        if (done === undefined) return;
        this.counters.completed++;
        logGrading(this.logger, {
          requestId: `job:${job.submissionId}#${job.attempt}`,
          userId: job.userId,
          submissionId: job.submissionId,
          exerciseId: job.exerciseId,
          verdict: result.verdict,
          score: result.score,
          seed: result.seed,
          scope: job.scope,
          ms: performance.now() - startedAt,
          reason: result.verdict === "internal_error" ? result.summary.en : undefined,
        });
        if (this.options.log !== undefined) {
          this.options.log(
            `[durable ${job.workerId}] ${job.submissionId} ${job.exerciseId}: ${done.verdict} (${Math.round(performance.now() - startedAt)} ms, claim ${job.attempt}, ${job.trigger})${done.requeued ? `, queued again (${done.requeued})` : ""}`,
          );
        }
        await this.options.onResult?.(job, done, result);
      })
      .catch((e: unknown) => {
        this.line("error", { event: "runner_error", submissionId: job.submissionId, err: (e as Error).message }, `[durable ${job.workerId}] ${job.submissionId}: ${(e as Error).message}`);
      })
      .finally(() => {
        clearInterval(heartbeat);
        this.inFlight.delete(entry);
        this.writes.delete(write);
      });
    this.writes.add(write);
  }

  /** The grader produced no result: a host fault is queued again at no cost; anything else is retried with back-off. */
  private async handBack(job: ClaimedJob, ref: LeaseRef, entry: InFlight, error: unknown): Promise<void> {
    this.counters.abandoned++;
    const hostFault = isHostFault(error);
    const reason = hostFault
      ? `the grader host stalled while grading (${(error as Error).message}); not counted against the student`
      : `the grader could not grade it: ${(error as Error).message}`;
    this.line(
      hostFault ? "warn" : "error",
      { event: hostFault ? "host_stall" : "internal_error", requestId: `job:${job.submissionId}#${job.attempt}`, userId: job.userId, submissionId: job.submissionId, exerciseId: job.exerciseId, reason },
      `[durable ${job.workerId}] ${job.submissionId} (${job.exerciseId}): ${reason}`,
    );
    await this.write(job, () =>
      abandonGrading(this.options.db, ref, reason, hostFault ? { ...this.retryOptions(), hostStall: true, started: entry.started } : { ...this.retryOptions(), started: entry.started }),
    );
  }

  private retryOptions() {
    return {
      ...(this.options.maxAttempts === undefined ? {} : { maxAttempts: this.options.maxAttempts }),
      ...(this.options.retryDelayMs === undefined ? {} : { retryDelayMs: this.options.retryDelayMs }),
    };
  }

  /**
   * The result exists only in this process until the write succeeds: while the database is down it is
   * retried, until the lease (plus a margin) would have run out; after that the lease check would refuse
   * it anyway and the job is graded again by whoever claims it next.
   */
  private async write<T>(job: ClaimedJob, fn: () => Promise<T>): Promise<T | undefined> {
    const giveUpAt = Date.now() + this.options.leaseMs + 60_000;
    for (let delay = 250; ; delay = Math.min(delay * 2, 5_000)) {
      try {
        return await fn();
      } catch (e) {
        if (e instanceof LeaseLostError) {
          this.counters.leaseLost++;
          this.line("warn", { event: "lease_lost", submissionId: job.submissionId, userId: job.userId }, `[durable ${job.workerId}] ${e.message}`);
          return undefined;
        }
        this.counters.dbErrors++;
        if (e instanceof DbError && e.retryable && Date.now() + delay < giveUpAt) {
          this.line("warn", { event: "write_retry", submissionId: job.submissionId, err: e.message }, `[durable ${job.workerId}] ${job.submissionId}: ${e.message}; retrying in ${delay} ms`);
          await new Promise((r) => setTimeout(r, delay));
          continue;
        }
        this.line(
          "error",
          { event: "write_failed", submissionId: job.submissionId, err: (e as Error).message },
          `[durable ${job.workerId}] ${job.submissionId}: result not written (${(e as Error).message}); the job will be graded again after its lease expires`,
        );
        return undefined;
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    if (this.stopping) return Promise.resolve();
    if (this.woken) {
      this.woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wakeUp = null;
        resolve();
      }, ms);
      this.wakeUp = () => {
        clearTimeout(timer);
        this.woken = false;
        resolve();
      };
    });
  }
}
