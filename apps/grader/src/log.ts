import { pino } from "pino";

/**
 * The grader's audit trail: JSON lines (pino) on stdout. Every grading's verdict, every limit hit and
 * every internal_error is one line with `event`, the request id and, where known, the user and the
 * submission, so an operator can see who is hammering the service (`jq 'select(.event=="limit")'`).
 */
export type Logger = pino.Logger;

export type LogLevel = "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";

/** Level from TFM_LOG_LEVEL; without it `info`, except under vitest where test output stays quiet. */
export function createLogger(level: LogLevel | undefined, env: NodeJS.ProcessEnv = process.env): Logger {
  return pino({
    level: level ?? (env.VITEST === undefined ? "info" : "silent"),
    base: { service: "tfm-grader", pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  });
}

/** Verdicts that mean a limit stopped the submission (the student's doing; logged as limit hits). */
const LIMIT_VERDICTS = new Set(["time_limit", "memory_limit", "output_limit"]);

export interface GradingLogFields {
  requestId: string;
  userId?: string | undefined;
  submissionId?: string | undefined;
  exerciseId: string;
  verdict: string;
  score: number;
  seed: number;
  scope: "all" | "public";
  ms: number;
  /** A one-line reason (internal_error: the summary). */
  reason?: string | undefined;
}

/** One line per finished grading: info for ordinary verdicts, warn for limit verdicts, error for internal_error. */
export function logGrading(log: Logger, f: GradingLogFields): void {
  const fields = { ...f, ms: Math.round(f.ms) };
  if (f.verdict === "internal_error") log.error({ event: "internal_error", ...fields }, "grading ended internal_error");
  else if (LIMIT_VERDICTS.has(f.verdict)) log.warn({ event: "limit", limit: f.verdict, ...fields }, `grading hit ${f.verdict}`);
  else log.info({ event: "grading", ...fields }, `graded: ${f.verdict}`);
}
