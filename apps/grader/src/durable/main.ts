import os from "node:os";
import { Database, describeConfig, loadDbConfig, syncExercises } from "@tfm/db";
import { z } from "zod";
import { loadCatalog } from "../catalog.ts";
import { loadConfig } from "../config.ts";
import { GraderPool } from "../pool.ts";
import { DurableRunner, catalogVersions, defaultLoops } from "./runner.ts";

/**
 * Durable grading process: N loops that claim submissions from the database (TFM_DATABASE_URL),
 * grade them on a pool of sandbox workers and write the results. Run several of these processes
 * against one PostgreSQL database to share the queue.
 *
 *   node --no-node-snapshot --import tsx apps/grader/src/durable/main.ts [--drain]
 *
 * --drain: exit 0 once the queue is empty (seeding, batch regrades, tests).
 */
export const DurableConfig = z
  .object({
    TFM_DURABLE_LOOPS: z.coerce.number().int().min(1).max(64).optional().describe("jobs taken at once; default: twice the pool's worker count"),
    TFM_LEASE_MS: z.coerce.number().int().min(200).max(3_600_000).default(60_000).describe("lease per claim, renewed every third"),
    TFM_POLL_MS: z.coerce.number().int().min(10).max(60_000).default(500).describe("wait between empty polls"),
    TFM_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(3).describe("claims per round before a job is given up"),
    TFM_RETRY_DELAY_MS: z.coerce.number().int().min(0).max(600_000).default(5_000).describe("first back-off after an internal error"),
    TFM_WORKER_ID: z.string().min(1).max(200).optional().describe("lease owner prefix; default host:pid"),
  })
  .strip();

function fail(message: string): never {
  console.error(message);
  process.exit(2);
}

async function main(): Promise<void> {
  const drain = process.argv.includes("--drain");
  const parsed = DurableConfig.safeParse(process.env);
  if (!parsed.success) fail(`invalid durable grader environment:\n${parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`).join("\n")}`);
  const env = parsed.data;
  const grader = loadConfig(process.env);
  const dbConfig = loadDbConfig();
  const catalog = loadCatalog(grader.TFM_EXERCISES_DIR, grader.TFM_REFERENCE_DIR);
  const db = await Database.connect(dbConfig);
  await syncExercises(db, catalogVersions(catalog));

  const loops = env.TFM_DURABLE_LOOPS ?? defaultLoops(grader.TFM_GRADER_WORKERS);
  const pool = new GraderPool({ size: grader.TFM_GRADER_WORKERS, catalog, env: process.env, queueLimit: grader.TFM_QUEUE_LIMIT });
  await pool.start();
  const workerId = env.TFM_WORKER_ID ?? `${os.hostname()}:${process.pid}`;
  const runner = new DurableRunner({
    db,
    grader: pool,
    workerId,
    loops,
    leaseMs: env.TFM_LEASE_MS,
    pollMs: env.TFM_POLL_MS,
    maxAttempts: env.TFM_MAX_ATTEMPTS,
    retryDelayMs: env.TFM_RETRY_DELAY_MS,
  });
  runner.start();
  console.log(
    `durable grader ${workerId}: ${loops} loop(s), ${grader.TFM_GRADER_WORKERS} worker(s), backend ${pool.stats().backend}, ${describeConfig(dbConfig)}`,
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
    console.log(`queue drained: ${s.completed} graded, ${s.leaseLost} lost leases, ${s.abandoned} handed back`);
    await shutdown(0);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((e: unknown) => {
    console.error(e instanceof Error ? `${e.name}: ${e.message}` : e);
    process.exit(1);
  });
}
