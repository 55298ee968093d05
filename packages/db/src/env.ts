import path from "node:path";
import { z } from "zod";
import { DbConfigError } from "./errors.ts";
import { REPO_ROOT } from "./schema-files.ts";

/** The embedded default: a SQLite file under ./data/ (git-ignored), for self-learners and development. */
export const DEFAULT_DATABASE_URL = "file:./data/tfm.db";

export const DbEnv = z
  .object({
    TFM_DATABASE_URL: z.string().min(1).optional().describe("file:<path> (SQLite) or postgres://... (PostgreSQL)"),
    DATABASE_URL: z.string().min(1).optional().describe("Prisma's name for the same; TFM_DATABASE_URL wins when both are set"),
    TFM_DB_POOL_MAX: z.coerce.number().int().min(1).max(200).default(10).describe("PostgreSQL connections per process"),
    TFM_DB_CONNECT_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(5_000).describe("give up connecting after this long"),
  })
  .strip();

export type DbConfig =
  | { provider: "sqlite"; url: string; file: string; busyTimeoutMs: number }
  | { provider: "postgresql"; url: string; poolMax: number; connectTimeoutMs: number };

/** The URL with its password replaced, for messages and logs. */
export function redactUrl(url: string): string {
  return url.replace(/^(postgres(?:ql)?:\/\/[^:/@]+:)[^@]*@/, "$1***@");
}

/** Where a config points, for messages: the file, or the server and database without credentials. */
export function describeConfig(config: DbConfig): string {
  if (config.provider === "sqlite") return `SQLite ${config.file}`;
  try {
    const u = new URL(config.url);
    return `PostgreSQL ${u.hostname}:${u.port || "5432"}${u.pathname}`;
  } catch {
    return `PostgreSQL ${redactUrl(config.url)}`;
  }
}

/** Parses a database URL; relative SQLite paths are resolved against the repository root. */
export function parseDatabaseUrl(url: string, options: { poolMax?: number; connectTimeoutMs?: number; busyTimeoutMs?: number } = {}): DbConfig {
  if (url.startsWith("file:")) {
    const raw = url.slice("file:".length).replace(/\?.*$/, "");
    if (raw.length === 0 || raw === ":memory:") {
      throw new DbConfigError(`database URL '${url}' names no file: the embedded database is a file, e.g. ${DEFAULT_DATABASE_URL}`);
    }
    const file = path.isAbsolute(raw) ? raw : path.resolve(REPO_ROOT, raw);
    // SQLite waits this long for another process's write lock before reporting the database busy.
    return { provider: "sqlite", url: `file:${file}`, file, busyTimeoutMs: options.busyTimeoutMs ?? 15_000 };
  }
  if (/^postgres(ql)?:\/\//.test(url)) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new DbConfigError(`database URL '${redactUrl(url)}' is not a valid URL`);
    }
    if (parsed.pathname.length <= 1) throw new DbConfigError(`database URL '${redactUrl(url)}' names no database (postgres://user@host:5432/<database>)`);
    return { provider: "postgresql", url, poolMax: options.poolMax ?? 10, connectTimeoutMs: options.connectTimeoutMs ?? 5_000 };
  }
  throw new DbConfigError(`database URL '${redactUrl(url)}' must start with file: (SQLite) or postgres:// / postgresql:// (PostgreSQL)`);
}

/** Reads and validates the database settings from the environment (once per process for process.env). */
export function loadDbConfig(env: NodeJS.ProcessEnv = process.env): DbConfig {
  if (env === process.env && cached !== undefined) return cached;
  const parsed = DbEnv.safeParse(env);
  if (!parsed.success) {
    throw new DbConfigError(`invalid database environment:\n${parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`).join("\n")}`);
  }
  const e = parsed.data;
  const config = parseDatabaseUrl(e.TFM_DATABASE_URL ?? e.DATABASE_URL ?? DEFAULT_DATABASE_URL, {
    poolMax: e.TFM_DB_POOL_MAX,
    connectTimeoutMs: e.TFM_DB_CONNECT_TIMEOUT_MS,
  });
  if (env === process.env) cached = config;
  return config;
}

let cached: DbConfig | undefined;
