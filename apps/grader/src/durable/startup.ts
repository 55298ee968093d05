import { type Database, readMigrations } from "@tfm/db";
import { z } from "zod";

/**
 * A start-up problem an operator fixes with one command: the service prints `message` as one line and
 * exits 2, instead of failing later on the first query with a driver's stack trace.
 */
export class StartupError extends Error {
  override name = "StartupError";
}

const MIGRATE = "run `npm run db:migrate` with the same TFM_DATABASE_URL, then start the grader again";
const Applied = z.array(z.object({ migration_name: z.string() }));

/**
 * Throws StartupError unless every migration in prisma/<provider>/migrations is applied to `db`.
 * `where` names the database (describeConfig: no password).
 */
export async function assertMigrated(db: Database, where: string): Promise<void> {
  const hasTable = await db.run("looking for the migration history", async (p) => {
    const rows =
      db.provider === "postgresql"
        ? await p.$queryRawUnsafe(`SELECT to_regclass('"_prisma_migrations"') IS NOT NULL AS present`)
        : await p.$queryRawUnsafe(`SELECT COUNT(*) > 0 AS present FROM sqlite_master WHERE type = 'table' AND name = '_prisma_migrations'`);
    const present = z.array(z.object({ present: z.union([z.boolean(), z.number(), z.bigint()]) })).parse(rows)[0]?.present;
    return present === true || present === 1 || present === 1n;
  });
  if (!hasTable) throw new StartupError(`the database ${where} has not been migrated (it has no tables yet): ${MIGRATE}`);
  const applied = await db.run("reading the migration history", async (p) =>
    Applied.parse(await p.$queryRawUnsafe(`SELECT migration_name FROM "_prisma_migrations" WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL`)),
  );
  const done = new Set(applied.map((r) => r.migration_name));
  const missing = readMigrations(db.provider).filter((m) => !done.has(m.name)).map((m) => m.name);
  if (missing.length === 0) return;
  const shown = missing.length > 3 ? `${missing.slice(0, 3).join(", ")} and ${missing.length - 3} more` : missing.join(", ");
  throw new StartupError(`the database ${where} has not been migrated to this version: ${missing.length} migration(s) not applied (${shown}): ${MIGRATE}`);
}
