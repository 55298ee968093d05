import os from "node:os";
import { Database, describeConfig, loadDbConfig, syncExercises } from "@tfm/db";
import { z } from "zod";
import { loadCatalog } from "../catalog.ts";
import { loadConfig } from "../config.ts";
import { createLogger } from "../log.ts";
import { GraderPool } from "../pool.ts";
import { DurableRunner, catalogVersions, defaultClaimAhead, defaultLoops } from "./runner.ts";
import { StartupError, assertMigrated } from "./startup.ts";

/**
 * Durable grading process: claims submissions from the database (TFM_DATABASE_URL), grades them on a
 * pool of sandbox workers and writes the results. Run several of these processes against one
 * PostgreSQL database to share the queue. Lease, renewal, polling and attempts are the service's own
 * settings (TFM_LEASE_MS, TFM_LEASE_RENEW_MS, TFM_POLL_MS, TFM_MAX_ATTEMPTS, TFM_RETRY_DELAY_MS,
 * TFM_WORKER_ID: see config.ts), so both entry points behave the same.
 *
 *   node --no-node-snapshot --import tsx apps/grader/src/durable/main.ts [--drain]
 *
 * --drain: exit 0 once the queue is empty (seeding, batch regrades, tests).
 */
export const DurableConfig = z
  .object({
    TFM_DURABLE_LOOPS: z.coerce.number().int().min(1).max(64).optional().describe("jobs graded at once; default: the pool's worker count"),
  })
  .strip();

async function main(): Promise<void> {
  const drain = process.argv.includes("--drain");
  const parsed = DurableConfig.safeParse(process.env);
  if (!parsed.success) throw new StartupError(`invalid durable grader environment: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
  const env = parsed.data;
  const grader = loadConfig(process.env);
  const logger = createLogger(grader.TFM_LOG_LEVEL);
  const dbConfig = loadDbConfig();
  const db = await Database.connect(dbConfig);
  await assertMigrated(db, describeConfig(dbConfig)).catch(async (e: unknown) => {
    await db.close();
    throw e;
  });
  const catalog = loadCatalog(grader.TFM_EXERCISES_DIR, grader.TFM_REFERENCE_DIR);
  await syncExercises(db, catalogVersions(catalog));

  const loops = env.TFM_DURABLE_LOOPS ?? defaultLoops(grader.TFM_GRADER_WORKERS);
  const pool = new GraderPool({ size: grader.TFM_GRADER_WORKERS, catalog, env: process.env, queueLimit: grader.TFM_QUEUE_LIMIT });
  await pool.start();
  const workerId = grader.TFM_WORKER_ID ?? `${os.hostname()}:${process.pid}`;
  const runner = new DurableRunner({
    db,
    grader: pool,
    workerId,
    loops,
    claimAhead: grader.TFM_CLAIM_AHEAD ?? defaultClaimAhead(grader.TFM_GRADER_WORKERS),
    leaseMs: grader.TFM_LEASE_MS,
    ...(grader.TFM_LEASE_RENEW_MS === undefined ? {} : { leaseRenewMs: grader.TFM_LEASE_RENEW_MS }),
    pollMs: grader.TFM_POLL_MS,
    maxAttempts: grader.TFM_MAX_ATTEMPTS,
    retryDelayMs: grader.TFM_RETRY_DELAY_MS,
    logger,
  });
  runner.start();
  logger.info(
    { event: "started", workerId, loops, workers: grader.TFM_GRADER_WORKERS, backend: pool.stats().backend, database: describeConfig(dbConfig), leaseMs: grader.TFM_LEASE_MS },
    "durable grader started",
  );

  let closing = false;
  const shutdown = async (code: number) => {
    if (closing) return;
    closing = true;
    await runner.stop();
    await pool.close();
    await db.close();
    process.exit(code);
  };
  process.on("SIGINT", () => void shutdown(0));
  process.on("SIGTERM", () => void shutdown(0));
  if (drain) {
    await runner.drain();
    const s = runner.stats();
    logger.info({ event: "drained", ...s }, `queue drained: ${s.completed} graded, ${s.leaseLost} lost leases, ${s.abandoned} handed back`);
    await shutdown(0);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((e: unknown) => {
    if (e instanceof StartupError) {
      console.error(`durable grader not started: ${e.message}`);
      process.exit(2);
    }
    console.error(e instanceof Error ? `${e.name}: ${e.message}` : e);
    process.exit(1);
  });
}
