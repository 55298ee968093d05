import os from "node:os";
import { Database, loadDbConfig, loadRateLimits, syncExercises } from "@tfm/db";
import { loadCatalog } from "./catalog.ts";
import { loadConfig } from "./config.ts";
import { DurableRunner, catalogVersions, defaultLoops } from "./durable/runner.ts";
import { createApp } from "./http/app.ts";
import { submissionRouter } from "./http/submission-routes.ts";
import { GraderPool } from "./pool.ts";

/** Starts the grader service: the worker pool and the HTTP API. */
export async function startGrader(env: NodeJS.ProcessEnv = process.env) {
  const config = loadConfig(env);
  const catalog = loadCatalog(config.TFM_EXERCISES_DIR, config.TFM_REFERENCE_DIR);
  for (const p of catalog.problems) console.error(`exercise '${p.folder}' left out: ${p.message}`);
  const pool = new GraderPool({ size: config.TFM_GRADER_WORKERS, catalog, env, queueLimit: config.TFM_QUEUE_LIMIT });
  await pool.start();
  // With a database, submissions are durable: stored first, graded by the runner, kept.
  let durable: { db: Database; runner: DurableRunner } | null = null;
  if (config.TFM_DATABASE_URL !== undefined) {
    const db = await Database.connect(loadDbConfig({ ...env, TFM_DATABASE_URL: config.TFM_DATABASE_URL }));
    await syncExercises(db, catalogVersions(catalog));
    const runner = new DurableRunner({ db, grader: pool, workerId: `${os.hostname()}:${process.pid}`, loops: defaultLoops(config.TFM_GRADER_WORKERS) });
    runner.start();
    durable = { db, runner };
  }
  const routers = durable
    ? [submissionRouter({ db: durable.db, rateLimits: loadRateLimits(env), ...(config.TFM_GRADER_TOKEN ? { token: config.TFM_GRADER_TOKEN } : {}) })]
    : [];
  const app = createApp({ pool, catalog, bodyLimit: config.TFM_BODY_LIMIT, routers, ...(config.TFM_GRADER_TOKEN ? { token: config.TFM_GRADER_TOKEN } : {}) });
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
      console.log(`grader listening on ${g.url} (workers: ${g.pool.stats().size}, backend: ${g.pool.stats().backend})`);
      const stop = () => void g.close().then(() => process.exit(0));
      process.on("SIGINT", stop);
      process.on("SIGTERM", stop);
    },
    (e: unknown) => {
      console.error(e);
      process.exit(1);
    },
  );
}
