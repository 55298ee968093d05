/**
 * `npm start`: the grader service (and the portal, once it exists) on the embedded default
 * (a SQLite file under ./data, migrated first), in one terminal, stopped together with Ctrl-C.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { ensureGraderToken } from "./grader-token.ts";

const root = fileURLToPath(new URL("../", import.meta.url));
const children: ChildProcess[] = [];

function run(name: string, args: string[], env: NodeJS.ProcessEnv = {}): void {
  const child = spawn(process.execPath, args, { cwd: root, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  const prefix = (chunk: Buffer) => chunk.toString().replace(/\n(?!$)/g, `\n[${name}] `).replace(/^/, `[${name}] `);
  child.stdout?.on("data", (c: Buffer) => process.stdout.write(prefix(c)));
  child.stderr?.on("data", (c: Buffer) => process.stderr.write(prefix(c)));
  child.on("exit", (code) => {
    console.log(`[${name}] exited with ${code}`);
    shutdown(code ?? 1);
  });
  children.push(child);
}

let stopping = false;
function shutdown(code: number): void {
  if (stopping) return;
  stopping = true;
  for (const c of children) c.kill("SIGTERM");
  setTimeout(() => process.exit(code), 500).unref();
}

process.on("SIGINT", () => shutdown(0));
process.on("SIGTERM", () => shutdown(0));

process.env.TFM_DATABASE_URL ??= "file:./data/tfm.db";
const dbFile = process.env.TFM_DATABASE_URL.startsWith("file:") ? process.env.TFM_DATABASE_URL.slice("file:".length) : null;
const fresh = dbFile !== null && !existsSync(dbFile.startsWith("/") ? dbFile : `${root}${dbFile}`);
const migrated = spawnSync(process.execPath, ["--import", "tsx", "packages/db/scripts/migrate.ts"], { cwd: root, stdio: "inherit", env: process.env });
if (migrated.status !== 0) {
  console.error("[start] the database could not be migrated; see above");
  process.exit(1);
}

// A new embedded database gets the demo class (real gradings, about a minute) unless TFM_NO_DEMO=1.
if (fresh && process.env.TFM_NO_DEMO !== "1") {
  console.log("[start] new database: seeding the demo class (instructor sensei@example.org, invite code DEMO-2026)");
  const seeded = spawnSync(process.execPath, ["--no-node-snapshot", "--import", "tsx", "prisma/seed.ts"], { cwd: root, stdio: "inherit", env: process.env });
  if (seeded.status !== 0) console.error("[start] seeding the demo failed; the service starts without it");
}

// The grader's code-running routes need a token, so no other local process can use them: generated
// on first start and kept in ./data/grader-token (mode 600), unless TFM_GRADER_TOKEN is set.
if (process.env.TFM_GRADER_TOKEN === undefined || process.env.TFM_GRADER_TOKEN === "") {
  const { token, file, created } = ensureGraderToken(`${root}data`);
  process.env.TFM_GRADER_TOKEN = token;
  if (created) console.log(`[start] generated the grader's token in ${file} (mode 600)`);
}

run("grader", ["--no-node-snapshot", "--import", "tsx", "apps/grader/src/server.ts"]);
if (existsSync(`${root}apps/web/package.json`) && existsSync(`${root}apps/web/scripts/serve.ts`)) {
  // The portal talks to the grader beside it and reads the same database (it builds itself on first start).
  const graderUrl = `http://127.0.0.1:${process.env.TFM_GRADER_PORT ?? "4010"}`;
  run("web", ["--import", "tsx", "apps/web/scripts/serve.ts"], { TFM_GRADER_URL: process.env.TFM_GRADER_URL ?? graderUrl });
  const webUrl = `http://${process.env.TFM_WEB_HOST ?? "127.0.0.1"}:${process.env.TFM_WEB_PORT ?? "3000"}`;
  console.log(
    [
      `[start] portal ${webUrl} (ready once "[web] ✓ Ready" appears), grader ${graderUrl}`,
      "[start] demo accounts (password transformer-demo): instructor sensei@example.org; students aiko@example.org, kenji@example.org, maria@example.org, takumi@example.org, li@example.org, yui@example.org",
      "[start] self-learners: sign up on the portal, no class needed; students join the demo class with invite code DEMO-2026",
    ].join("\n"),
  );
}
