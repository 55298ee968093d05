import os from "node:os";
import { z } from "zod";
import { StartupError } from "./durable/startup.ts";
import { LIMIT_SCALE_MAX } from "./limits.ts";
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
    // Durable queue (with TFM_DATABASE_URL). Short leases renewed while grading: a killed grader's
    // jobs are taken by another process within lease + poll (about 10.5 s with the defaults).
    TFM_LEASE_MS: z.coerce.number().int().min(1_000).max(3_600_000).default(10_000).describe("lease per claim; another process takes the job once it expires"),
    TFM_LEASE_RENEW_MS: z.coerce.number().int().min(100).max(1_200_000).optional().describe("lease renewal interval while grading; default a third of TFM_LEASE_MS"),
    TFM_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(3).describe("interrupted gradings per round before a job is given up"),
    TFM_CLAIM_AHEAD: z.coerce.number().int().min(0).max(64).optional().describe("stored jobs claimed ahead of a free worker, so that a finishing worker takes the next at once; default one per worker, 0 claims only for a free worker"),
    TFM_POLL_MS: z.coerce.number().int().min(10).max(60_000).default(500).describe("wait between empty polls of the queue (PostgreSQL also wakes on NOTIFY)"),
    TFM_RETRY_DELAY_MS: z.coerce.number().int().min(0).max(600_000).default(5_000).describe("back-off before the one retry of an internal error"),
    TFM_WORKER_ID: z.string().min(1).max(200).optional().describe("lease owner prefix; default host:pid"),
    // Public-test runs (POST /v1/grade) per user (X-TFM-User, else the client address).
    TFM_RUN_PER_MINUTE: z.coerce.number().int().min(0).max(100_000).default(30).describe("public runs per user in any 60 s; 0 turns the limit off"),
    TFM_RUN_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(2).describe("public runs of one user graded or waiting at once"),
    // Light exercises' per-call limits on a slower machine than the committed limits' (limits.ts, calibration.ts).
    TFM_LIMIT_SCALE: z
      .string()
      .default("auto")
      .refine((s) => s === "auto" || (s.trim() !== "" && Number(s) >= 1 && Number(s) <= LIMIT_SCALE_MAX), { message: `must be 'auto' or a number from 1 to ${LIMIT_SCALE_MAX}` })
      .transform((s): "auto" | number => (s === "auto" ? "auto" : Number(s)))
      .describe("'auto' scales light exercises' per-call limits by this machine's measured speed against the committed calibration; a number fixes the factor (1: the committed limits)"),
    TFM_LOG_LEVEL: z
      .enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"])
      .optional()
      .describe("audit log level (JSON lines on stdout); default info, silent under vitest"),
  })
  .strip()
  .refine((c) => c.TFM_LEASE_RENEW_MS === undefined || c.TFM_LEASE_RENEW_MS < c.TFM_LEASE_MS, {
    message: "TFM_LEASE_RENEW_MS must be shorter than TFM_LEASE_MS (a lease renewed after it expired is lost)",
    path: ["TFM_LEASE_RENEW_MS"],
  });
export type GraderConfig = z.infer<typeof GraderConfig>;

export function loadConfig(env: NodeJS.ProcessEnv = process.env): GraderConfig {
  const parsed = GraderConfig.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`).join("\n");
    throw new StartupError(`invalid grader environment:\n${lines}`);
  }
  return parsed.data;
}
