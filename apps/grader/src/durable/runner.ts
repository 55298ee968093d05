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
  claimNext,
  completeGrading,
  queueStats,
  renewLease,
} from "@tfm/db";
import type { Catalog } from "../catalog.ts";

/** What the runner needs of a grader: the existing GraderPool fits. */
export interface Grader {
  grade(request: GradeRequest): Promise<GradeResult>;
}

export interface DurableRunnerOptions {
  db: Database;
  grader: Grader;
  /** Lease owner prefix, unique per process (host:pid); each loop adds `#<n>`. */
  workerId: string;
  /** Jobs taken at once; defaultLoops(workers) keeps every worker busy while results are written. */
  loops: number;
  /** A lease lasts this long and is renewed every third of it while the job is graded. */
  leaseMs?: number;
  /** Wait between empty polls of the queue. */
  pollMs?: number;
  maxAttempts?: number;
  retryDelayMs?: number;
  /** How long stop() lets in-flight gradings finish before handing their jobs back to the queue. */
  stopTimeoutMs?: number;
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
  inFlight: number;
}

const DEFAULTS = { leaseMs: 60_000, pollMs: 500, stopTimeoutMs: 30_000 } as const;

/**
 * Loops per process for a pool of `workers`: two per worker, so that while one loop writes its result
 * (claim and completeGrading cost about as much as a light grading) the other's job is already being
 * graded. A job waits in the pool at most one grading, far inside its lease, which is renewed anyway.
 */
export function defaultLoops(workers: number): number {
  return workers * 2;
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
}

/**
 * Grades queued submissions from the database: each loop claims a job (with a lease), grades it on
 * the pool while renewing the lease, and writes the result once. A job whose worker dies is taken
 * again when its lease expires; a result that cannot be written because the database is down is
 * retried until the lease would have expired (after that another claim grades the job again, so
 * nothing accepted is lost).
 */
export class DurableRunner {
  private readonly options: Required<Pick<DurableRunnerOptions, "leaseMs" | "pollMs" | "stopTimeoutMs">> & DurableRunnerOptions;
  private readonly loops: Promise<void>[] = [];
  private readonly inFlight = new Set<InFlight>();
  private readonly sleepers = new Set<() => void>();
  private stopping = false;
  private readonly counters = { claimed: 0, completed: 0, leaseLost: 0, abandoned: 0, dbErrors: 0 };

  constructor(options: DurableRunnerOptions) {
    this.options = { ...DEFAULTS, ...options };
    if (!Number.isInteger(options.loops) || options.loops < 1) throw new RangeError("loops must be a positive integer");
  }

  start(): void {
    if (this.loops.length > 0) throw new Error("the durable runner is already running");
    for (let i = 0; i < this.options.loops; i++) this.loops.push(this.loop(`${this.options.workerId}#${i}`));
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
    for (const wake of this.sleepers) wake();
    const all = Promise.all(this.loops);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      all.then(() => false),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(true), this.options.stopTimeoutMs);
      }),
    ]);
    clearTimeout(timer);
    if (timedOut) {
      for (const job of this.inFlight) {
        job.handedBack = true;
        await abandonGrading(this.options.db, job.ref, "the grader was stopped while grading; queued again", { countAttempt: false }).catch(() => {});
      }
    }
  }

  private log(line: string): void {
    (this.options.log ?? ((l: string) => console.log(l)))(line);
  }

  private async loop(workerId: string): Promise<void> {
    let idle = 0;
    while (!this.stopping) {
      let job: ClaimedJob | null;
      try {
        job = await claimNext(this.options.db, {
          workerId,
          leaseMs: this.options.leaseMs,
          ...(this.options.maxAttempts === undefined ? {} : { maxAttempts: this.options.maxAttempts }),
        });
      } catch (e) {
        this.counters.dbErrors++;
        this.log(`[durable ${workerId}] cannot claim: ${(e as Error).message}`);
        await this.sleep(Math.min(this.options.pollMs * 2 ** Math.min(idle++, 5), 10_000));
        continue;
      }
      if (job === null) {
        // Jitter keeps several processes from polling in lockstep.
        await this.sleep(this.options.pollMs * (0.75 + Math.random() * 0.5));
        continue;
      }
      idle = 0;
      this.counters.claimed++;
      await this.process(job);
    }
  }

  private async process(job: ClaimedJob): Promise<void> {
    const ref: LeaseRef = { submissionId: job.submissionId, workerId: job.workerId, attempt: job.attempt };
    const entry: InFlight = { ref, handedBack: false };
    this.inFlight.add(entry);
    const { db, leaseMs } = this.options;
    let leaseHeld = true;
    const heartbeat = setInterval(() => {
      renewLease(db, ref, leaseMs).then(
        (ok) => {
          if (!ok && leaseHeld) {
            leaseHeld = false;
            this.log(`[durable ${job.workerId}] lost the lease of ${job.submissionId} while grading`);
          }
        },
        () => {
          // The database is down: the write below retries; the lease may expire meanwhile.
        },
      );
    }, Math.max(50, Math.floor(leaseMs / 3)));
    const started = performance.now();
    try {
      let result: GradeResult;
      try {
        result = await this.options.grader.grade({ exerciseId: job.exerciseId, source: job.source, seed: job.seed, lang: job.lang, scope: job.scope });
      } catch (e) {
        clearInterval(heartbeat);
        if (entry.handedBack) return;
        this.counters.abandoned++;
        const reason = `the grader could not grade it: ${(e as Error).message}`;
        this.log(`[durable ${job.workerId}] ${job.submissionId} (${job.exerciseId}): ${reason}`);
        await this.write(job, () => abandonGrading(db, ref, reason, this.retryOptions()));
        return;
      }
      clearInterval(heartbeat);
      if (entry.handedBack) return;
      const outcome = await this.write(job, () => completeGrading(db, ref, result, this.retryOptions()));
      if (outcome === undefined) return;
      this.counters.completed++;
      this.log(
        `[durable ${job.workerId}] ${job.submissionId} ${job.exerciseId}: ${outcome.verdict} (${Math.round(performance.now() - started)} ms, claim ${job.attempt}, ${job.trigger})${outcome.requeued ? `, queued again (${outcome.requeued})` : ""}`,
      );
      await this.options.onResult?.(job, outcome, result);
    } finally {
      clearInterval(heartbeat);
      this.inFlight.delete(entry);
    }
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
          this.log(`[durable ${job.workerId}] ${e.message}`);
          return undefined;
        }
        this.counters.dbErrors++;
        if (e instanceof DbError && e.retryable && Date.now() + delay < giveUpAt) {
          this.log(`[durable ${job.workerId}] ${job.submissionId}: ${e.message}; retrying in ${delay} ms`);
          await new Promise((r) => setTimeout(r, delay));
          continue;
        }
        this.log(`[durable ${job.workerId}] ${job.submissionId}: result not written (${(e as Error).message}); the job will be graded again after its lease expires`);
        return undefined;
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    if (this.stopping) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.sleepers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.sleepers.add(wake);
    });
  }
}
