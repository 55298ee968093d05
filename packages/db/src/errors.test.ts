import BetterSqlite3 from "better-sqlite3";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createUser } from "./accounts.ts";
import { syncExercises } from "./catalog.ts";
import { Database, STATEMENT_NAMES_MAX, namesStatements } from "./client.ts";
import { parseDatabaseUrl } from "./env.ts";
import { ConflictError, ConstraintError, DatabaseUnavailableError, DbConfigError, DbInternalError, MigrationError } from "./errors.ts";
import { Prisma } from "./generated/sqlite/client.ts";
import { claimNext, queueStats, submit } from "./queue.ts";
import { TEST_POSTGRES_URL, createScratchDatabase, openScratchDatabase, testProviders } from "./testing.ts";

const EX = "attention-masks";
const exercise = { id: EX, version: "m1", order: 2, area: "implementation", title: { ja: "マスク", en: "masks" }, meta: {} };

/** Retries an operation the way a caller would after DatabaseUnavailableError. */
async function eventually<T>(fn: () => Promise<T>): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await fn();
    } catch (e) {
      if (!(e instanceof DatabaseUnavailableError) || i >= 20) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

describe("a database that cannot be used", () => {
  it("down: DatabaseUnavailableError naming the operation and the server, never the password", async () => {
    const db = await Database.connect(parseDatabaseUrl("postgresql://tfm:s3cret@127.0.0.1:1/tfm", { connectTimeoutMs: 1_000 }));
    try {
      const attempt = createUser(db, { email: "a@example.org", displayName: "a" });
      await expect(attempt).rejects.toBeInstanceOf(DatabaseUnavailableError);
      const e = await attempt.catch((x: unknown) => x);
      expect(e).toMatchObject({ code: "unavailable", retryable: true });
      expect((e as Error).message).toMatch(/database unavailable while creating a user \(PostgreSQL 127\.0\.0\.1:1\/tfm\).*nothing of this operation was written/);
      expect((e as Error).message).not.toContain("s3cret");
    } finally {
      await db.close();
    }
  });

  it("not migrated: a MigrationError that says what to run", async () => {
    const scratch = await createScratchDatabase("sqlite", "unmigrated");
    const db = await Database.connect(scratch.config);
    try {
      await expect(createUser(db, { email: "a@example.org", displayName: "a" })).rejects.toThrow(MigrationError);
      await expect(createUser(db, { email: "a@example.org", displayName: "a" })).rejects.toThrow(/npm run db:migrate/);
    } finally {
      await db.close();
      await scratch.drop();
    }
  });

  it.runIf(testProviders().includes("postgresql"))("missing PostgreSQL database: a DbConfigError that says db:migrate creates it", async () => {
    const url = new URL(TEST_POSTGRES_URL);
    url.pathname = "/tfm_does_not_exist_anywhere";
    const db = await Database.connect(parseDatabaseUrl(url.toString()));
    try {
      await expect(createUser(db, { email: "a@example.org", displayName: "a" })).rejects.toThrow(DbConfigError);
    } finally {
      await db.close();
    }
  });
});

describe.each(testProviders())("nothing accepted is lost when %s goes away", (provider) => {
  let db: Database;
  let close: () => Promise<void>;
  let userId: string;
  beforeAll(async () => {
    const opened = await openScratchDatabase(provider, "outage");
    close = opened.close;
    const config = opened.scratch.config;
    db = config.provider === "sqlite" ? await Database.connect({ ...config, busyTimeoutMs: 300 }) : opened.db;
    if (provider === "sqlite") await opened.db.close();
    await syncExercises(db, [exercise]);
    userId = (await createUser(db, { email: "outage@example.org", displayName: "o" })).id;
  });
  afterAll(async () => {
    if (provider === "sqlite") await db.close();
    await close();
  });

  it("accepted submissions survive an outage; operations during it fail with a typed, retryable error", async () => {
    const accepted = [];
    for (let i = 0; i < 5; i++) accepted.push((await submit(db, { userId, exerciseId: EX, source: `s${i}` })).id);

    if (provider === "postgresql") {
      // Every server connection of this database dies, as in a restart.
      const admin = new pg.Client({ connectionString: TEST_POSTGRES_URL });
      await admin.connect();
      await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()", [
        new URL(db.config.url).pathname.slice(1),
      ]);
      await admin.end();
    } else {
      // Another process holds the write lock (a backup, a stuck writer) for longer than the busy timeout.
      const other = new BetterSqlite3(db.config.provider === "sqlite" ? db.config.file : "");
      other.exec("BEGIN EXCLUSIVE");
      const refused = submit(db, { userId, exerciseId: EX, source: "during the outage" });
      await expect(refused).rejects.toBeInstanceOf(DatabaseUnavailableError);
      await expect(refused).rejects.toThrow(/nothing of this operation was written/);
      other.exec("ROLLBACK");
      other.close();
    }

    // The caller retries; the pool reconnects; every accepted submission is there and claimable.
    const late = await eventually(() => submit(db, { userId, exerciseId: EX, source: "after" }));
    expect(await eventually(() => queueStats(db))).toMatchObject({ queued: 6 });
    const claimed: string[] = [];
    for (;;) {
      const job = await eventually(() => claimNext(db, { workerId: "w", leaseMs: 60_000 }));
      if (job === null) break;
      claimed.push(job.submissionId);
    }
    expect(claimed.sort()).toEqual([...accepted, late.id].sort());
  });
});

describe.runIf(testProviders().includes("postgresql"))("raw statements straight to PostgreSQL's driver (Database.pgRun, pgTransaction)", () => {
  let db: Database;
  let close: () => Promise<void>;
  beforeAll(async () => {
    const opened = await openScratchDatabase("postgresql", "driver");
    db = opened.db;
    close = opened.close;
  });
  afterAll(async () => close());

  const insertUser = (id: string, email: string | null) =>
    Prisma.sql`INSERT INTO users (id, email, display_name, updated_at) VALUES (${id}::text, ${email}::text, 'd', ${new Date()}::timestamp(3))`;

  it("turns the driver's SQLSTATEs into the same typed errors as Prisma's", async () => {
    await db.pgRun("adding a user", (raw) => raw.count(insertUser("u1", "dup@example.org")));
    const taken = await db.pgRun("adding a user", (raw) => raw.count(insertUser("u2", "dup@example.org"))).catch((e: unknown) => e);
    expect(taken).toBeInstanceOf(ConflictError);
    expect(taken).toMatchObject({ fields: ["email"] });
    expect((taken as Error).message).toBe("adding a user: email is already taken");
    const orphan = Prisma.sql`INSERT INTO enrolments (class_id, user_id) VALUES ('no-class', 'u1')`;
    await expect(db.pgRun("enrolling", (raw) => raw.count(orphan))).rejects.toThrow(ConstraintError);
    await expect(db.pgRun("enrolling", (raw) => raw.count(orphan))).rejects.toThrow(/enrolling: a referenced row does not exist/);
    await expect(db.pgRun("adding a user", (raw) => raw.count(insertUser("u3", null)))).rejects.toThrow(/a required value is missing \(email\)/);
    await expect(db.pgRun("reading", (raw) => raw.rows(Prisma.sql`SELECT * FROM no_such_table`))).rejects.toThrow(MigrationError);
  });

  it("writes all of a transaction or none of it, and a connection the server dropped is not reused", async () => {
    const failed = db.pgTransaction("adding two users", async (raw) => {
      await raw.count(insertUser("t1", "t1@example.org"));
      await raw.count(insertUser("t2", "dup@example.org"));
    });
    await expect(failed).rejects.toBeInstanceOf(ConflictError);
    expect(await db.pgRun("reading", (raw) => raw.rows(Prisma.sql`SELECT id FROM users WHERE id = 't1'`))).toEqual([]);
    // The server ends this transaction's connection mid-way: unavailable (retryable), nothing written.
    const dropped = await db
      .pgTransaction("adding a user", async (raw) => {
        await raw.count(insertUser("t3", "t3@example.org"));
        await raw.rows(Prisma.sql`SELECT pg_terminate_backend(pg_backend_pid())`);
      })
      .catch((e: unknown) => e);
    expect(dropped).toBeInstanceOf(DatabaseUnavailableError);
    expect(dropped).toMatchObject({ retryable: true });
    // Every later statement gets a working connection, and t3 was never written.
    for (let i = 0; i < 12; i++) expect(await db.pgRun("reading", (raw) => raw.rows(Prisma.sql`SELECT id FROM users WHERE id = 't3'`))).toEqual([]);
    expect(await db.pgTransaction("adding a user", (raw) => raw.count(insertUser("t4", "t4@example.org")))).toBe(1);
  });

  it("bounds each statement of a transaction: one that waits on a lock held elsewhere is cancelled, and nothing is written", async () => {
    await db.pgRun("adding a user", (raw) => raw.count(insertUser("locked", "locked@example.org")));
    const other = new pg.Client({ connectionString: db.config.url });
    await other.connect();
    try {
      await other.query("BEGIN");
      await other.query("SELECT id FROM users WHERE id = 'locked' FOR UPDATE");
      const t0 = performance.now();
      const waited = await db
        .pgTransaction(
          "renaming a user",
          async (raw) => {
            await raw.count(insertUser("w1", "w1@example.org"));
            await raw.count(Prisma.sql`UPDATE users SET display_name = 'x' WHERE id = 'locked'`);
          },
          { timeoutMs: 300 },
        )
        .catch((e: unknown) => e);
      expect(performance.now() - t0).toBeLessThan(10_000);
      expect(waited).toBeInstanceOf(DbInternalError);
      expect((waited as Error).message).toMatch(/renaming a user failed .*statement timeout/);
      expect(await db.pgRun("reading", (raw) => raw.rows(Prisma.sql`SELECT id FROM users WHERE id = 'w1'`))).toEqual([]);
      // The timeout was the transaction's own (SET LOCAL): the connection goes back to the pool without it.
      for (let i = 0; i < 12; i++) expect(await db.pgRun("reading", (raw) => raw.rows<{ t: string }>(Prisma.sql`SELECT current_setting('statement_timeout') AS t`))).toEqual([{ t: "0" }]);
      await expect(db.pgTransaction("reading", async () => 1, { timeoutMs: 0 })).rejects.toThrow(/whole number of milliseconds/);
    } finally {
      await other.query("ROLLBACK").catch(() => {});
      await other.end();
    }
  });

  it("prepares each statement text once per connection, under a bounded number of names", async () => {
    const texts = await db.pgTransaction("preparing", async (raw) => {
      const got: number[] = [];
      for (const v of [1, 2, 3]) got.push((await raw.rows<{ n: number }>(Prisma.sql`SELECT ${v}::int + 0 AS n`))[0]?.n ?? -1);
      expect(got).toEqual([1, 2, 3]);
      // Many more texts than names: every one still answers, and the connection holds at most the bound.
      for (let i = 0; i < STATEMENT_NAMES_MAX + 40; i++) expect(await raw.rows(Prisma.sql`SELECT ${Prisma.raw(String(i))}::int AS k`)).toEqual([{ k: i }]);
      return raw.rows<{ name: string; statement: string }>(Prisma.sql`SELECT name, statement FROM pg_prepared_statements WHERE name LIKE 'tfm\_%'`);
    });
    expect(texts.filter((t) => t.statement.includes("::int + 0 AS n"))).toHaveLength(1);
    expect(texts.length).toBeGreaterThan(1);
    expect(texts.length).toBeLessThanOrEqual(STATEMENT_NAMES_MAX);
  });

  it("names no statement behind PgBouncer (a URL with pgbouncer=true, as Prisma's), where a name prepared on one server connection is unknown on the next", async () => {
    expect(namesStatements("postgresql://u@h:5432/db?pgbouncer=true")).toBe(false);
    expect(namesStatements("postgresql://u@h:5432/db?pgbouncer=false")).toBe(true);
    expect(namesStatements("postgresql://u@h:5432/db")).toBe(true);
    const url = new URL(db.config.url);
    url.searchParams.set("pgbouncer", "true");
    const bounced = await Database.connect(parseDatabaseUrl(url.toString()));
    try {
      const prepared = await bounced.pgTransaction("preparing", async (raw) => {
        expect(await raw.rows(Prisma.sql`SELECT ${7}::int * 6 AS answer`)).toEqual([{ answer: 42 }]);
        return raw.rows(Prisma.sql`SELECT name FROM pg_prepared_statements`);
      });
      expect(prepared).toEqual([]);
    } finally {
      await bounced.close();
    }
  });

  it("is PostgreSQL's only: asked of SQLite, an internal error that says so", async () => {
    const opened = await openScratchDatabase("sqlite", "driver-sqlite");
    try {
      await expect(opened.db.pgRun("reading", (raw) => raw.rows(Prisma.sql`SELECT 1`))).rejects.toThrow(/reading asked for PostgreSQL's driver on sqlite/);
      await expect(opened.db.pgTransaction("reading", (raw) => raw.rows(Prisma.sql`SELECT 1`))).rejects.toThrow(DbInternalError);
    } finally {
      await opened.close();
    }
  });
});
