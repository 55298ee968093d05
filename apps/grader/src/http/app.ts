import { GradeRequest } from "@tfm/contract";
import express, { type NextFunction, type Request, type Response } from "express";
import type { Catalog } from "../catalog.ts";
import { UnknownExerciseError } from "../grade.ts";
import { createMetrics } from "../metrics.ts";
import { type GraderPool, QueueFullError } from "../pool.ts";
import { publicExercise } from "../public-view.ts";
import { loadQuizCatalog } from "../quiz/catalog.ts";
import { authorised, invalidRequest, problem, unauthorised } from "./problem.ts";
import { quizRouter } from "./quiz-routes.ts";

export interface AppOptions {
  pool: GraderPool;
  catalog: Catalog;
  bodyLimit: string;
  startedAt?: number;
  /** Extra routers (durable submissions when a database is configured). */
  routers?: import("express").Router[];
  /** TFM_GRADER_TOKEN: when set, POST /v1/grade (it runs code) needs `Authorization: Bearer <token>` too. */
  token?: string;
}



/** The grader's HTTP API. Every body is validated; only what a student may see goes out. */
export function createApp({ pool, catalog, bodyLimit, startedAt = Date.now(), routers = [], token }: AppOptions) {
  const app = express();
  const metrics = createMetrics(pool);
  app.disable("x-powered-by");
  app.use((req, res, next) => {
    res.on("finish", () => metrics.requests.inc({ route: req.route?.path ?? "unmatched", status: String(res.statusCode) }));
    next();
  });
  app.use(express.json({ limit: bodyLimit, strict: true, type: ["application/json", "application/*+json"] }));

  app.get("/health", (_req, res) => {
    const s = pool.stats();
    res.status(s.ready > 0 ? 200 : 503).json({
      status: s.ready > 0 ? "ok" : "starting",
      backend: s.backend,
      workers: { size: s.size, ready: s.ready, busy: s.busy, queued: s.queued, restarts: s.restarts },
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
    try {
      res.json(await pool.grade(parsed.data));
    } catch (e) {
      if (e instanceof QueueFullError) return problem(res, 503, "busy", e.message, "採点待ちの列が満杯です。しばらくしてから送り直してください");
      if (e instanceof UnknownExerciseError) return problem(res, 404, "unknown_exercise", e.message, `演習が見つかりません: ${e.message}`);
      throw e;
    }
  });

  app.use(quizRouter({ quizzes: loadQuizCatalog(catalog.root) }));
  for (const r of routers) app.use(r);

  app.use((_req, res) => problem(res, 404, "not_found", "no such route", "そのような経路 (URL) はありません"));

  // Body parser failures (malformed JSON, too large, bad charset) are the client's: say what was wrong.
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const e = err as { type?: string; status?: number; message?: string; limit?: number };
    if (e.type === "entity.too.large") return problem(res, 413, "too_large", `the body is larger than the limit (${bodyLimit})`, `本文が上限 (${bodyLimit}) を超えています`);
    if (e.type === "entity.parse.failed") return problem(res, 400, "invalid_json", `the body is not valid JSON: ${e.message ?? ""}`, `本文が正しい JSON ではありません: ${e.message ?? ""}`);
    if (typeof e.status === "number" && e.status >= 400 && e.status < 500) {
      return problem(res, e.status, "bad_request", e.message ?? "bad request", `リクエストが正しくありません: ${e.message ?? ""}`);
    }
    console.error("grader http error:", err);
    problem(res, 500, "internal_error", "the grader failed; this is not your fault", "採点システム側でエラーが起きました。あなたのせいではありません");
  });
  return app;
}
