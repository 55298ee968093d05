import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["packages/*/src/**/*.test.ts", "apps/grader/src/**/*.test.ts", "reference/src/**/*.test.ts", "test/**/*.test.ts"],
    globalSetup: ["test/setup/grader.ts"],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    pool: "forks",
    poolOptions: {
      // isolated-vm requires this flag on Node >= 20 in every process that loads it.
      forks: { execArgv: ["--no-node-snapshot"], maxForks: 2, minForks: 1 },
    },
    reporters: ["default"],
  },
});
