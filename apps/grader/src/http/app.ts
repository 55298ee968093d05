import { randomUUID } from "node:crypto";
import { GradeRequest, type GradeResult } from "@tfm/contract";
import express, { type NextFunction, type Request, type Response } from "express";
import { z } from "zod";
import type { Catalog } from "../catalog.ts";
import { UnknownExerciseError } from "../grade.ts";
import { type Logger, createLogger, logGrading } from "../log.ts";
import { createMetrics } from "../metrics.ts";
import { type GraderPool, HostFaultError, QueueFullError } from "../pool.ts";
import { publicExercise } from "../public-view.ts";
import { loadQuizCatalog } from "../quiz/catalog.ts";
import { authorised, invalidRequest, problem, unauthorised } from "./problem.ts";
import { quizRouter } from "./quiz-routes.ts";
import { RunLimiter, type RunLimits } from "./run-limit.ts";

export interface AppOptions {
  pool: GraderPool;
  catalog: Catalog;
  bodyLimit: string;
  startedAt?: number;
  /** Extra routers (durable submissions when a database is configured). */
  routers?: import("express").Router[];
  /** TFM_GRADER_TOKEN: when set, POST /v1/grade (it runs code) needs `Authorization: Bearer <token>` too. */
  token?: string;
  /** Audit trail (default: TFM_LOG_LEVEL, silent under vitest). */
  logger?: Logger;
  /** Per-user limits on public runs (TFM_RUN_PER_MINUTE, TFM_RUN_CONCURRENCY). */
  runLimits?: RunLimits;
}

/** Who a public run is for: the portal sends the signed-in user's id (`X-TFM-User`). */
const UserHeader = z.string().min(1).max(200).regex(/^[\x21-\x7e]+$/, "X-TFM-User must be printable ASCII without spaces");
/** A caller's request id is kept when it is short and plain; otherwise a fresh one is made. */
const RequestIdHeader = z.string().regex(/^[A-Za-z0-9._:-]{1,100}$/);

/** The request id of this request (set by the first middleware; also sent back as X-Request-Id). */
export function requestIdOf(res: Response): string {
  const id: unknown = res.locals.requestId;
  return typeof id === "string" ? id : "unknown";
}

/** A public-only run is practice: say so in the summary wherever the result is shown. */
function labelPractice(result: GradeResult): GradeResult {
  if (result.scope !== "public") return result;
  return {
    ...result,
    summary: {
      ja: `練習 (公開テストのみ。提出としては記録されません): ${result.summary.ja}`,
      en: `Practice (public tests only; not recorded as a submission): ${result.summary.en}`,
    },
  };
}

/** The grader's HTTP API. Every body is validated; only what a student may see goes out. */
export function createApp({ pool, catalog, bodyLimit, startedAt = Date.now(), routers = [], token, logger = createLogger(undefined), runLimits = { perMinute: 30, concurrency: 2 } }: AppOptions) {
  const app = express();
  const metrics = createMetrics(pool);
  const runs = new RunLimiter(runLimits);
  app.disable("x-powered-by");
  app.use((req, res, next) => {
    const given = RequestIdHeader.safeParse(req.get("x-request-id"));
    res.locals.requestId = given.success ? given.data : randomUUID();
    res.set("X-Request-Id", res.locals.requestId as string);
    next();
  });
  app.use((req, res, next) => {
    res.on("finish", () => metrics.requests.inc({ route: req.route?.path ?? "unmatched", status: String(res.statusCode) }));
    next();
  });
  app.use(express.json({ limit: bodyLimit, strict: true, type: ["application/json", "application/*+json"] }));

  app.get("/health", (_req, res) => {
    const s = pool.stats();
    // A worker counts as serving only when its transpiler works too (it restarts its own after a crash).
    const serving = s.workers.filter((w) => w.ready && w.transpiler?.status !== "down").length;
    res.status(serving > 0 ? 200 : 503).json({
      status: serving === 0 ? (s.ready > 0 ? "down" : "starting") : serving < s.size ? "degraded" : "ok",
      backend: s.backend,
      workers: { size: s.size, ready: s.ready, busy: s.busy, queued: s.queued, restarts: s.restarts, serving, list: s.workers },
      exercises: catalog.exercises.size,
      exerciseProblems: catalog.problems,
      uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
    });
  });

  app.get("/metrics", async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });

  app.get("/v1/exercises", async (_req, res) => {
    const list = await Promise.all([...catalog.exercises.values()].map((e) => publicExercise(e, catalog)));
    res.json({
      exercises: list.map(({ statement: _s, starter: _t, ...summary }) => summary),
    });
  });

  app.get("/v1/exercises/:id", async (req, res) => {
    const entry = catalog.exercises.get(req.params.id);
    if (entry === undefined) return problem(res, 404, "not_found", `no exercise with id '${req.params.id}'`, `id が '${req.params.id}' の演習はありません`);
    res.json(await publicExercise(entry, catalog));
  });

  app.post("/v1/grade", async (req, res) => {
    if (!authorised(req, token)) return unauthorised(res);
    if (!req.is("application/json")) return problem(res, 415, "unsupported_media_type", "send the body as application/json", "本文は application/json で送ってください");
    const parsed = GradeRequest.safeParse(req.body);
    if (!parsed.success) return invalidRequest(res, GradeRequest, req.body, parsed.error);
    if (!catalog.exercises.has(parsed.data.exerciseId)) {
      return problem(res, 404, "unknown_exercise", `no exercise with id '${parsed.data.exerciseId}'`, `id が '${parsed.data.exerciseId}' の演習はありません`);
    }
    const requestId = requestIdOf(res);
    const userHeader = req.get("x-tfm-user");
    let userId: string | undefined;
    if (userHeader !== undefined) {
      const user = UserHeader.safeParse(userHeader);
      if (!user.success) return problem(res, 400, "invalid_request", `X-TFM-User: ${user.error.issues[0]?.message ?? "invalid"}`, `X-TFM-User が正しくありません: ${user.error.issues[0]?.message ?? ""}`);
      userId = user.data;
    }
    // Runs for a user (the portal's "run public tests") are limited per user. Runs without one come from
    // callers trusted with the token (CLI-like tools, tests): scheduled in turns per address, not limited.
    const userKey = userId === undefined ? `addr:${req.ip ?? "unknown"}` : `user:${userId}`;
    const slot = userId === undefined ? { ok: true as const, release: () => {} } : runs.acquire(userKey);
    if (!slot.ok) {
      logger.warn({ event: "limit", limit: slot.reason === "rate" ? "run_rate" : "run_concurrency", requestId, userId, userKey, exerciseId: parsed.data.exerciseId }, "public run refused by the per-user limit");
      res.set("Retry-After", String(slot.retryAfterSeconds));
      return slot.reason === "rate"
        ? problem(res, 429, "rate_limited", `too many runs: at most ${slot.limit} a minute; run again in ${slot.retryAfterSeconds} s`, `実行が多すぎます: 1 分間に ${slot.limit} 回までです。${slot.retryAfterSeconds} 秒後にもう一度実行してください`)
        : problem(res, 429, "too_many_running", `at most ${slot.limit} of your runs are graded at once; wait for one to finish`, `同時に採点できる実行は ${slot.limit} 件までです。終わるのを待ってから実行してください`);
    }
    const started = performance.now();
    try {
      const result = await pool.grade(parsed.data, { userId: userKey });
      logGrading(logger, {
        requestId,
        userId,
        exerciseId: result.exerciseId,
        verdict: result.verdict,
        score: result.score,
        seed: result.seed,
        scope: result.scope,
        ms: performance.now() - started,
        reason: result.verdict === "internal_error" ? result.summary.en : undefined,
      });
      res.json(labelPractice(result));
    } catch (e) {
      if (e instanceof QueueFullError) {
        logger.warn({ event: "limit", limit: "queue_full", requestId, userId, exerciseId: parsed.data.exerciseId }, e.message);
        return problem(res, 503, "busy", e.message, "採点待ちの列が満杯です。しばらくしてから送り直してください");
      }
      if (e instanceof UnknownExerciseError) return problem(res, 404, "unknown_exercise", e.message, `演習が見つかりません: ${e.message}`);
      if (e instanceof HostFaultError) {
        // The host stalled: no verdict, nothing counted; the caller sends it again.
        logger.warn({ event: "host_stall", requestId, userId, exerciseId: parsed.data.exerciseId, reason: e.message }, "grading lost to a host stall");
        res.set("Retry-After", "5");
        return problem(res, 503, "grader_stalled", e.message, "採点システム側が一時的に止まったため採点できませんでした (あなたの試行には数えません)。送り直してください");
      }
      throw e;
    } finally {
      slot.release();
    }
  });

  app.use(quizRouter({ quizzes: loadQuizCatalog(catalog.root) }));
  for (const r of routers) app.use(r);

  app.use((_req, res) => problem(res, 404, "not_found", "no such route", "そのような経路 (URL) はありません"));

  // Body parser failures (malformed JSON, too large, bad charset) are the client's: say what was wrong.
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const e = err as { type?: string; status?: number; message?: string; limit?: number };
    if (e.type === "entity.too.large") return problem(res, 413, "too_large", `the body is larger than the limit (${bodyLimit})`, `本文が上限 (${bodyLimit}) を超えています`);
    if (e.type === "entity.parse.failed") return problem(res, 400, "invalid_json", `the body is not valid JSON: ${e.message ?? ""}`, `本文が正しい JSON ではありません: ${e.message ?? ""}`);
    if (typeof e.status === "number" && e.status >= 400 && e.status < 500) {
      return problem(res, e.status, "bad_request", e.message ?? "bad request", `リクエストが正しくありません: ${e.message ?? ""}`);
    }
    logger.error({ event: "internal_error", requestId: requestIdOf(res), route: req.path, err: err instanceof Error ? { name: err.name, message: err.message, stack: err.stack } : String(err) }, "grader http error");
    problem(res, 500, "internal_error", "the grader failed; this is not your fault", "採点システム側でエラーが起きました。あなたのせいではありません");
  });
  return app;
}
