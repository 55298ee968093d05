import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { PROVIDERS, REPO_ROOT, configFile, expectedSchema, schemaFile } from "../src/schema-files.ts";

/**
 * Generates the Prisma client of each provider into packages/db/src/generated/<provider> (git-ignored).
 * The provider schemas are written only by `npm run migration -w @tfm/db -- <name>`, together with the
 * migration that gets a database there; this refuses to run while they lag behind prisma/models.prisma.
 */
export const PLACEHOLDER_URL = { sqlite: "file:./placeholder.db", postgresql: "postgresql://placeholder@127.0.0.1:5432/placeholder" } as const;
export const PRISMA_BIN = path.join(REPO_ROOT, "node_modules", "prisma", "build", "index.js");

export function prismaCli(provider: (typeof PROVIDERS)[number], args: string[], options: { capture?: boolean; databaseUrl?: string } = {}): string {
  const out = execFileSync(process.execPath, [PRISMA_BIN, ...args, "--config", configFile(provider)], {
    cwd: REPO_ROOT,
    stdio: options.capture ? ["ignore", "pipe", "pipe"] : "inherit",
    encoding: "utf8",
    env: { ...process.env, DATABASE_URL: options.databaseUrl ?? PLACEHOLDER_URL[provider], PRISMA_HIDE_UPDATE_MESSAGE: "1", CHECKPOINT_DISABLE: "1" },
  });
  return out ?? "";
}

export function staleSchemas(): string[] {
  return PROVIDERS.filter((p) => !existsSync(schemaFile(p)) || readFileSync(schemaFile(p), "utf8") !== expectedSchema(p));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const stale = staleSchemas();
  if (stale.length > 0) {
    console.error(
      `prisma/models.prisma changed but ${stale.map((p) => `prisma/${p}/schema.prisma`).join(" and ")} did not: run \`npm run migration -w @tfm/db -- <what_changed>\` to write the migrations and the schemas`,
    );
    process.exit(1);
  }
  for (const provider of PROVIDERS) prismaCli(provider, ["generate"]);
}
