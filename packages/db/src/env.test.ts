import path from "node:path";
import { describe, expect, it } from "vitest";
import { DEFAULT_DATABASE_URL, loadDbConfig, parseDatabaseUrl, redactUrl } from "./env.ts";
import { DbConfigError } from "./errors.ts";
import { REPO_ROOT } from "./schema-files.ts";

describe("database configuration", () => {
  it("defaults to the embedded SQLite file under ./data/, resolved from the repository root", () => {
    const config = loadDbConfig({});
    expect(DEFAULT_DATABASE_URL).toBe("file:./data/tfm.db");
    expect(config).toMatchObject({ provider: "sqlite", file: path.join(REPO_ROOT, "data", "tfm.db") });
  });

  it("chooses the provider from the URL; TFM_DATABASE_URL wins over DATABASE_URL", () => {
    expect(loadDbConfig({ DATABASE_URL: "postgres://u:p@db:5432/tfm" }).provider).toBe("postgresql");
    expect(loadDbConfig({ DATABASE_URL: "postgres://u:p@db:5432/tfm", TFM_DATABASE_URL: "file:/tmp/x.db" })).toMatchObject({ provider: "sqlite", file: "/tmp/x.db" });
    expect(loadDbConfig({ TFM_DATABASE_URL: "postgresql://db/tfm", TFM_DB_POOL_MAX: "3" })).toMatchObject({ provider: "postgresql", poolMax: 3 });
  });

  it("refuses what it cannot use, naming the problem", () => {
    expect(() => parseDatabaseUrl("mysql://db/tfm")).toThrow(DbConfigError);
    expect(() => parseDatabaseUrl("mysql://db/tfm")).toThrow(/must start with file:/);
    expect(() => parseDatabaseUrl("postgres://db")).toThrow(/names no database/);
    expect(() => parseDatabaseUrl("file::memory:")).toThrow(/names no file/);
    expect(() => loadDbConfig({ TFM_DB_POOL_MAX: "0" })).toThrow(/TFM_DB_POOL_MAX/);
  });

  it("never shows a password in messages", () => {
    expect(redactUrl("postgresql://tfm:s3cret@db:5432/tfm")).toBe("postgresql://tfm:***@db:5432/tfm");
    try {
      parseDatabaseUrl("postgresql://tfm:s3cret@db:5432");
    } catch (e) {
      expect((e as Error).message).not.toContain("s3cret");
    }
  });
});
