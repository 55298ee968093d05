import os from "node:os";
import { Database, describeConfig, loadDbConfig, loadRateLimits, syncExercises } from "@tfm/db";
import { loadCatalog } from "./catalog.ts";
import { loadConfig } from "./config.ts";
import { DurableRunner, catalogVersions, defaultClaimAhead, defaultLoops } from "./durable/runner.ts";
import { StartupError, assertMigrated } from "./durable/startup.ts";
import { createApp } from "./http/app.ts";
import { submissionRouter } from "./http/submission-routes.ts";
import { createLogger } from "./log.ts";
import { GraderPool } from "./pool.ts";

/** Starts the grader service: the worker pool and the HTTP API (and, with a database, the durable runner). */
export async function startGrader(env: NodeJS.ProcessEnv = process.env) {
  const config = loadConfig(env);
  const logger = createLogger(config.TFM_LOG_LEVEL, env);
  // The database first: an unusable one stops the service before any worker is started.
  let db: Database | null = null;
  if (config.TFM_DATABASE_URL !== undefined) {
    const dbConfig = loadDbConfig({ ...env, TFM_DATABASE_URL: config.TFM_DATABASE_URL });
    db = await Database.connect(dbConfig);
    try {
      await assertMigrated(db, describeConfig(dbConfig));
    } catch (e) {
      await db.close();
      throw e;
    }
  }
  const catalog = loadCatalog(config.TFM_EXERCISES_DIR, config.TFM_REFERENCE_DIR);
  for (const p of catalog.problems) logger.warn({ event: "exercise_left_out", folder: p.folder, reason: p.message }, `exercise '${p.folder}' left out`);
  const pool = new GraderPool({ size: config.TFM_GRADER_WORKERS, catalog, env, queueLimit: config.TFM_QUEUE_LIMIT });
  await pool.start();
  // With a database, submissions are durable: stored first, graded by the runner, kept.
  let durable: { db: Database; runner: DurableRunner } | null = null;
  if (db !== null) {
    await syncExercises(db, catalogVersions(catalog));
    const runner = new DurableRunner({
      db,
      grader: pool,
      workerId: config.TFM_WORKER_ID ?? `${os.hostname()}:${process.pid}`,
      loops: defaultLoops(config.TFM_GRADER_WORKERS),
      claimAhead: config.TFM_CLAIM_AHEAD ?? defaultClaimAhead(config.TFM_GRADER_WORKERS),
      leaseMs: config.TFM_LEASE_MS,
      ...(config.TFM_LEASE_RENEW_MS === undefined ? {} : { leaseRenewMs: config.TFM_LEASE_RENEW_MS }),
      pollMs: config.TFM_POLL_MS,
      maxAttempts: config.TFM_MAX_ATTEMPTS,
      retryDelayMs: config.TFM_RETRY_DELAY_MS,
      logger,
    });
    runner.start();
    durable = { db, runner };
  }
  const token = config.TFM_GRADER_TOKEN ? { token: config.TFM_GRADER_TOKEN } : {};
  const routers = durable
    ? [submissionRouter({ db: durable.db, rateLimits: loadRateLimits(env), logger, onSubmitted: () => durable?.runner.wake(), ...token })]
    : [];
  const app = createApp({
    pool,
    catalog,
    bodyLimit: config.TFM_BODY_LIMIT,
    routers,
    logger,
    runLimits: { perMinute: config.TFM_RUN_PER_MINUTE, concurrency: config.TFM_RUN_CONCURRENCY },
    ...token,
  });
  const server = await new Promise<import("node:http").Server>((resolve) => {
    const s = app.listen(config.TFM_GRADER_PORT, config.TFM_GRADER_HOST, () => resolve(s));
  });
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : config.TFM_GRADER_PORT;
  return {
    port,
    url: `http://${config.TFM_GRADER_HOST}:${port}`,
    pool,
    durable,
    logger,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (durable) await durable.runner.stop();
      await pool.close();
      if (durable) await durable.db.close();
    },
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  startGrader().then(
    (g) => {
      // Plain text on purpose: launchers (npm start, tests, benches) wait for this exact line.
      console.log(`grader listening on ${g.url} (workers: ${g.pool.stats().size}, backend: ${g.pool.stats().backend})`);
      const stop = () => void g.close().then(() => process.exit(0));
      process.on("SIGINT", stop);
      process.on("SIGTERM", stop);
    },
    (e: unknown) => {
      // One line an operator can act on (an unmigrated database names the command); anything else in full.
      if (e instanceof StartupError) {
        console.error(`grader not started: ${e.message}`);
        process.exit(2);
      }
      console.error(e);
      process.exit(1);
    },
  );
}
