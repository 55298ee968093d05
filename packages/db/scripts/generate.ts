import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { PROVIDERS, REPO_ROOT, configFile, expectedSchema, schemaFile } from "../src/schema-files.ts";

/** Writes both provider schemas from prisma/models.prisma and generates a client for each. */
const PLACEHOLDER_URL = { sqlite: "file:./placeholder.db", postgresql: "postgresql://placeholder@127.0.0.1:5432/placeholder" } as const;
const prismaBin = path.join(REPO_ROOT, "node_modules", "prisma", "build", "index.js");

for (const provider of PROVIDERS) {
  const file = schemaFile(provider);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, expectedSchema(provider));
  if (process.argv.includes("--schemas-only")) continue;
  execFileSync(process.execPath, [prismaBin, "generate", "--config", configFile(provider)], {
    cwd: REPO_ROOT,
    stdio: "inherit",
    env: { ...process.env, DATABASE_URL: PLACEHOLDER_URL[provider], PRISMA_HIDE_UPDATE_MESSAGE: "1", CHECKPOINT_DISABLE: "1" },
  });
}
