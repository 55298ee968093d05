import { GradeRequest } from "@tfm/contract";
import express, { type NextFunction, type Request, type Response } from "express";
import type { Catalog } from "../catalog.ts";
import { UnknownExerciseError } from "../grade.ts";
import { createMetrics } from "../metrics.ts";
import { type GraderPool, QueueFullError } from "../pool.ts";
import { publicExercise } from "../public-view.ts";
import { loadQuizCatalog } from "../quiz/catalog.ts";
import { issuesText, problem } from "./problem.ts";
import { quizRouter } from "./quiz-routes.ts";

export interface AppOptions {
  pool: GraderPool;
  catalog: Catalog;
  bodyLimit: string;
  startedAt?: number;
  /** Extra routers (durable submissions when a database is configured). */
  routers?: import("express").Router[];
}



/** The grader's HTTP API. Every body is validated; only what a student may see goes out. */
export function createApp({ pool, catalog, bodyLimit, startedAt = Date.now(), routers = [] }: AppOptions) {
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
    if (entry === undefined) return problem(res, 404, "not_found", `no exercise with id '${req.params.id}'`);
    res.json(await publicExercise(entry, catalog));
  });

  app.post("/v1/grade", async (req, res) => {
    if (!req.is("application/json")) return problem(res, 415, "unsupported_media_type", "send the body as application/json");
    const parsed = GradeRequest.safeParse(req.body);
    if (!parsed.success) return problem(res, 400, "invalid_request", issuesText(parsed.error));
    if (!catalog.exercises.has(parsed.data.exerciseId)) {
      return problem(res, 404, "unknown_exercise", `no exercise with id '${parsed.data.exerciseId}'`);
    }
    try {
      res.json(await pool.grade(parsed.data));
    } catch (e) {
      if (e instanceof QueueFullError) return problem(res, 503, "busy", e.message);
      if (e instanceof UnknownExerciseError) return problem(res, 404, "unknown_exercise", e.message);
      throw e;
    }
  });

  app.use(quizRouter({ quizzes: loadQuizCatalog(catalog.root) }));
  for (const r of routers) app.use(r);

  app.use((_req, res) => problem(res, 404, "not_found", "no such route"));

  // Body parser failures (malformed JSON, too large, bad charset) are the client's: say what was wrong.
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const e = err as { type?: string; status?: number; message?: string; limit?: number };
    if (e.type === "entity.too.large") return problem(res, 413, "too_large", `the body is larger than the limit (${bodyLimit})`);
    if (e.type === "entity.parse.failed") return problem(res, 400, "invalid_json", `the body is not valid JSON: ${e.message ?? ""}`);
    if (typeof e.status === "number" && e.status >= 400 && e.status < 500) {
      return problem(res, e.status, "bad_request", e.message ?? "bad request");
    }
    console.error("grader http error:", err);
    problem(res, 500, "internal_error", "the grader failed; this is not your fault");
  });
  return app;
}
