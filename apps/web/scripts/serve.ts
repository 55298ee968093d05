/**
 * Starts the portal for `npm start` (scripts/start.ts): builds it first when there is no production
 * build of the current sources (or TFM_WEB_REBUILD=1), then `next start` on TFM_WEB_HOST:TFM_WEB_PORT (127.0.0.1:3000), against
 * the same database as the grader (TFM_DATABASE_URL, made absolute: the bundled portal cannot resolve
 * paths relative to the repository).
 */
import { spawn } from "node:child_process";
import path from "node:path";
import { z } from "zod";
import { ROOT, WEB_DIR, ensureWebBuild } from "./build.ts";

const appDir = WEB_DIR;
const root = ROOT;
const Env = z
  .object({
    TFM_WEB_PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    TFM_WEB_HOST: z.string().min(1).default("127.0.0.1"),
    TFM_DATABASE_URL: z.string().min(1).default("file:./data/tfm.db"),
    TFM_WEB_REBUILD: z.enum(["0", "1"]).default("0"),
  })
  .strip();
const env = Env.parse(process.env);
const dbUrl = env.TFM_DATABASE_URL.startsWith("file:") && !path.isAbsolute(env.TFM_DATABASE_URL.slice(5))
  ? `file:${path.resolve(root, env.TFM_DATABASE_URL.slice(5))}`
  : env.TFM_DATABASE_URL;
const childEnv = { ...process.env, TFM_DATABASE_URL: dbUrl, NEXT_TELEMETRY_DISABLED: "1" };

try {
  await ensureWebBuild({ force: env.TFM_WEB_REBUILD === "1", onBuild: () => console.log("building the portal (next build, a minute or two) ...") });
} catch (e) {
  console.error((e as Error).message);
  process.exit(1);
}
// The portal's own server (scripts/server.ts) rather than `next start`: it records the client's real
// address for the sign-in throttle.
const child = spawn(process.execPath, ["--import", "tsx", path.join(appDir, "scripts/server.ts"), "-H", env.TFM_WEB_HOST, "-p", String(env.TFM_WEB_PORT)], { cwd: appDir, env: childEnv, stdio: "inherit" });
for (const sig of ["SIGINT", "SIGTERM"] as const) process.on(sig, () => child.kill(sig));
child.on("exit", (code) => process.exit(code ?? 1));
