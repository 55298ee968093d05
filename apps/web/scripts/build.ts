import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The portal's production build, made once and reused while its sources are unchanged (a hash of the
 * app and the workspace packages it compiles in), under a lock so that parallel test suites and
 * `npm start` build it only once.
 */

export const WEB_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const ROOT = path.resolve(WEB_DIR, "../..");
export const NEXT_BIN = path.join(ROOT, "node_modules/next/dist/bin/next");
const STAMP = path.join(WEB_DIR, ".next/tfm-source-stamp");
const LOCK = path.join(WEB_DIR, ".next-build-lock");

function listFiles(dir: string, out: string[] = []): string[] {
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir).sort()) {
    if (name === "node_modules" || name === ".next" || name === "generated" || name.endsWith(".test.ts")) continue;
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) listFiles(full, out);
    else out.push(full);
  }
  return out;
}

/** A hash of everything the build depends on that we own (app sources and the workspace packages). */
export function sourceStamp(): string {
  const h = createHash("sha256");
  const files = [
    ...["app", "lib", "components"].flatMap((d) => listFiles(path.join(WEB_DIR, d))),
    ...["proxy.ts", "next.config.ts", "package.json", "tsconfig.json"].map((f) => path.join(WEB_DIR, f)),
    ...["db", "contract", "progress", "kit"].flatMap((p) => listFiles(path.join(ROOT, "packages", p, "src"))),
    ...listFiles(path.join(WEB_DIR, "editor")),
    path.join(ROOT, "prisma/models.prisma"),
  ];
  for (const f of files) if (existsSync(f)) h.update(f).update(readFileSync(f));
  return h.digest("hex");
}

async function withLock<T>(fn: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + 10 * 60_000;
  for (;;) {
    try {
      mkdirSync(LOCK);
      break;
    } catch {
      // A lock older than ten minutes belongs to a build that died.
      if (existsSync(LOCK) && Date.now() - statSync(LOCK).mtimeMs > 10 * 60_000) rmSync(LOCK, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error(`waited 10 minutes for ${LOCK}`);
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}

/** Builds the portal unless the existing build is of the current sources. */
export async function ensureWebBuild(options: { force?: boolean; onBuild?: () => void } = {}): Promise<void> {
  await withLock(async () => {
    const stamp = sourceStamp();
    if (!options.force && existsSync(path.join(WEB_DIR, ".next/BUILD_ID")) && existsSync(STAMP) && readFileSync(STAMP, "utf8") === stamp) return;
    options.onBuild?.();
    // The editor's TypeScript worker and the kit's declarations, served from public/editor.
    const { buildEditorAssets } = await import("./editor-assets.ts");
    await buildEditorAssets();
    // Asynchronous: a test worker's event loop must keep answering its runner during the build.
    const built = await new Promise<{ status: number | null; output: string }>((resolve, reject) => {
      const child = spawn(process.execPath, [NEXT_BIN, "build"], {
        cwd: WEB_DIR,
        env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1", NODE_ENV: "production" },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let output = "";
      child.stdout.on("data", (c: Buffer) => (output += c.toString()));
      child.stderr.on("data", (c: Buffer) => (output += c.toString()));
      child.on("error", reject);
      child.on("exit", (status) => resolve({ status, output }));
    });
    if (built.status !== 0) throw new Error(`next build failed:\n${built.output}`);
    writeFileSync(STAMP, stamp);
  });
}

