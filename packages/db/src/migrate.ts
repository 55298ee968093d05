import { createHash, randomUUID } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import BetterSqlite3 from "better-sqlite3";
import pg from "pg";
import { type DbConfig, describeConfig } from "./env.ts";
import { DatabaseUnavailableError, MigrationError, isConnectionFailure } from "./errors.ts";
import { migrationsDir } from "./schema-files.ts";

/**
 * Applies prisma/<provider>/migrations/* in order, each in one transaction with its record.
 *
 * Why not `prisma migrate deploy`: with Prisma 6.19's JavaScript schema engine (the native one cannot
 * be downloaded here) it fails on PostgreSQL 15 before applying anything ("Column type 'name' could
 * not be deserialized from the database"). The records go to Prisma's own `_prisma_migrations` table
 * in its format (sha256 checksum of migration.sql), so `prisma migrate status` / `deploy` run
 * elsewhere agree about what is applied.
 */

export interface MigrationFile {
  name: string;
  sql: string;
  checksum: string;
}

export interface MigrateReport {
  applied: string[];
  alreadyApplied: string[];
}

interface AppliedRow {
  migration_name: string;
  checksum: string;
  finished_at: unknown;
  rolled_back_at: unknown;
}

/** PostgreSQL's advisory lock key Prisma Migrate uses, so two migrators (ours or Prisma's) never overlap. */
const PG_MIGRATION_LOCK = 72707369;

const SQLITE_TABLE = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    TEXT PRIMARY KEY NOT NULL,
    "checksum"              TEXT NOT NULL,
    "finished_at"           DATETIME,
    "migration_name"        TEXT NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        DATETIME,
    "started_at"            DATETIME NOT NULL DEFAULT current_timestamp,
    "applied_steps_count"   INTEGER UNSIGNED NOT NULL DEFAULT 0
)`;

const PG_TABLE = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`;

export function readMigrations(provider: DbConfig["provider"]): MigrationFile[] {
  const dir = migrationsDir(provider);
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(path.join(dir, d.name, "migration.sql")))
    .map((d) => d.name)
    .sort()
    .map((name) => {
      const sql = readFileSync(path.join(dir, name, "migration.sql"), "utf8");
      return { name, sql, checksum: createHash("sha256").update(sql).digest("hex") };
    });
}

/** Decides what to apply; refuses when the database's history and the files disagree. */
function plan(files: MigrationFile[], rows: AppliedRow[], where: string): { pending: MigrationFile[]; done: string[] } {
  const byName = new Map<string, AppliedRow>();
  for (const row of rows) if (row.rolled_back_at === null) byName.set(row.migration_name, row);
  for (const row of byName.values()) {
    if (row.finished_at === null) {
      throw new MigrationError(
        `migration ${row.migration_name} started but did not finish on ${where}; inspect the database, then delete its row from _prisma_migrations and run \`npm run db:migrate\` again`,
      );
    }
  }
  const known = new Set(files.map((f) => f.name));
  for (const name of byName.keys()) {
    if (!known.has(name)) throw new MigrationError(`${where} has migration ${name}, which is not in prisma/*/migrations: is this checkout older than the database?`);
  }
  const pending: MigrationFile[] = [];
  const done: string[] = [];
  for (const f of files) {
    const row = byName.get(f.name);
    if (row === undefined) pending.push(f);
    else if (row.checksum !== f.checksum) throw new MigrationError(`migration ${f.name} was changed after it was applied to ${where}; add a new migration instead`);
    else done.push(f.name);
  }
  return { pending, done };
}

function migrateSqlite(config: Extract<DbConfig, { provider: "sqlite" }>): MigrateReport {
  mkdirSync(path.dirname(config.file), { recursive: true });
  const db = new BetterSqlite3(config.file, { timeout: 15_000 });
  try {
    db.pragma("journal_mode = WAL");
    db.exec(SQLITE_TABLE);
    const files = readMigrations("sqlite");
    // IMMEDIATE: a second migrator waits here instead of reading a history that is about to change.
    db.exec("BEGIN IMMEDIATE");
    try {
      const rows = db.prepare(`SELECT migration_name, checksum, finished_at, rolled_back_at FROM "_prisma_migrations"`).all() as AppliedRow[];
      const { pending, done } = plan(files, rows, describeConfig(config));
      for (const f of pending) {
        const started = new Date().toISOString().replace("Z", "+00:00");
        try {
          db.exec(f.sql);
        } catch (e) {
          throw new MigrationError(`migration ${f.name} failed on ${describeConfig(config)}: ${(e as Error).message}`);
        }
        db.prepare(
          `INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name, logs, rolled_back_at, started_at, applied_steps_count) VALUES (?, ?, ?, ?, NULL, NULL, ?, 1)`,
        ).run(randomUUID(), f.checksum, new Date().toISOString().replace("Z", "+00:00"), f.name, started);
      }
      db.exec("COMMIT");
      return { applied: pending.map((f) => f.name), alreadyApplied: done };
    } catch (e) {
      db.exec("ROLLBACK");
      throw e;
    }
  } finally {
    db.close();
  }
}

async function migratePostgres(config: Extract<DbConfig, { provider: "postgresql" }>, createDatabase: boolean): Promise<MigrateReport> {
  const where = describeConfig(config);
  if (createDatabase) await ensurePgDatabase(config);
  const client = new pg.Client({ connectionString: config.url, connectionTimeoutMillis: config.connectTimeoutMs });
  try {
    await client.connect();
  } catch (e) {
    throw new DatabaseUnavailableError(`cannot connect to ${where} to migrate it: ${(e as Error).message}`);
  }
  try {
    await client.query("SELECT pg_advisory_lock($1)", [PG_MIGRATION_LOCK]);
    await client.query(PG_TABLE);
    const rows = (await client.query<AppliedRow>(`SELECT migration_name, checksum, finished_at, rolled_back_at FROM "_prisma_migrations"`)).rows;
    const { pending, done } = plan(readMigrations("postgresql"), rows, where);
    for (const f of pending) {
      // PostgreSQL's DDL is transactional: a migration that fails leaves nothing behind.
      await client.query("BEGIN");
      try {
        const started = new Date();
        await client.query(f.sql);
        await client.query(
          `INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name, logs, rolled_back_at, started_at, applied_steps_count) VALUES ($1, $2, now(), $3, NULL, NULL, $4, 1)`,
          [randomUUID(), f.checksum, f.name, started],
        );
        await client.query("COMMIT");
      } catch (e) {
        await client.query("ROLLBACK").catch(() => {});
        throw new MigrationError(`migration ${f.name} failed on ${where}: ${(e as Error).message}`);
      }
    }
    return { applied: pending.map((f) => f.name), alreadyApplied: done };
  } catch (e) {
    if (isConnectionFailure(e) && !(e instanceof MigrationError)) throw new DatabaseUnavailableError(`lost ${where} while migrating: ${(e as Error).message}`);
    throw e;
  } finally {
    await client.query("SELECT pg_advisory_unlock($1)", [PG_MIGRATION_LOCK]).catch(() => {});
    await client.end().catch(() => {});
  }
}

/** Creates the PostgreSQL database named by the URL when the server does not have it yet. */
export async function ensurePgDatabase(config: Extract<DbConfig, { provider: "postgresql" }>): Promise<boolean> {
  const target = new URL(config.url);
  const name = decodeURIComponent(target.pathname.slice(1));
  const admin = new URL(config.url);
  admin.pathname = "/postgres";
  const client = new pg.Client({ connectionString: admin.toString(), connectionTimeoutMillis: config.connectTimeoutMs });
  try {
    await client.connect();
  } catch (e) {
    throw new DatabaseUnavailableError(`cannot connect to the PostgreSQL server of ${describeConfig(config)}: ${(e as Error).message}`);
  }
  try {
    const exists = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]);
    if (exists.rowCount !== 0) return false;
    await client.query(`CREATE DATABASE ${quoteIdent(name)}`);
    return true;
  } catch (e) {
    // Two migrators racing to create it: the loser finds it there.
    if ((e as { code?: string }).code === "42P04") return false;
    throw e;
  } finally {
    await client.end().catch(() => {});
  }
}

export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** Brings the database to the newest migration; safe to run at every start and from several processes. */
export async function migrate(config: DbConfig, options: { createDatabase?: boolean } = {}): Promise<MigrateReport> {
  if (config.provider === "sqlite") {
    try {
      return migrateSqlite(config);
    } catch (e) {
      if (e instanceof MigrationError) throw e;
      throw new DatabaseUnavailableError(`cannot migrate ${describeConfig(config)}: ${(e as Error).message}`);
    }
  }
  return migratePostgres(config, options.createDatabase ?? true);
}
