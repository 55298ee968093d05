/**
 * `npm start`: the grader service (and the portal, once it exists) on the embedded default,
 * in one terminal, stopped together with Ctrl-C.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

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

run("grader", ["--no-node-snapshot", "--import", "tsx", "apps/grader/src/server.ts"]);
if (existsSync(`${root}apps/web/package.json`) && existsSync(`${root}apps/web/scripts/serve.ts`)) {
  run("web", ["--import", "tsx", "apps/web/scripts/serve.ts"]);
}
