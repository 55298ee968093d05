import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { type ScratchDatabase, createScratchDatabase, testProviders } from "../packages/db/src/testing.ts";
import { migrate } from "../packages/db/src/index.ts";
import { Database } from "../packages/db/src/client.ts";

/**
 * The grader started against a database it cannot use stops at once with one line that says what is
 * wrong and which command fixes it (issue 13): not a Prisma stack trace, not a half-started service.
 */

const ROOT = fileURLToPath(new URL("..", import.meta.url));

function start(entry: string, url: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ["--no-node-snapshot", "--import", "tsx", entry],
      { cwd: ROOT, timeout: 90_000, env: { ...process.env, TFM_DATABASE_URL: url, TFM_GRADER_PORT: "0", TFM_GRADER_WORKERS: "1", TFM_LOG_LEVEL: "silent" } },
      (err, stdout, stderr) => resolve({ code: err === null ? 0 : typeof err.code === "number" ? err.code : null, stdout, stderr }),
    );
  });
}

describe.each(testProviders())("grader start-up on an unusable %s database", (provider) => {
  const scratches: ScratchDatabase[] = [];
  afterAll(async () => {
    for (const s of scratches) await s.drop();
  });

  for (const entry of ["apps/grader/src/server.ts", "apps/grader/src/durable/main.ts"]) {
    it(`${entry}: never migrated -> exit 2 with one line naming npm run db:migrate`, async () => {
      const scratch = await createScratchDatabase(provider, "startup");
      scratches.push(scratch);
      const out = await start(entry, scratch.url);
      expect(out.code).toBe(2);
      const lines = out.stderr.trim().split("\n");
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/has not been migrated/);
      expect(lines[0]).toMatch(/npm run db:migrate/);
      expect(out.stderr).not.toMatch(/P2021|at .*\.ts:\d+/);
    }, 120_000);
  }

  it("migrated but missing the newest migration -> the same one line, naming what is missing", async () => {
    const scratch = await createScratchDatabase(provider, "startup_old");
    scratches.push(scratch);
    await migrate(scratch.config);
    const db = await Database.connect(scratch.config);
    const newest = await db.run("t", (p) => p.$queryRawUnsafe<{ migration_name: string }[]>(`SELECT migration_name FROM "_prisma_migrations" ORDER BY migration_name DESC LIMIT 1`));
    await db.run("t", (p) => p.$executeRawUnsafe(`DELETE FROM "_prisma_migrations" WHERE migration_name = '${newest[0]?.migration_name}'`));
    await db.close();
    const out = await start("apps/grader/src/server.ts", scratch.url);
    expect(out.code).toBe(2);
    const lines = out.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/1 migration.* not applied/);
    expect(lines[0]).toContain(newest[0]?.migration_name ?? "?");
    expect(lines[0]).toMatch(/npm run db:migrate/);
  }, 120_000);
});
