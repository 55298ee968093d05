import BetterSqlite3 from "better-sqlite3";
import pg from "pg";
import type { DbConfig } from "./env.ts";
import { quoteIdent } from "./migrate.ts";

/**
 * Bulk loading straight through the drivers, for generated fixtures (the benchmark's 115,000
 * submissions): Prisma's createMany goes through its query compiler row by row and loads about a
 * thousand rows a second here. Rows use column names; values are stored as Prisma stores them.
 */
export type BulkValue = string | number | boolean | bigint | Date | null | { [key: string]: unknown };
export type BulkRow = Record<string, BulkValue>;

/** Prisma's text form of a DateTime on SQLite (the better-sqlite3 adapter's iso8601 format). */
const sqliteDate = (d: Date) => d.toISOString().replace("Z", "+00:00");
/** PostgreSQL `timestamp(3)` columns hold UTC without a zone. */
const pgDate = (d: Date) => d.toISOString().replace("T", " ").replace("Z", "");

function sqliteValue(v: BulkValue): string | number | bigint | null {
  if (v === null || typeof v === "string" || typeof v === "number" || typeof v === "bigint") return v;
  if (typeof v === "boolean") return v ? 1 : 0;
  if (v instanceof Date) return sqliteDate(v);
  return JSON.stringify(v);
}

function pgValue(v: BulkValue): string | number | boolean | null {
  if (v === null || typeof v === "string" || typeof v === "number" || typeof v === "boolean") return v;
  if (typeof v === "bigint") return v.toString();
  if (v instanceof Date) return pgDate(v);
  return JSON.stringify(v);
}

export async function bulkInsert(config: DbConfig, table: string, rows: readonly BulkRow[]): Promise<void> {
  const first = rows[0];
  if (first === undefined) return;
  const columns = Object.keys(first);
  const head = `INSERT INTO ${quoteIdent(table)} (${columns.map(quoteIdent).join(", ")}) VALUES `;
  if (config.provider === "sqlite") {
    const db = new BetterSqlite3(config.file, { timeout: config.busyTimeoutMs });
    try {
      const stmt = db.prepare(`${head}(${columns.map(() => "?").join(", ")})`);
      db.transaction(() => {
        for (const row of rows) stmt.run(columns.map((c) => sqliteValue(row[c] ?? null)));
      })();
    } finally {
      db.close();
    }
    return;
  }
  const client = new pg.Client({ connectionString: config.url, connectionTimeoutMillis: config.connectTimeoutMs });
  await client.connect();
  try {
    const perStatement = Math.max(1, Math.floor(30_000 / columns.length));
    await client.query("BEGIN");
    for (let i = 0; i < rows.length; i += perStatement) {
      const chunk = rows.slice(i, i + perStatement);
      const params: (string | number | boolean | null)[] = [];
      const tuples = chunk.map((row) => `(${columns.map((c) => `$${params.push(pgValue(row[c] ?? null))}`).join(", ")})`);
      await client.query(head + tuples.join(", "), params);
    }
    await client.query("COMMIT");
  } catch (e) {
    await client.query("ROLLBACK").catch(() => {});
    throw e;
  } finally {
    await client.end();
  }
}
