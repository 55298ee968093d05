import { randomBytes, randomInt, randomUUID } from "node:crypto";
import pg from "pg";
import { ExerciseId, GradeRequest, GradeResult, Lang, type Verdict, countsAsAttempt } from "@tfm/contract";
import { z } from "zod";
import { resolveExerciseVersion, toJson } from "./catalog.ts";
import type { Database, PgRaw, Tx } from "./client.ts";
import { ConflictError, ConstraintError, LeaseLostError, NotFoundError } from "./errors.ts";
import { Prisma } from "./generated/sqlite/client.ts";
import type { GradingTrigger, SubmissionStatus } from "./generated/sqlite/enums.ts";

/**
 * The durable grading queue. A submission row is the job: `submit` stores it (queued) before anything
 * else happens; a worker claims it with a lease (owner + expiry) and renews the lease while grading;
 * the result is written once, in one transaction with the status change, and only by the worker that
 * still holds the lease. A worker that dies leaves a lease that expires: the next claim takes the job
 * again. History is appended: every grading is its own row (Grading, with its tests), and the
 * submission points at its current one.
 */

export const DEFAULT_MAX_ATTEMPTS = 3;
export const DEFAULT_RETRY_DELAY_MS = 5_000;
/**
 * An internal_error is queued again at most this many times per round. A real grader fault is rare and
 * one retry on another claim is enough; a source that provokes one every time gets no free re-runs.
 */
export const MAX_INTERNAL_RETRIES = 1;
/**
 * A grading that stalled the host (the pool's watchdog replaced its worker, ~90 s later) is the host's
 * fault: queued again at once and not counted against the student. A submission that stalls every
 * worker it reaches would otherwise be queued again for ever, each time taking a worker from everyone
 * else's gradings: after this many stalls in a round it is given up (failed, internal_error, not
 * counted), and an instructor's regrade starts a new round.
 */
export const MAX_HOST_STALLS = 4;

export const IdempotencyKey = z
  .string()
  .min(8, "the idempotency key must have at least 8 characters")
  .max(200, "the idempotency key must have at most 200 characters")
  .regex(/^[\x21-\x7e]+$/, "the idempotency key must be printable ASCII without spaces")
  .describe("client-chosen key (e.g. a UUID) that makes retrying the same submission safe");

export const SubmitInput = z
  .object({
    userId: z.string().min(1),
    exerciseId: ExerciseId,
    source: GradeRequest.shape.source,
    seed: GradeRequest.shape.seed,
    lang: Lang.default("ja"),
    // A run of the public tests only is practice (POST /v1/grade): never stored, never counted.
    scope: z.literal("all", "scope 'public' is a practice run of the public tests only: send it to POST /v1/grade; it is never stored as a submission").default("all"),
    idempotencyKey: IdempotencyKey.optional(),
    receivedAt: z.date().optional().describe("when the request arrived; defaults to now"),
  })
  .strict();
export type SubmitInput = z.input<typeof SubmitInput>;

export interface Submitted {
  id: string;
  seed: number;
  /** queued for a new submission; whatever it is now when an idempotency key returned an earlier one. */
  status: SubmissionStatus;
  exerciseVersion: string;
  queuedAt: Date;
  /** True when the idempotency key matched an earlier submission, which is returned instead of a new one. */
  replayed: boolean;
}

/** The PostgreSQL channel a new submission is announced on (runners LISTEN and claim at once). */
export const QUEUE_CHANNEL = "tfm_queue";

/**
 * Stores a submission (status queued) and returns its id. Nothing else happens before this row exists.
 * With an idempotency key, a retry of the same request (the client lost the first answer) returns the
 * submission stored the first time instead of storing and grading it twice; the same key with another
 * exercise or source is a ConflictError.
 */
export async function submit(db: Database, input: SubmitInput, now = new Date()): Promise<Submitted> {
  const data = SubmitInput.parse(input);
  if (db.provider === "postgresql") return submitPg(db, data, now);
  if (data.idempotencyKey !== undefined) {
    const earlier = await findByIdempotencyKey(db, data.userId, data.idempotencyKey, data);
    if (earlier !== null) return earlier;
  }
  const exercise = await db.run("looking up the exercise of a submission", (p) =>
    p.exercise.findUnique({ where: { id: data.exerciseId }, select: { currentVersion: { select: { id: true, hash: true } } } }),
  );
  if (exercise?.currentVersion == null) throw new NotFoundError(`unknown exercise '${data.exerciseId}' (not synced from the exercises tree)`);
  const version = exercise.currentVersion;
  const seed = data.seed ?? randomInt(0, 0x1_0000_0000);
  try {
    const row = await db.run("storing a submission", (p) =>
      p.submission.create({
        data: {
          userId: data.userId,
          exerciseId: data.exerciseId,
          exerciseVersionId: version.id,
          source: data.source,
          seed: BigInt(seed),
          lang: data.lang,
          scope: data.scope,
          status: "queued",
          idempotencyKey: data.idempotencyKey ?? null,
          receivedAt: data.receivedAt ?? now,
          queuedAt: now,
          availableAt: now,
        },
        select: { id: true, queuedAt: true },
      }),
    );
    // SQLite: the runner is woken in-process (PostgreSQL's submitPg announces the row with pg_notify).
    return { id: row.id, seed, status: "queued", exerciseVersion: version.hash, queuedAt: row.queuedAt, replayed: false };
  } catch (e) {
    if (e instanceof ConstraintError) throw new NotFoundError(`no user with id ${data.userId}`);
    // Two requests with one key racing each other: the loser returns the winner's submission.
    if (e instanceof ConflictError && data.idempotencyKey !== undefined) {
      const earlier = await findByIdempotencyKey(db, data.userId, data.idempotencyKey, data);
      if (earlier !== null) return earlier;
    }
    throw e;
  }
}

let idCounter = 0;
/**
 * A new submission's id on PostgreSQL, laid out as Prisma's cuids are ('c', the time in base 36, a
 * counter, then random): lists ordered by (receivedAt, id) keep the order of storing within one
 * millisecond, as with the ids Prisma made.
 */
function orderedId(now: Date): string {
  idCounter = (idCounter + 1) % 36 ** 4;
  return `c${now.getTime().toString(36).padStart(8, "0")}${idCounter.toString(36).padStart(4, "0")}${randomBytes(8).toString("hex")}`;
}

/**
 * submit on PostgreSQL: one raw statement looks up the exercise's current version, stores the row and
 * announces it (pg_notify, delivered at commit), where the Prisma path made four round trips, each
 * compiled by Prisma's query compiler on the grader's event loop (a deadline burst is 500 of these
 * beside the gradings); it goes straight to the driver (Database.pgRun). An idempotency key already
 * used makes the insert do nothing (ON CONFLICT): then the earlier submission is returned, or a
 * ConflictError for other code.
 */
async function submitPg(db: Database, data: z.output<typeof SubmitInput>, now: Date): Promise<Submitted> {
  const seed = data.seed ?? randomInt(0, 0x1_0000_0000);
  const id = orderedId(now);
  let rows: { hash: string; id: string | null; queued_at: Date | null }[];
  try {
    rows = await db.pgRun("storing a submission", (raw) =>
      raw.rows<{ hash: string; id: string | null; queued_at: Date | null }>(Prisma.sql`
        WITH v AS (
          SELECT ev.id, ev.hash FROM exercises e JOIN exercise_versions ev ON ev.id = e.current_version_id WHERE e.id = ${data.exerciseId}::text
        ), ins AS (
          INSERT INTO submissions (id, user_id, exercise_id, exercise_version_id, source, seed, lang, scope, status, idempotency_key, received_at, queued_at, available_at)
          SELECT ${id}::text, ${data.userId}::text, ${data.exerciseId}::text, v.id, ${data.source}::text, ${seed}::bigint, ${data.lang}::text::"Lang",
                 ${data.scope}::text::"GradeScope", 'queued'::"SubmissionStatus", ${data.idempotencyKey ?? null}::text,
                 ${data.receivedAt ?? now}::timestamp(3), ${now}::timestamp(3), ${now}::timestamp(3)
            FROM v
          ON CONFLICT (user_id, idempotency_key) DO NOTHING
          RETURNING id, queued_at
        )
        -- "notified" only makes pg_notify run, once per inserted row (none for a replay).
        SELECT v.hash, ins.id, ins.queued_at, (SELECT count(*) FROM (SELECT pg_notify(${QUEUE_CHANNEL}::text, '') FROM ins) n)::int AS notified
          FROM v LEFT JOIN ins ON true`),
    );
  } catch (e) {
    if (e instanceof ConstraintError) throw new NotFoundError(`no user with id ${data.userId}`);
    throw e;
  }
  const row = rows[0];
  if (row === undefined) throw new NotFoundError(`unknown exercise '${data.exerciseId}' (not synced from the exercises tree)`);
  if (row.id !== null && row.queued_at !== null) {
    return { id: row.id, seed, status: "queued", exerciseVersion: row.hash, queuedAt: row.queued_at, replayed: false };
  }
  // Nothing stored: the key was used before (by this request's first try, or by other code).
  const earlier = data.idempotencyKey === undefined ? null : await findByIdempotencyKey(db, data.userId, data.idempotencyKey, data);
  if (earlier === null) throw new ConflictError("the submission was not stored and no earlier one holds its idempotency key", ["idempotency_key"]);
  return earlier;
}

export async function findByIdempotencyKey(
  db: Database,
  userId: string,
  key: string,
  request: { exerciseId: string; source: string },
): Promise<Submitted | null> {
  type Row = { id: string; seed: bigint | string; status: SubmissionStatus; exerciseId: string; source: string; queuedAt: Date; hash: string };
  const row: Row | null =
    db.provider === "postgresql"
      ? // Raw on PostgreSQL: every POST with a key asks this first (see submitPg).
        (
          await db.pgRun("looking up an idempotency key", (raw) =>
            raw.rows<Row>(Prisma.sql`
              SELECT s.id, s.seed, s.status::text AS status, s.exercise_id AS "exerciseId", s.source, s.queued_at AS "queuedAt", ev.hash
                FROM submissions s JOIN exercise_versions ev ON ev.id = s.exercise_version_id
               WHERE s.user_id = ${userId}::text AND s.idempotency_key = ${key}::text`),
          )
        )[0] ?? null
      : await db
          .run("looking up an idempotency key", (p) =>
            p.submission.findUnique({
              where: { userId_idempotencyKey: { userId, idempotencyKey: key } },
              select: { id: true, seed: true, status: true, exerciseId: true, source: true, queuedAt: true, exerciseVersion: { select: { hash: true } } },
            }),
          )
          .then((r) => (r === null ? null : { ...r, hash: r.exerciseVersion.hash }));
  if (row === null) return null;
  if (row.exerciseId !== request.exerciseId || row.source !== request.source) {
    throw new ConflictError(`the idempotency key was already used for another submission (${row.id}); use a new key for new code`, ["idempotency_key"]);
  }
  return { id: row.id, seed: Number(row.seed), status: row.status, exerciseVersion: row.hash, queuedAt: row.queuedAt, replayed: true };
}

/**
 * Calls `onJob` whenever a submission is stored anywhere (PostgreSQL NOTIFY on QUEUE_CHANNEL), so an
 * idle runner claims at once instead of at its next poll. Returns a function that stops listening.
 * SQLite has no notifications (one process; the runner is woken in-process), so this returns null there.
 */
export async function listenForJobs(db: Database, onJob: () => void, onError: (e: Error) => void = () => {}): Promise<(() => Promise<void>) | null> {
  if (db.provider !== "postgresql") return null;
  const client = new pg.Client({ connectionString: db.config.url, connectionTimeoutMillis: 10_000 });
  client.on("error", onError);
  client.on("notification", () => onJob());
  await client.connect();
  await client.query(`LISTEN ${QUEUE_CHANNEL}`);
  return async () => {
    await client.end().catch(() => {});
  };
}

export interface ClaimOptions {
  /** Who holds the lease: unique per runner loop (host:pid:loop). */
  workerId: string;
  /** How long the lease lasts unless renewed. */
  leaseMs: number;
  /** Claims per round after which a job whose lease keeps expiring is given up (status failed). */
  maxAttempts?: number;
  now?: Date;
}

export interface ClaimedJob {
  submissionId: string;
  userId: string;
  exerciseId: string;
  /** The exercise version current when the student submitted. */
  submittedVersion: string;
  source: string;
  seed: number;
  lang: "ja" | "en";
  scope: "all" | "public";
  trigger: GradingTrigger;
  /** This claim's number (Submission.gradingAttempts): give it back to renew, complete or abandon. */
  attempt: number;
  workerId: string;
  leaseExpiresAt: Date;
  receivedAt: Date;
  queuedAt: Date;
}

const PgClaimedRow = z.object({
  id: z.string(),
  user_id: z.string(),
  exercise_id: z.string(),
  hash: z.string(),
  source: z.string(),
  seed: z.union([z.bigint(), z.number(), z.string()]),
  lang: z.enum(["ja", "en"]),
  scope: z.enum(["all", "public"]),
  pending_trigger: z.enum(["submit", "regrade", "retry"]),
  grading_attempts: z.number().int(),
  lease_expires_at: z.date(),
  received_at: z.date(),
  queued_at: z.date(),
});

/**
 * Takes the next job: the oldest claimable one of the highest priority (fresh submissions before
 * regrades). Claimable: queued and due, or grading with an expired lease (its worker died).
 * PostgreSQL: one UPDATE over `SELECT ... FOR UPDATE SKIP LOCKED`, so concurrent claimers in any
 * number of processes each get a different row without waiting on each other. SQLite: a
 * compare-and-set on the claim counter; SQLite serialises writers, and a lost race tries the next row.
 */
export async function claimNext(db: Database, options: ClaimOptions): Promise<ClaimedJob | null> {
  return (await claimJobs(db, { ...options, limit: 1 }))[0] ?? null;
}

/**
 * Takes up to `limit` jobs at once (one per idle worker), each with its own lease: on PostgreSQL one
 * statement claims and returns them all. `sweep: false` skips giving up exhausted jobs (the runner
 * sweeps on its own, less often than it claims).
 */
export async function claimJobs(db: Database, options: ClaimOptions & { limit: number; sweep?: boolean }): Promise<ClaimedJob[]> {
  const now = options.now ?? new Date();
  const maxAttempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  const limit = Math.max(1, Math.min(100, Math.floor(options.limit)));
  const leaseExpiresAt = new Date(now.getTime() + options.leaseMs);
  if (options.sweep !== false) await giveUpExhausted(db, now, maxAttempts);
  if (db.provider === "postgresql") {
    // The interruption counter (round_attempts) is not touched here: markStarted counts a claim once its
    // grading really starts, so a job that only waited in a killed process is not held against it.
    const rows = await db.pgRun("claiming grading jobs", (raw) =>
      raw.rows<unknown>(Prisma.sql`
        UPDATE submissions AS s
           SET status = 'grading', lease_owner = ${options.workerId}::text, lease_expires_at = ${leaseExpiresAt}::timestamp(3),
               started_at = ${now}::timestamp(3), grading_attempts = s.grading_attempts + 1
          FROM exercise_versions AS v
         WHERE v.id = s.exercise_version_id
           AND s.id IN (
               SELECT c.id FROM submissions AS c
                WHERE (c.status = 'queued' AND c.available_at <= ${now}::timestamp(3))
                   OR (c.status = 'grading' AND c.lease_expires_at < ${now}::timestamp(3) AND c.round_attempts < ${maxAttempts}::int)
                ORDER BY c.priority, c.available_at, c.id
                LIMIT ${limit}::int
                  FOR UPDATE SKIP LOCKED)
        RETURNING s.id, s.user_id, s.exercise_id, v.hash, s.source, s.seed, s.lang::text AS lang, s.scope::text AS scope,
                  s.pending_trigger::text AS pending_trigger, s.grading_attempts, s.lease_expires_at, s.received_at, s.queued_at`),
    );
    return z
      .array(PgClaimedRow)
      .parse(rows)
      .map((r) => ({
        submissionId: r.id,
        userId: r.user_id,
        exerciseId: r.exercise_id,
        submittedVersion: r.hash,
        source: r.source,
        seed: Number(r.seed),
        lang: r.lang,
        scope: r.scope,
        trigger: r.pending_trigger,
        attempt: r.grading_attempts,
        workerId: options.workerId,
        leaseExpiresAt: r.lease_expires_at,
        receivedAt: r.received_at,
        queuedAt: r.queued_at,
      }));
  }
  const jobs: ClaimedJob[] = [];
  for (let i = 0; i < limit; i++) {
    const id = await claimSqlite(db, options.workerId, now, leaseExpiresAt, maxAttempts);
    if (id === null) break;
    jobs.push(await readClaimed(db, id, options.workerId, leaseExpiresAt));
  }
  return jobs;
}

async function readClaimed(db: Database, id: string, workerId: string, leaseExpiresAt: Date): Promise<ClaimedJob> {
  const row = await db.run("reading a claimed job", (p) =>
    p.submission.findUniqueOrThrow({
      where: { id },
      select: {
        id: true,
        userId: true,
        exerciseId: true,
        source: true,
        seed: true,
        lang: true,
        scope: true,
        pendingTrigger: true,
        gradingAttempts: true,
        leaseExpiresAt: true,
        receivedAt: true,
        queuedAt: true,
        exerciseVersion: { select: { hash: true } },
      },
    }),
  );
  return {
    submissionId: row.id,
    userId: row.userId,
    exerciseId: row.exerciseId,
    submittedVersion: row.exerciseVersion.hash,
    source: row.source,
    seed: Number(row.seed),
    lang: row.lang,
    scope: row.scope,
    trigger: row.pendingTrigger,
    attempt: row.gradingAttempts,
    workerId,
    leaseExpiresAt: row.leaseExpiresAt ?? leaseExpiresAt,
    receivedAt: row.receivedAt,
    queuedAt: row.queuedAt,
  };
}

/**
 * The claimed job's grading has really started (a worker took it): from now on an interruption counts
 * against the job's maxAttempts. False when the lease is no longer ours.
 */
export async function markStarted(db: Database, ref: LeaseRef, now = new Date()): Promise<boolean> {
  if (db.provider === "postgresql") {
    // Raw on PostgreSQL, as every statement of a grading's hot path there (see writeResultPg).
    const n = await db.pgRun("marking a grading as started", (raw) =>
      raw.count(Prisma.sql`
        UPDATE submissions SET started_at = ${now}::timestamp(3), round_attempts = round_attempts + 1 WHERE ${heldByPg(ref)}`),
    );
    return n === 1;
  }
  const { count } = await db.run("marking a grading as started", (p) =>
    p.submission.updateMany({
      where: { id: ref.submissionId, status: "grading", leaseOwner: ref.workerId, gradingAttempts: ref.attempt },
      data: { startedAt: now, roundAttempts: { increment: 1 } },
    }),
  );
  return count === 1;
}

async function claimSqlite(db: Database, workerId: string, now: Date, leaseExpiresAt: Date, maxAttempts: number): Promise<string | null> {
  return db.run("claiming a grading job", async (p) => {
    for (let tries = 0; tries < 20; tries++) {
      const candidate = await p.submission.findFirst({
        where: {
          OR: [
            { status: "queued", availableAt: { lte: now } },
            { status: "grading", leaseExpiresAt: { lt: now }, roundAttempts: { lt: maxAttempts } },
          ],
        },
        orderBy: [{ priority: "asc" }, { availableAt: "asc" }, { id: "asc" }],
        select: { id: true, status: true, gradingAttempts: true },
      });
      if (candidate === null) return null;
      // gradingAttempts only grows: if it still has the value read above, nobody claimed the row in between.
      const { count } = await p.submission.updateMany({
        where: { id: candidate.id, status: candidate.status, gradingAttempts: candidate.gradingAttempts },
        data: {
          status: "grading",
          leaseOwner: workerId,
          leaseExpiresAt,
          startedAt: now,
          gradingAttempts: { increment: 1 },
        },
      });
      if (count === 1) return candidate.id;
    }
    return null;
  });
}

/** Jobs whose grading was interrupted maxAttempts times in this round end failed instead of looping forever. */
export async function giveUpExhausted(db: Database, now: Date, maxAttempts: number): Promise<void> {
  const where = { status: "grading", leaseExpiresAt: { lt: now }, roundAttempts: { gte: maxAttempts } } as const;
  const lastError = `grading was interrupted ${maxAttempts} times (the grader stopped while grading); not counted against the student`;
  // Run before claims: on PostgreSQL the check is a raw statement (see writeResultPg), and the rare
  // updates below Prisma's.
  const stuck =
    db.provider === "postgresql"
      ? Number(
          (
            await db.pgRun("giving up interrupted jobs", (raw) =>
              raw.rows<{ n: number }>(Prisma.sql`
                SELECT count(*)::int AS n FROM submissions
                 WHERE status = 'grading' AND lease_expires_at < ${now}::timestamp(3) AND round_attempts >= ${maxAttempts}::int`),
            )
          )[0]?.n ?? 0,
        )
      : await db.run("giving up interrupted jobs", (p) => p.submission.count({ where }));
  if (stuck === 0) return;
  await db.run("giving up interrupted jobs", async (p) => {
    // Keep the verdict of an earlier grading (a regrade that keeps dying); a first grading ends internal_error.
    await p.submission.updateMany({
      where: { ...where, currentGradingId: null },
      data: { status: "failed", verdict: "internal_error", countsAsAttempt: false, leaseOwner: null, leaseExpiresAt: null, finishedAt: now, lastError },
    });
    await p.submission.updateMany({
      where,
      data: { status: "failed", leaseOwner: null, leaseExpiresAt: null, finishedAt: now, lastError },
    });
  });
}

export interface LeaseRef {
  submissionId: string;
  workerId: string;
  attempt: number;
}

/** Extends a held lease; false when it is no longer ours (expired and claimed by another worker). */
export async function renewLease(db: Database, ref: LeaseRef, leaseMs: number, now = new Date()): Promise<boolean> {
  if (db.provider === "postgresql") {
    const n = await db.pgRun("renewing a lease", (raw) =>
      raw.count(Prisma.sql`UPDATE submissions SET lease_expires_at = ${new Date(now.getTime() + leaseMs)}::timestamp(3) WHERE ${heldByPg(ref)}`),
    );
    return n === 1;
  }
  const { count } = await db.run("renewing a lease", (p) =>
    p.submission.updateMany({
      where: { id: ref.submissionId, status: "grading", leaseOwner: ref.workerId, gradingAttempts: ref.attempt },
      data: { leaseExpiresAt: new Date(now.getTime() + leaseMs) },
    }),
  );
  return count === 1;
}

export interface CompleteOptions {
  now?: Date;
  maxAttempts?: number;
  /** First back-off after an internal error; doubles with each retry. */
  retryDelayMs?: number;
}

export interface CompleteOutcome {
  gradingId: string;
  verdict: Verdict;
  status: SubmissionStatus;
  /** The submission went back to the queue: a retry after an internal error, or a regrade requested meanwhile. */
  requeued: "retry" | "regrade" | null;
}

/** The lease check of `ref` (PostgreSQL): its job is still being graded under this claim. */
function heldByPg(ref: LeaseRef): Prisma.Sql {
  return Prisma.sql`id = ${ref.submissionId}::text AND status = 'grading' AND lease_owner = ${ref.workerId}::text AND grading_attempts = ${ref.attempt}::int`;
}

/** What the finishing transactions read of their submission (none of which takeBack changes). */
interface Finishing {
  exerciseId: string;
  seed: bigint;
  roundAttempts: number;
  roundInternalErrors: number;
  roundHostStalls: number;
  regradePending: boolean;
  pendingTrigger: GradingTrigger;
  currentGradingId: string | null;
  startedAt: Date | null;
}

/**
 * Takes the lease back (clearing it) if `ref` still holds it, else LeaseLostError: the first statement
 * of every finishing transaction, returning what the rest reads. On PostgreSQL one raw statement
 * (`UPDATE ... RETURNING`, see writeResultPg); on SQLite the update, then the read.
 */
async function takeBack(tx: Tx, ref: LeaseRef, now: Date, provider: Database["provider"]): Promise<Finishing> {
  if (provider === "postgresql") return takeBackPg(async <R>(q: Prisma.Sql) => (await tx.$queryRaw(q)) as R[], ref, now);
  const { count } = await tx.submission.updateMany({
    where: { id: ref.submissionId, status: "grading", leaseOwner: ref.workerId, gradingAttempts: ref.attempt },
    data: { leaseOwner: null, leaseExpiresAt: null, finishedAt: now },
  });
  if (count !== 1) throw leaseLost(ref);
  return tx.submission.findUniqueOrThrow({
    where: { id: ref.submissionId },
    select: { exerciseId: true, seed: true, roundAttempts: true, roundInternalErrors: true, roundHostStalls: true, regradePending: true, pendingTrigger: true, currentGradingId: true, startedAt: true },
  });
}

/** takeBack's one statement on PostgreSQL, through Prisma (abandonGrading) or the driver (completeGrading). */
async function takeBackPg(rows: PgRaw["rows"], ref: LeaseRef, now: Date): Promise<Finishing> {
  const found = await rows<Omit<Finishing, "seed"> & { seed: bigint | string }>(Prisma.sql`
    UPDATE submissions SET lease_owner = NULL, lease_expires_at = NULL, finished_at = ${now}::timestamp(3) WHERE ${heldByPg(ref)}
    RETURNING exercise_id AS "exerciseId", seed, round_attempts AS "roundAttempts", round_internal_errors AS "roundInternalErrors", round_host_stalls AS "roundHostStalls",
              regrade_pending AS "regradePending", pending_trigger::text AS "pendingTrigger", current_grading_id AS "currentGradingId", started_at AS "startedAt"`);
  const r = found[0];
  if (r === undefined) throw leaseLost(ref);
  return { ...r, seed: BigInt(r.seed) };
}

function leaseLost(ref: LeaseRef): LeaseLostError {
  return new LeaseLostError(
    `submission ${ref.submissionId}: worker ${ref.workerId} no longer holds the lease of claim ${ref.attempt}; its result is not written (another claim owns the job)`,
  );
}

function retryDelay(options: CompleteOptions, roundAttempts: number): number {
  return (options.retryDelayMs ?? DEFAULT_RETRY_DELAY_MS) * 2 ** Math.max(0, roundAttempts - 1);
}

/** How a grading result leaves its submission (completeGrading). */
type Ending = { kind: "retry"; due: Date; lastError: string } | { kind: "failed"; lastError: string } | { kind: "regrade" } | { kind: "done" };
type Current = { gradingId: string; verdict: GradeResult["verdict"]; score: number; countsAsAttempt: boolean } | null;

function endingData(e: Ending, now: Date): Prisma.SubmissionUpdateInput {
  switch (e.kind) {
    case "retry":
      return { status: "queued", pendingTrigger: "retry", roundInternalErrors: { increment: 1 }, queuedAt: now, availableAt: e.due, startedAt: null, finishedAt: null, lastError: e.lastError };
    case "failed":
      return { status: "failed", roundInternalErrors: { increment: 1 }, lastError: e.lastError };
    case "regrade":
      return { status: "queued", pendingTrigger: "regrade", regradePending: false, priority: 1, roundAttempts: 0, roundInternalErrors: 0, roundHostStalls: 0, queuedAt: now, availableAt: now, startedAt: null, finishedAt: null, lastError: null };
    case "done":
      return { status: "done", lastError: null };
  }
}

function currentData(c: Current): Prisma.SubmissionUpdateInput {
  return c === null ? {} : { currentGrading: { connect: { id: c.gradingId } }, verdict: c.verdict, score: c.score, countsAsAttempt: c.countsAsAttempt };
}

/** The SET list of endingData + currentData, for PostgreSQL's raw update (see writeResultPg). */
function endingSetPg(e: Ending, c: Current, now: Date): Prisma.Sql[] {
  const set: Prisma.Sql[] = [];
  switch (e.kind) {
    case "retry":
      set.push(Prisma.sql`status = 'queued', pending_trigger = 'retry', round_internal_errors = round_internal_errors + 1, queued_at = ${now}::timestamp(3),
        available_at = ${e.due}::timestamp(3), started_at = NULL, finished_at = NULL, last_error = ${e.lastError}::text`);
      break;
    case "failed":
      set.push(Prisma.sql`status = 'failed', round_internal_errors = round_internal_errors + 1, last_error = ${e.lastError}::text`);
      break;
    case "regrade":
      set.push(Prisma.sql`status = 'queued', pending_trigger = 'regrade', regrade_pending = false, priority = 1, round_attempts = 0, round_internal_errors = 0, round_host_stalls = 0,
        queued_at = ${now}::timestamp(3), available_at = ${now}::timestamp(3), started_at = NULL, finished_at = NULL, last_error = NULL`);
      break;
    case "done":
      set.push(Prisma.sql`status = 'done', last_error = NULL`);
      break;
  }
  if (c !== null) {
    set.push(Prisma.sql`current_grading_id = ${c.gradingId}::text, verdict = ${c.verdict}::text::"Verdict", score = ${c.score}::double precision, counts_as_attempt = ${c.countsAsAttempt}::boolean`);
  }
  return set;
}

/**
 * completeGrading's writes on PostgreSQL, in one raw statement: the grading row, its tests and the
 * submission's new status (data-modifying CTEs; the foreign keys are checked at the statement's end).
 * Prisma 6's query compiler (a Wasm module on the event loop) took ~35 ms of CPU to compile the nested
 * create of a grading with its ~30 test rows, on every result: in a deadline burst that was most of the
 * grader process's CPU, taken from the workers on the same cores; and each statement is a round trip
 * (the burst's profile: socket writes to PostgreSQL were the grader process's largest cost after it).
 * SQLite (the embedded default, one machine) keeps the Prisma form. test/db-durable.test.ts reads back
 * what both write.
 */
async function writeResultPg(
  raw: PgRaw,
  g: { ref: LeaseRef; gradingId: string; versionId: string; trigger: GradingTrigger; result: GradeResult; counts: boolean; startedAt: Date; now: Date; ending: Ending; current: Current },
): Promise<SubmissionStatus> {
  const r = g.result;
  const id = g.gradingId;
  const ctes: Prisma.Sql[] = [
    Prisma.sql`g AS (
      INSERT INTO gradings (id, submission_id, exercise_version_id, trigger, attempt, worker_id, seed, verdict, score, passed_tests, total_tests,
                            counts_as_attempt, summary_ja, summary_en, backend, grader_version, total_ms, result, started_at, finished_at)
      VALUES (${id}::text, ${g.ref.submissionId}::text, ${g.versionId}::text, ${g.trigger}::text::"GradingTrigger", ${g.ref.attempt}::int, ${g.ref.workerId}::text,
              ${BigInt(r.seed)}::bigint, ${r.verdict}::text::"Verdict", ${r.score}::double precision, ${r.passed}::int, ${r.total}::int, ${g.counts}::boolean,
              ${r.summary.ja}::text, ${r.summary.en}::text, ${r.backend}::text, ${r.graderVersion}::text, ${r.timings.totalMs}::double precision,
              ${JSON.stringify(r)}::jsonb, ${g.startedAt}::timestamp(3), ${g.now}::timestamp(3)))`,
  ];
  if (r.tests.length > 0) {
    const rows = r.tests.map(
      (t, position) => Prisma.sql`(${randomUUID()}::text, ${id}::text, ${position}::int, ${t.id}::text, ${t.kind}::text::"TestKind", ${t.status}::text::"TestStatus",
        ${t.name.ja}::text, ${t.name.en}::text, ${t.message.ja}::text, ${t.message.en}::text, ${t.pitfall?.id ?? null}::text,
        ${t.maxAbsError}::double precision, ${t.maxRelError}::double precision, ${t.mismatches?.count ?? null}::int, ${t.durationMs}::double precision)`,
    );
    ctes.push(Prisma.sql`t AS (
      INSERT INTO grading_tests (id, grading_id, position, test_id, kind, status, name_ja, name_en, message_ja, message_en, pitfall_id,
                                 max_abs_error, max_rel_error, mismatch_count, duration_ms)
      VALUES ${Prisma.join(rows)})`);
  }
  const updated = await raw.rows<{ status: SubmissionStatus }>(Prisma.sql`
    WITH ${Prisma.join(ctes)}
    UPDATE submissions SET ${Prisma.join(endingSetPg(g.ending, g.current, g.now))} WHERE id = ${g.ref.submissionId}::text RETURNING status::text AS status`);
  const row = updated[0];
  if (row === undefined) throw new Error(`submission ${g.ref.submissionId} vanished while its result was written`);
  return row.status;
}

/**
 * The row id of an exercise version, remembered per database: version rows are never deleted or
 * renumbered (submissions and gradings reference them), so once found an id stays right, and every
 * result of a burst names one of a few versions (a Prisma lookup per result saved). Bounded.
 */
const versionIds = new WeakMap<Database, Map<string, string>>();
const VERSION_IDS_MAX = 4_096;
async function knownVersionId(db: Database, exerciseId: string, hash: string): Promise<string> {
  let known = versionIds.get(db);
  if (known === undefined) versionIds.set(db, (known = new Map()));
  const key = `${exerciseId}\0${hash}`;
  const found = known.get(key);
  if (found !== undefined) return found;
  const id = await db.run("recording the exercise version of a result", (p) => resolveExerciseVersion(p, exerciseId, hash));
  if (known.size >= VERSION_IDS_MAX) known.clear();
  known.set(key, id);
  return id;
}

/** What a result does to its submission, from what takeBack read: the same on both databases. */
function settle(ref: LeaseRef, sub: Finishing, result: GradeResult, options: CompleteOptions, now: Date, maxAttempts: number) {
  if (sub.exerciseId !== result.exerciseId) {
    throw new ConstraintError(`submission ${ref.submissionId} is for '${sub.exerciseId}' but the result is for '${result.exerciseId}'`);
  }
  if (sub.seed !== BigInt(result.seed)) {
    throw new ConstraintError(`submission ${ref.submissionId} has seed ${sub.seed} but the result was graded with seed ${result.seed}`);
  }
  const counts = countsAsAttempt(result.verdict);
  const internal = result.verdict === "internal_error";
  let ending: Ending;
  let requeued: CompleteOutcome["requeued"] = null;
  if (internal && sub.roundAttempts < maxAttempts && sub.roundInternalErrors < MAX_INTERNAL_RETRIES) {
    requeued = "retry";
    ending = { kind: "retry", due: new Date(now.getTime() + retryDelay(options, sub.roundInternalErrors + 1)), lastError: result.summary.en };
  } else if (internal) {
    ending = { kind: "failed", lastError: result.summary.en };
  } else if (sub.regradePending) {
    requeued = "regrade";
    ending = { kind: "regrade" };
  } else {
    ending = { kind: "done" };
  }
  // An internal error never replaces a real verdict as the one dashboards and progress see.
  const becomesCurrent = !internal || sub.currentGradingId === null;
  const currentOf = (gradingId: string): Current => (becomesCurrent ? { gradingId, verdict: result.verdict, score: result.score, countsAsAttempt: counts } : null);
  const startedAt = sub.startedAt ?? now;
  return { counts, ending, requeued, currentOf, startedAt };
}

/**
 * Writes a grading result, once: the grading row, its tests and the submission's new status in one
 * transaction that first checks the lease. A late duplicate (a worker whose lease expired) gets
 * LeaseLostError and changes nothing. An internal_error is kept in the history but never counts as an
 * attempt; the job is retried with back-off until maxAttempts, then ends failed.
 */
export async function completeGrading(db: Database, ref: LeaseRef, resultInput: GradeResult, options: CompleteOptions = {}): Promise<CompleteOutcome> {
  const result = GradeResult.parse(resultInput);
  const now = options.now ?? new Date();
  const maxAttempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  // Outside the transaction (idempotent): its first statement stays the lease check, so SQLite takes
  // its write lock there rather than upgrading halfway through.
  const versionId = await knownVersionId(db, result.exerciseId, result.exerciseVersion);
  if (db.provider === "postgresql") {
    // Straight to the driver (Database.pgTransaction): the lease check, then one statement of writes.
    return db.pgTransaction("writing a grading result", async (raw) => {
      const sub = await takeBackPg(raw.rows, ref, now);
      const e = settle(ref, sub, result, options, now, maxAttempts);
      const gradingId = randomUUID();
      const status = await writeResultPg(raw, { ref, gradingId, versionId, trigger: sub.pendingTrigger, result, counts: e.counts, startedAt: e.startedAt, now, ending: e.ending, current: e.currentOf(gradingId) });
      return { gradingId, verdict: result.verdict, status, requeued: e.requeued };
    });
  }
  return db.transaction("writing a grading result", async (tx) => {
    const sub = await takeBack(tx, ref, now, db.provider);
    const { counts, ending, requeued, currentOf, startedAt } = settle(ref, sub, result, options, now, maxAttempts);
    const grading = await tx.grading.create({
      data: {
        submissionId: ref.submissionId,
        exerciseVersionId: versionId,
        trigger: sub.pendingTrigger,
        attempt: ref.attempt,
        workerId: ref.workerId,
        seed: BigInt(result.seed),
        verdict: result.verdict,
        score: result.score,
        passedTests: result.passed,
        totalTests: result.total,
        countsAsAttempt: counts,
        summaryJa: result.summary.ja,
        summaryEn: result.summary.en,
        backend: result.backend,
        graderVersion: result.graderVersion,
        totalMs: result.timings.totalMs,
        result: toJson(result),
        startedAt,
        finishedAt: now,
        tests: {
          createMany: {
            data: result.tests.map((t, position) => ({
              position,
              testId: t.id,
              kind: t.kind,
              status: t.status,
              nameJa: t.name.ja,
              nameEn: t.name.en,
              messageJa: t.message.ja,
              messageEn: t.message.en,
              pitfallId: t.pitfall?.id ?? null,
              maxAbsError: t.maxAbsError,
              maxRelError: t.maxRelError,
              mismatchCount: t.mismatches?.count ?? null,
              durationMs: t.durationMs,
            })),
          },
        },
      },
      select: { id: true },
    });
    const updated = await tx.submission.update({ where: { id: ref.submissionId }, data: { ...endingData(ending, now), ...currentData(currentOf(grading.id)) }, select: { status: true } });
    return { gradingId: grading.id, verdict: result.verdict, status: updated.status, requeued };
  });
}

/**
 * The worker could not produce a result (the grader pool refused the job, the exercise is not in its
 * catalog): the lease is given back and the job retried with back-off, or failed after maxAttempts.
 * `countAttempt: false` (a graceful shutdown) returns the job without using up one of its attempts;
 * `hostStall` (the grading stalled the host) returns it at once, uncounted, until its round's
 * MAX_HOST_STALLS-th stall, which gives it up.
 */
export async function abandonGrading(
  db: Database,
  ref: LeaseRef,
  reason: string,
  options: CompleteOptions & { countAttempt?: boolean; started?: boolean; hostStall?: boolean } = {},
): Promise<"requeued" | "failed"> {
  const now = options.now ?? new Date();
  const maxAttempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  return db.transaction("returning a grading job", async (tx) => {
    const sub = await takeBack(tx, ref, now, db.provider);
    // A host stall, like a graceful shutdown, is not counted against the student; a stall is queued
    // again at once whatever the attempts, and bounded by MAX_HOST_STALLS instead.
    const stall = options.hostStall === true;
    const counted = !stall && (options.countAttempt ?? true);
    // markStarted counted the claim if its grading started; make the round's count what `counted` says.
    const started = options.started ?? true;
    const attempts = counted ? sub.roundAttempts + (started ? 0 : 1) : Math.max(0, sub.roundAttempts - (started ? 1 : 0));
    const stalls = sub.roundHostStalls + (stall ? 1 : 0);
    if (stall ? stalls < MAX_HOST_STALLS : attempts < maxAttempts) {
      const due = counted ? new Date(now.getTime() + retryDelay(options, attempts)) : now;
      await tx.submission.update({
        where: { id: ref.submissionId },
        data: { status: "queued", roundAttempts: attempts, roundHostStalls: stalls, queuedAt: now, availableAt: due, startedAt: null, finishedAt: null, lastError: stall ? `${reason}; queued again` : reason },
      });
      return "requeued";
    }
    await tx.submission.update({
      where: { id: ref.submissionId },
      data: {
        status: "failed",
        lastError: stall
          ? `given up: this submission stalled the grader ${stalls} times (${reason}); not counted against the student, and an instructor's regrade grades it again / 採点器を ${stalls} 回停止させたため採点を打ち切りました (受験回数には数えません。講師が再採点できます)`
          : reason,
        roundAttempts: attempts,
        roundHostStalls: stalls,
        ...(sub.currentGradingId === null ? { verdict: "internal_error" as const, countsAsAttempt: false } : {}),
      },
    });
    return "failed";
  });
}

export interface RegradeReport {
  /** Graded submissions put back in the queue. */
  requeued: number;
  /** Submissions being graded right now: queued again as soon as their current grading is written. */
  flagged: number;
}

const REGRADE_QUEUE = {
  status: "queued",
  pendingTrigger: "regrade",
  priority: 1,
  roundAttempts: 0,
  roundInternalErrors: 0,
  roundHostStalls: 0,
  startedAt: null,
  finishedAt: null,
  lastError: null,
} as const;

/**
 * Requeues every submission of an exercise (after the exercise was fixed). History is kept: each
 * regrade appends a Grading row (trigger regrade) graded against the version the grader has then;
 * earlier gradings stay with the version they were graded against. Queued submissions are left as
 * they are (they will be graded with the current version anyway).
 */
export async function regradeExercise(db: Database, exerciseId: string, now = new Date(), options: { classId?: string } = {}): Promise<RegradeReport> {
  // An instructor regrades their own class only: `classId` limits it to the class's students.
  const scope = options.classId === undefined ? {} : { user: { enrolments: { some: { classId: options.classId } } } };
  return db.transaction("requeueing an exercise's submissions", async (tx) => {
    // In-flight ones first: one that finishes between the two statements is then caught by the second.
    const flagged = await tx.submission.updateMany({ where: { exerciseId, status: "grading", ...scope }, data: { regradePending: true } });
    const requeued = await tx.submission.updateMany({
      where: { exerciseId, status: { in: ["done", "failed"] }, ...scope },
      data: { ...REGRADE_QUEUE, queuedAt: now, availableAt: now },
    });
    return { requeued: requeued.count, flagged: flagged.count };
  });
}

/** Requeues one submission (an instructor's "grade again"). */
export async function regradeSubmission(db: Database, submissionId: string, now = new Date()): Promise<RegradeReport> {
  return db.transaction("requeueing a submission", async (tx) => {
    const flagged = await tx.submission.updateMany({ where: { id: submissionId, status: "grading" }, data: { regradePending: true } });
    const requeued = await tx.submission.updateMany({
      where: { id: submissionId, status: { in: ["done", "failed"] } },
      data: { ...REGRADE_QUEUE, queuedAt: now, availableAt: now },
    });
    if (flagged.count + requeued.count === 0 && (await tx.submission.count({ where: { id: submissionId } })) === 0) {
      throw new NotFoundError(`no submission with id ${submissionId}`);
    }
    return { requeued: requeued.count, flagged: flagged.count };
  });
}

export interface QueueStats {
  queued: number;
  grading: number;
  done: number;
  failed: number;
  /** Age of the oldest due queued job, in ms (0 when none waits). */
  oldestQueuedMs: number;
  /** Jobs being graded whose lease has expired (their worker probably died). */
  expiredLeases: number;
}

export async function queueStats(db: Database, now = new Date()): Promise<QueueStats> {
  return db.run("reading queue statistics", async (p) => {
    const groups = await p.submission.groupBy({ by: ["status"], _count: { _all: true } });
    const oldest = await p.submission.findFirst({ where: { status: "queued", availableAt: { lte: now } }, orderBy: { availableAt: "asc" }, select: { availableAt: true } });
    const expiredLeases = await p.submission.count({ where: { status: "grading", leaseExpiresAt: { lt: now } } });
    const count = (s: SubmissionStatus) => groups.find((g) => g.status === s)?._count._all ?? 0;
    return {
      queued: count("queued"),
      grading: count("grading"),
      done: count("done"),
      failed: count("failed"),
      oldestQueuedMs: oldest === null ? 0 : Math.max(0, now.getTime() - oldest.availableAt.getTime()),
      expiredLeases,
    };
  });
}
