import BetterSqlite3 from "better-sqlite3";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createUser } from "./accounts.ts";
import { syncExercises } from "./catalog.ts";
import { Database } from "./client.ts";
import { parseDatabaseUrl } from "./env.ts";
import { DatabaseUnavailableError, DbConfigError, MigrationError } from "./errors.ts";
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
