import { loadCatalog } from "./catalog.ts";
import { loadConfig } from "./config.ts";
import { createApp } from "./http/app.ts";
import { GraderPool } from "./pool.ts";

/** Starts the grader service: the worker pool and the HTTP API. */
export async function startGrader(env: NodeJS.ProcessEnv = process.env) {
  const config = loadConfig(env);
  const catalog = loadCatalog(config.TFM_EXERCISES_DIR, config.TFM_REFERENCE_DIR);
  for (const p of catalog.problems) console.error(`exercise '${p.folder}' left out: ${p.message}`);
  const pool = new GraderPool({ size: config.TFM_GRADER_WORKERS, catalog, env, queueLimit: config.TFM_QUEUE_LIMIT });
  await pool.start();
  const app = createApp({ pool, catalog, bodyLimit: config.TFM_BODY_LIMIT });
  const server = await new Promise<import("node:http").Server>((resolve) => {
    const s = app.listen(config.TFM_GRADER_PORT, config.TFM_GRADER_HOST, () => resolve(s));
  });
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : config.TFM_GRADER_PORT;
  return {
    port,
    url: `http://${config.TFM_GRADER_HOST}:${port}`,
    pool,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await pool.close();
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
