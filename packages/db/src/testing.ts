import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { GradeResult, type TestResult, type Verdict } from "@tfm/contract";
import pg from "pg";
import { Database } from "./client.ts";
import { type DbConfig, parseDatabaseUrl } from "./env.ts";
import { DatabaseUnavailableError } from "./errors.ts";
import { migrate, quoteIdent } from "./migrate.ts";
import type { Provider } from "./schema-files.ts";

/**
 * Throw-away databases for tests and benchmarks: a SQLite file in a temp folder, or a uniquely named
 * PostgreSQL database on the server of TFM_TEST_POSTGRES_URL (default: the local one), dropped at the end.
 * TFM_TEST_POSTGRES=off skips the PostgreSQL half of the suites (for machines without a server; CI has one).
 */

export const TEST_POSTGRES_URL = process.env.TFM_TEST_POSTGRES_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";

export function testProviders(): Provider[] {
  return process.env.TFM_TEST_POSTGRES === "off" ? ["sqlite"] : ["sqlite", "postgresql"];
}

export interface ScratchDatabase {
  provider: Provider;
  url: string;
  config: DbConfig;
  /** Drops the database (PostgreSQL: terminating leftover connections first) or deletes the file. */
  drop(): Promise<void>;
}

export async function createScratchDatabase(provider: Provider, label = "test"): Promise<ScratchDatabase> {
  const tag = `${label}_${process.pid}_${randomBytes(4).toString("hex")}`.toLowerCase().replace(/[^a-z0-9_]/g, "_");
  if (provider === "sqlite") {
    const dir = mkdtempSync(path.join(os.tmpdir(), "tfm-db-"));
    const config = parseDatabaseUrl(`file:${path.join(dir, `${tag}.db`)}`);
    return { provider, url: config.url, config, drop: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  const name = `tfm_${tag}`.slice(0, 63);
  const admin = new pg.Client({ connectionString: TEST_POSTGRES_URL, connectionTimeoutMillis: 5_000 });
  try {
    await admin.connect();
  } catch (e) {
    throw new DatabaseUnavailableError(
      `PostgreSQL for tests is not reachable at ${TEST_POSTGRES_URL} (${(e as Error).message}); start it, point TFM_TEST_POSTGRES_URL at one, or set TFM_TEST_POSTGRES=off`,
    );
  }
  try {
    await admin.query(`CREATE DATABASE ${quoteIdent(name)}`);
  } finally {
    await admin.end();
  }
  const url = new URL(TEST_POSTGRES_URL);
  url.pathname = `/${name}`;
  const config = parseDatabaseUrl(url.toString());
  return {
    provider,
    url: config.url,
    config,
    drop: async () => {
      const c = new pg.Client({ connectionString: TEST_POSTGRES_URL, connectionTimeoutMillis: 5_000 });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}

/** A migrated scratch database and a client on it. */
export async function openScratchDatabase(provider: Provider, label?: string): Promise<{ db: Database; scratch: ScratchDatabase; close(): Promise<void> }> {
  const scratch = await createScratchDatabase(provider, label);
  await migrate(scratch.config);
  const db = await Database.connect(scratch.config);
  return {
    db,
    scratch,
    async close() {
      await db.close();
      await scratch.drop();
    },
  };
}

export interface SyntheticTest {
  id: string;
  status: TestResult["status"];
  kind?: TestResult["kind"];
  pitfallId?: string | null;
}

/** A GradeResult as the grader would return it (valid against the contract), for tests and benchmarks. */
export function syntheticResult(input: {
  exerciseId: string;
  exerciseVersion: string;
  seed: number;
  verdict: Verdict;
  tests?: SyntheticTest[];
  score?: number;
}): GradeResult {
  const tests: TestResult[] = (input.tests ?? []).map((t) => ({
    id: t.id,
    name: { ja: `テスト ${t.id}`, en: `test ${t.id}` },
    kind: t.kind ?? "public",
    status: t.status,
    message: t.status === "passed" ? { ja: "合格", en: "passed" } : { ja: "値が違います", en: "values differ" },
    part: null,
    expectedShape: [2, 4, 4],
    actualShape: [2, 4, 4],
    maxAbsError: t.status === "passed" ? 0 : 0.25,
    maxRelError: t.status === "passed" ? 0 : 0.5,
    mismatches: t.status === "passed" ? null : { count: 3, total: 32, nonFinite: 0, first: [[0, 1, 2]], where: null },
    pitfall:
      t.pitfallId == null
        ? null
        : { id: t.pitfallId, title: { ja: t.pitfallId, en: t.pitfallId }, explanation: { ja: "説明", en: "explanation" }, fix: { ja: "直し方", en: "fix" } },
    heatmap: null,
    durationMs: 1.5,
  }));
  const passed = tests.filter((t) => t.status === "passed").length;
  return GradeResult.parse({
    resultVersion: 1,
    exerciseId: input.exerciseId,
    exerciseVersion: input.exerciseVersion,
    seed: input.seed,
    scope: "all",
    lang: "ja",
    verdict: input.verdict,
    score: input.score ?? (tests.length === 0 ? (input.verdict === "passed" ? 1 : 0) : passed / tests.length),
    passed,
    total: tests.length,
    summary: { ja: `判定: ${input.verdict}`, en: `verdict: ${input.verdict}` },
    compileErrors: [],
    runtimeError: null,
    tests,
    console: "",
    consoleTruncated: false,
    backend: "cpu",
    graderVersion: "test",
    timings: { transpileMs: 1, sandboxMs: 2, referenceMs: 3, compareMs: 1, totalMs: 7 },
  });
}
