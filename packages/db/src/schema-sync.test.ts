import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import BetterSqlite3 from "better-sqlite3";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { migrate } from "./migrate.ts";
import { PROVIDERS, type Provider, REPO_ROOT, configFile, expectedSchema, migrationsDir, schemaFile } from "./schema-files.ts";
import { TEST_POSTGRES_URL, createScratchDatabase, testProviders } from "./testing.ts";

/** The two provider schemas are generated from prisma/models.prisma, and the migrations build exactly them. */

describe("provider schemas", () => {
  it.each(PROVIDERS)("prisma/%s/schema.prisma is prisma/models.prisma with its provider header", (provider) => {
    expect(readFileSync(schemaFile(provider), "utf8"), "run `npm run migration -w @tfm/db -- <name>` after editing prisma/models.prisma").toBe(
      expectedSchema(provider),
    );
    expect(readFileSync(path.join(migrationsDir(provider), "migration_lock.toml"), "utf8")).toContain(`provider = "${provider}"`);
  });
});

type Shape = Record<string, unknown>;

function sqliteShape(file: string): Shape {
  const db = new BetterSqlite3(file, { readonly: true });
  try {
    const tables = (db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> '_prisma_migrations' ORDER BY name`).all() as { name: string }[]).map((t) => t.name);
    return Object.fromEntries(
      tables.map((t) => [
        t,
        {
          columns: db.pragma(`table_info("${t}")`),
          indexes: (db.pragma(`index_list("${t}")`) as { name: string; unique: number; origin: string }[])
            .map((i) => ({ ...i, columns: db.pragma(`index_info("${i.name}")`) }))
            .sort((a, b) => a.name.localeCompare(b.name)),
          foreignKeys: db.pragma(`foreign_key_list("${t}")`),
        },
      ]),
    );
  } finally {
    db.close();
  }
}

async function postgresShape(url: string): Promise<Shape> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const q = async (sql: string) => (await c.query(sql)).rows;
    return {
      columns: await q(
        `SELECT table_name, column_name, data_type, udt_name, is_nullable, column_default FROM information_schema.columns WHERE table_schema = 'public' AND table_name <> '_prisma_migrations' ORDER BY table_name, column_name`,
      ),
      indexes: await q(`SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename <> '_prisma_migrations' ORDER BY indexname`),
      constraints: await q(
        `SELECT conrelid::regclass::text AS tbl, conname, pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE connamespace = 'public'::regnamespace AND conrelid::regclass::text NOT IN ('_prisma_migrations', '"_prisma_migrations"') ORDER BY tbl, conname`,
      ),
      enums: await q(`SELECT t.typname, array_agg(e.enumlabel ORDER BY e.enumsortorder) AS labels FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid GROUP BY t.typname ORDER BY t.typname`),
    };
  } finally {
    await c.end();
  }
}

/** The SQL Prisma would write for an empty database, straight from the provider schema. */
function fromDatamodel(provider: Provider): string {
  return execFileSync(
    process.execPath,
    [path.join(REPO_ROOT, "node_modules/prisma/build/index.js"), "migrate", "diff", "--config", configFile(provider), "--from-empty", "--to-schema-datamodel", schemaFile(provider), "--script"],
    {
      cwd: REPO_ROOT,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, DATABASE_URL: provider === "sqlite" ? "file:./placeholder.db" : TEST_POSTGRES_URL, CHECKPOINT_DISABLE: "1", PRISMA_HIDE_UPDATE_MESSAGE: "1" },
    },
  );
}

describe.each(testProviders())("migrations on %s", (provider) => {
  it("build the same tables, columns, indexes and constraints as the schema (no drift)", async () => {
    const migrated = await createScratchDatabase(provider, "migrated");
    const direct = await createScratchDatabase(provider, "direct");
    try {
      const report = await migrate(migrated.config);
      expect(report.applied.length).toBeGreaterThan(0);
      expect(await migrate(migrated.config)).toEqual({ applied: [], alreadyApplied: report.applied });
      const sql = fromDatamodel(provider);
      if (provider === "sqlite" && direct.config.provider === "sqlite" && migrated.config.provider === "sqlite") {
        const db = new BetterSqlite3(direct.config.file);
        db.exec(sql);
        db.close();
        expect(sqliteShape(migrated.config.file)).toEqual(sqliteShape(direct.config.file));
      } else {
        const c = new pg.Client({ connectionString: direct.url });
        await c.connect();
        await c.query(sql);
        await c.end();
        expect(await postgresShape(migrated.url)).toEqual(await postgresShape(direct.url));
      }
    } finally {
      await migrated.drop();
      await direct.drop();
    }
  });
});
