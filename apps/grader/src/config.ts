import os from "node:os";
import { z } from "zod";
import { DEFAULT_EXERCISES_DIR, DEFAULT_REFERENCE_DIR } from "./paths.ts";

/** Grader settings, validated once from the environment. */
export const GraderConfig = z
  .object({
    TFM_GRADER_PORT: z.coerce.number().int().min(0).max(65535).default(4010),
    TFM_GRADER_HOST: z.string().default("127.0.0.1"),
    TFM_GRADER_WORKERS: z.coerce.number().int().min(1).max(64).default(Math.max(1, os.availableParallelism())),
    TFM_EXERCISES_DIR: z.string().default(DEFAULT_EXERCISES_DIR),
    TFM_REFERENCE_DIR: z.string().default(DEFAULT_REFERENCE_DIR),
    TFM_BODY_LIMIT: z.string().regex(/^\d+(kb|mb)$/).default("512kb"),
    TFM_QUEUE_LIMIT: z.coerce.number().int().min(1).default(1000),
    TFM_DATABASE_URL: z.string().min(1).optional().describe("enables durable submissions (file:... SQLite or postgres://...)"),
    TFM_GRADER_TOKEN: z.string().min(16).optional().describe("bearer token the portal sends to the submission routes"),
  })
  .strip();
export type GraderConfig = z.infer<typeof GraderConfig>;

export function loadConfig(env: NodeJS.ProcessEnv = process.env): GraderConfig {
  const parsed = GraderConfig.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`).join("\n");
    throw new Error(`invalid grader environment:\n${lines}`);
  }
  return parsed.data;
}
