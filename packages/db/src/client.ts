import { createHash } from "node:crypto";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { type DbConfig, describeConfig, loadDbConfig } from "./env.ts";
import { translateError } from "./errors.ts";
import { PrismaClient as PgPrismaClient } from "./generated/postgresql/client.ts";
import { type Prisma, PrismaClient as SqlitePrismaClient } from "./generated/sqlite/client.ts";

/**
 * The client type the data layer is written against. Both generated clients have the same models
 * and results; PostgreSQL's accepts more input (case-insensitive `mode`, list field references),
 * which this package never uses, and which would fail on SQLite. TypeScript cannot relate the two
 * generated namespaces (their aggregate types are distinct conditional types), so the PostgreSQL
 * client is typed as the SQLite one in `connect` below, and only there; every query in this package
 * runs against both databases in the test suite.
 */
export type PrismaClient = SqlitePrismaClient;
/** What a query sees inside or outside a transaction. */
export type Tx = Omit<PrismaClient, "$connect" | "$disconnect" | "$on" | "$transaction" | "$extends">;
export type Provider = DbConfig["provider"];

const TRANSACTION_OPTIONS = { maxWait: 20_000, timeout: 30_000 } as const;

/**
 * Raw statements on PostgreSQL straight through the driver (`Database.pgRun`, `Database.pgTransaction`).
 * Prisma 6 sends even `$queryRaw` through its query compiler, a Wasm module on the event loop: ~0.3 ms
 * of CPU per statement against ~0.07 ms for the driver alone, and its interactive transaction adds
 * round trips of its own. A grading's queue path (the POST, the claim, the result) is a handful of
 * statements per submission, 500 of them at once in a deadline burst, on the same cores as the
 * workers. The statements are the same `Prisma.sql` templates (their `text` has $1.. placeholders).
 */
export interface PgRaw {
  /** The statement's rows: timestamps (without time zone, stored as UTC) as Dates, bigints as strings. */
  rows<R>(q: Prisma.Sql): Promise<R[]>;
  /** How many rows the statement inserted, updated or deleted. */
  count(q: Prisma.Sql): Promise<number>;
}

/** `timestamp(3)` columns hold UTC (as Prisma writes them): read them as UTC, whatever the process's time zone. */
function parseUtcTimestamp(text: string): Date {
  return new Date(`${text.replace(" ", "T")}Z`);
}
const TIMESTAMP_OID = 1114;
const PG_TYPES = {
  getTypeParser: ((oid: number, format?: "text" | "binary") =>
    oid === TIMESTAMP_OID && format !== "binary" ? parseUtcTimestamp : pg.types.getTypeParser(oid, format ?? "text")) as typeof pg.types.getTypeParser,
};

/** A value as the driver sends it: a Date as its UTC instant (the driver would send local time), a bigint as digits. */
function pgValue(v: unknown): unknown {
  if (v instanceof Date) return v.toISOString();
  if (typeof v === "bigint") return v.toString();
  return v;
}

/**
 * A name per statement text, so that each connection parses a statement once (pg prepares a named
 * statement on its first use on a connection and reuses it after; PostgreSQL may then also keep its
 * plan): in a deadline burst PostgreSQL's CPU fell ~25% (2.5-2.7 -> 2.0 s) and the queue's ceiling rose
 * 10-25% (`claims.ts`). The texts are the queue's templates (values are always parameters), a few dozen
 * shapes (a result's statement varies with its number of tests); past STATEMENT_NAMES_MAX new texts go
 * unnamed. A migration that changed a prepared statement's result type would fail it on connections
 * that prepared it before (PostgreSQL: "cached plan must not change result type"): migrate with the
 * graders stopped, as the grader's start-up check already asks.
 */
const statementNames = new Map<string, string>();
export const STATEMENT_NAMES_MAX = 256;
function statementName(text: string): string | undefined {
  let name = statementNames.get(text);
  if (name === undefined) {
    if (statementNames.size >= STATEMENT_NAMES_MAX) return undefined;
    name = `tfm_${createHash("sha256").update(text).digest("hex").slice(0, 24)}`;
    statementNames.set(text, name);
  }
  return name;
}

/**
 * Whether raw statements may be named (prepared once per connection). Not behind PgBouncer in
 * transaction mode, where consecutive statements may reach different server connections and a named
 * statement prepared on one is unknown on the next: such a URL says so as Prisma's does, `pgbouncer=true`.
 */
export function namesStatements(url: string): boolean {
  try {
    return new URL(url).searchParams.get("pgbouncer") !== "true";
  } catch {
    return true;
  }
}

function pgRawOn(client: pg.Pool | pg.PoolClient, named: boolean): PgRaw {
  const send = (q: Prisma.Sql) => {
    // Prisma.Sql builds its text on every read (a result's statement has hundreds of placeholders): once.
    const text = q.text;
    const name = named ? statementName(text) : undefined;
    return client.query({ text, values: q.values.map(pgValue), types: PG_TYPES, ...(name === undefined ? {} : { name }) });
  };
  return {
    rows: async <R>(q: Prisma.Sql) => (await send(q)).rows as R[],
    count: async (q: Prisma.Sql) => (await send(q)).rowCount ?? 0,
  };
}

/** One database: the Prisma client and how operations reach it. Create one per process (`getDatabase`). */
export class Database {
  /** Serialises operations on SQLite: its adapter shares one connection, so a query issued while another
   * operation's transaction is open would run inside that transaction. */
  private chain: Promise<unknown> = Promise.resolve();
  private closed = false;

  private constructor(
    readonly config: DbConfig,
    readonly prisma: PrismaClient,
    /** PostgreSQL: the driver's pool, which Prisma's adapter shares (null on SQLite). */
    private readonly pool: pg.Pool | null,
  ) {
    this.named = namesStatements(config.url);
  }

  /** Whether its raw statements are named (see namesStatements). */
  private readonly named: boolean;

  get provider(): Provider {
    return this.config.provider;
  }

  /** The database in words, without credentials. */
  get where(): string {
    return describeConfig(this.config);
  }

  static async connect(config: DbConfig = loadDbConfig()): Promise<Database> {
    let prisma: PrismaClient;
    let pool: pg.Pool | null = null;
    if (config.provider === "sqlite") {
      mkdirSync(path.dirname(config.file), { recursive: true });
      prisma = new SqlitePrismaClient({ adapter: new PrismaBetterSQLite3({ url: config.url, timeout: config.busyTimeoutMs }) });
    } else {
      pool = new pg.Pool({
        connectionString: config.url,
        max: config.poolMax,
        connectionTimeoutMillis: config.connectTimeoutMs,
        idleTimeoutMillis: 30_000,
      });
      // An idle connection dropped by the server must not crash the process; the next query reconnects.
      pool.on("error", () => {});
      // See the note on PrismaClient above: the one place the PostgreSQL client is given the shared type.
      prisma = new PgPrismaClient({ adapter: new PrismaPg(pool, { disposeExternalPool: true }) }) as unknown as PrismaClient;
    }
    const db = new Database(config, prisma, pool);
    if (config.provider === "sqlite") {
      await db.run("opening the database", async (p) => {
        // WAL lets readers proceed while a grader writes; NORMAL is durable across process crashes in WAL mode.
        await p.$queryRawUnsafe("PRAGMA journal_mode = WAL");
        await p.$executeRawUnsafe("PRAGMA synchronous = NORMAL");
        await p.$executeRawUnsafe("PRAGMA foreign_keys = ON");
      });
    }
    return db;
  }

  /** Runs one operation; errors come out as DbError with `what` in the message. */
  run<T>(what: string, fn: (tx: Tx) => Promise<T>): Promise<T> {
    return this.serialise(async () => {
      try {
        return await fn(this.prisma);
      } catch (e) {
        throw translateError(e, what, this.where);
      }
    });
  }

  /** Runs `fn` in one transaction: all of it is written, or none of it. */
  transaction<T>(what: string, fn: (tx: Tx) => Promise<T>): Promise<T> {
    return this.serialise(async () => {
      try {
        return await this.prisma.$transaction((tx) => fn(tx), TRANSACTION_OPTIONS);
      } catch (e) {
        throw translateError(e, what, this.where);
      }
    });
  }

  /** PostgreSQL only: raw statements on the driver's pool, without Prisma (see PgRaw); errors as in `run`. */
  async pgRun<T>(what: string, fn: (raw: PgRaw) => Promise<T>): Promise<T> {
    try {
      return await fn(pgRawOn(this.driverPool(what), this.named));
    } catch (e) {
      throw translateError(e, what, this.where);
    }
  }

  /**
   * PostgreSQL only: `fn`'s raw statements in one transaction on one connection of the pool, all of them
   * written or none. A connection that failed is destroyed, not given back to the pool. Each statement
   * may run `timeoutMs` (Prisma's interactive transactions, which these replace, were given 30 s): the
   * server cancels one that waits longer (a row lock held elsewhere), and the transaction fails.
   */
  async pgTransaction<T>(what: string, fn: (raw: PgRaw) => Promise<T>, options: { timeoutMs?: number } = {}): Promise<T> {
    const timeoutMs = options.timeoutMs ?? TRANSACTION_OPTIONS.timeout;
    if (!Number.isInteger(timeoutMs) || timeoutMs < 1) throw new RangeError(`${what}: a transaction's timeout must be a whole number of milliseconds (got ${timeoutMs})`);
    let client: pg.PoolClient;
    try {
      client = await this.driverPool(what).connect();
    } catch (e) {
      throw translateError(e, what, this.where);
    }
    let broken: Error | undefined;
    // A checked-out connection that the server drops emits "error": unheard, it would end the process
    // (a database restart during a result's write). The statement in flight fails as well, and the
    // connection is destroyed on release.
    const onError = (e: Error) => {
      broken ??= e;
    };
    client.on("error", onError);
    try {
      // One round trip: both are simple statements (the timeout is a checked integer, never input).
      await client.query(`BEGIN; SET LOCAL statement_timeout = ${timeoutMs}`);
      const value = await fn(pgRawOn(client, this.named));
      await client.query("COMMIT");
      return value;
    } catch (e) {
      try {
        await client.query("ROLLBACK");
      } catch (rollback) {
        broken = rollback instanceof Error ? rollback : new Error(String(rollback));
      }
      throw translateError(e, what, this.where);
    } finally {
      client.off("error", onError);
      client.release(broken);
    }
  }

  private driverPool(what: string): pg.Pool {
    if (this.pool === null) throw new Error(`internal: ${what} asked for PostgreSQL's driver on ${this.provider}`);
    return this.pool;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.chain.catch(() => {});
    await this.prisma.$disconnect();
  }

  private serialise<T>(fn: () => Promise<T>): Promise<T> {
    if (this.config.provider !== "sqlite") return fn();
    const next = this.chain.then(fn, fn);
    this.chain = next.catch(() => {});
    return next;
  }
}

let shared: Promise<Database> | undefined;

/** The process's one database client, configured from the environment on first use. */
export function getDatabase(): Promise<Database> {
  shared ??= Database.connect(loadDbConfig()).catch((e: unknown) => {
    shared = undefined;
    throw e;
  });
  return shared;
}
