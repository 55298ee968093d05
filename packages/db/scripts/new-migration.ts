import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { PROVIDERS, expectedSchema, migrationsDir, schemaFile } from "../src/schema-files.ts";
import { prismaCli } from "./generate.ts";

/**
 * Writes the next migration of both databases after prisma/models.prisma changed:
 *   npm run migration -w @tfm/db -- add_submission_tags
 * Each migration is the diff from the checked-in provider schema (the state the existing migrations
 * produce; the drift test proves it) to the new one; then the schemas are rewritten and the clients
 * generated. `prisma migrate dev` cannot do this here: it needs a shadow database the JavaScript
 * schema engine does not support (and on PostgreSQL 15 it cannot introspect).
 */
const name = process.argv[2];
if (name === undefined || !/^[a-z0-9_]+$/.test(name)) {
  console.error("usage: npm run migration -w @tfm/db -- <name_in_snake_case>");
  process.exit(2);
}
// Prisma's PostgreSQL diff connects to a server even between two schema files (nothing is written).
const POSTGRES_URL = process.env.TFM_TEST_POSTGRES_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";
const stamp = new Date().toISOString().replace(/[-:T]/g, "").slice(0, 14);
const tmp = path.join(os.tmpdir(), `tfm-migration-${process.pid}`);
mkdirSync(tmp, { recursive: true });
let wrote = 0;
for (const provider of PROVIDERS) {
  const next = expectedSchema(provider);
  const current = readFileSync(schemaFile(provider), "utf8");
  if (current === next) continue;
  const nextFile = path.join(tmp, `${provider}.prisma`);
  writeFileSync(nextFile, next);
  const sql = prismaCli(provider, ["migrate", "diff", "--from-schema-datamodel", schemaFile(provider), "--to-schema-datamodel", nextFile, "--script"], {
    capture: true,
    ...(provider === "postgresql" ? { databaseUrl: POSTGRES_URL } : {}),
  });
  const dir = path.join(migrationsDir(provider), `${stamp}_${name}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, "migration.sql"), sql);
  writeFileSync(schemaFile(provider), next);
  console.log(`wrote ${path.relative(process.cwd(), path.join(dir, "migration.sql"))}`);
  wrote++;
}
if (wrote === 0) console.log("prisma/models.prisma has no changes without a migration");
for (const provider of PROVIDERS) prismaCli(provider, ["generate"]);
