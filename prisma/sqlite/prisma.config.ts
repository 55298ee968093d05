import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";
import { defineConfig } from "prisma/config";

// Prisma 6.19's JavaScript schema engine: the native one would be downloaded, which fails offline.
// `npm run db:migrate` sets DATABASE_URL to an absolute file: URL before it runs `prisma migrate deploy`.
export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  schema: "./schema.prisma",
  migrations: { path: "./migrations" },
  async adapter() {
    return new PrismaBetterSQLite3({ url: process.env.DATABASE_URL ?? "file:./placeholder.db" });
  },
});
