import { mkdirSync } from "node:fs";
import path from "node:path";
import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { type DbConfig, describeConfig, loadDbConfig } from "./env.ts";
import { translateError } from "./errors.ts";
import { PrismaClient as PgPrismaClient } from "./generated/postgresql/client.ts";
import { PrismaClient as SqlitePrismaClient } from "./generated/sqlite/client.ts";

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

/** One database: the Prisma client and how operations reach it. Create one per process (`getDatabase`). */
export class Database {
  /** Serialises operations on SQLite: its adapter shares one connection, so a query issued while another
   * operation's transaction is open would run inside that transaction. */
  private chain: Promise<unknown> = Promise.resolve();
  private closed = false;

  private constructor(
    readonly config: DbConfig,
    readonly prisma: PrismaClient,
  ) {}

  get provider(): Provider {
    return this.config.provider;
  }

  /** The database in words, without credentials. */
  get where(): string {
    return describeConfig(this.config);
  }

  static async connect(config: DbConfig = loadDbConfig()): Promise<Database> {
    let prisma: PrismaClient;
    if (config.provider === "sqlite") {
      mkdirSync(path.dirname(config.file), { recursive: true });
      prisma = new SqlitePrismaClient({ adapter: new PrismaBetterSQLite3({ url: config.url, timeout: config.busyTimeoutMs }) });
    } else {
      const pool = new pg.Pool({
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
    const db = new Database(config, prisma);
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
