import { randomInt } from "node:crypto";
import { FreeTextAnswerBody, QuizAnswerBody } from "@tfm/contract";
import { type Request, type Response, Router } from "express";
import { z } from "zod";
import type { QuizCatalog } from "../quiz/catalog.ts";
import { answerFreeText, publicFreeText } from "../quiz/free-text.ts";
import { QuizAnswerError, UnknownQuizError, gradeQuiz } from "../quiz/grade.ts";
import { quizSummaries, renderQuiz } from "../quiz/render.ts";
import { invalidRequest, problem } from "./problem.ts";

export interface QuizRouterDeps {
  quizzes: QuizCatalog;
  /** Seed for a quiz rendered without one; injectable so tests stay deterministic. */
  randomSeed?: () => number;
}

const SeedQuery = z
  .object({
    seed: z.coerce
      .number({ error: "seed must be a number" })
      .int("seed must be an integer")
      .min(0, "seed must be >= 0")
      .max(0xffff_ffff, "seed must fit in 32 bits")
      .optional(),
  })
  .strict();



function requireJson(req: Request, res: Response): boolean {
  if (req.is("application/json")) return true;
  problem(res, 415, "unsupported_media_type", "send the body as application/json", "本文は application/json で送ってください");
  return false;
}

/**
 * Quizzes, free-text problems and the checklist. Expects JSON bodies already parsed (express.json()
 * in the app); every body and query is validated here, and no answer leaves before it is earned.
 */
export function quizRouter({ quizzes, randomSeed = () => randomInt(0, 2 ** 32) }: QuizRouterDeps): Router {
  const router = Router();

  router.get("/v1/checklist", (_req, res) => {
    res.json(quizzes.checklist);
  });

  router.get("/v1/quizzes", (_req, res) => {
    res.json({ quizzes: quizSummaries(quizzes) });
  });

  router.get("/v1/quizzes/:id", (req, res) => {
    const entry = quizzes.quizzes.get(req.params.id);
    if (entry === undefined) return problem(res, 404, "not_found", `no quiz with id '${req.params.id}'`, `id が '${req.params.id}' のクイズはありません`);
    const query = SeedQuery.safeParse(req.query);
    if (!query.success) return invalidRequest(res, SeedQuery, req.query, query.error);
    res.json(renderQuiz(entry, query.data.seed ?? randomSeed()));
  });

  router.post("/v1/quizzes/:id/grade", (req, res) => {
    if (!requireJson(req, res)) return;
    if (!quizzes.quizzes.has(req.params.id)) return problem(res, 404, "unknown_quiz", `no quiz with id '${req.params.id}'`, `id が '${req.params.id}' のクイズはありません`);
    const body = QuizAnswerBody.safeParse(req.body);
    if (!body.success) return invalidRequest(res, QuizAnswerBody, req.body, body.error);
    try {
      res.json(gradeQuiz({ quizId: req.params.id, ...body.data }, quizzes));
    } catch (e) {
      if (e instanceof UnknownQuizError) return problem(res, 404, "unknown_quiz", e.message, `クイズが見つかりません: ${e.message}`);
      if (e instanceof QuizAnswerError) return problem(res, 400, "invalid_answer", e.message, `回答の形が正しくありません: ${e.message}`);
      throw e;
    }
  });

  router.get("/v1/free-text", (_req, res) => {
    res.json({
      problems: [...quizzes.freeText.values()].map(({ id, title, chapterSection, maxChars }) => ({ id, title, chapterSection, maxChars })),
    });
  });

  router.get("/v1/free-text/:id", (req, res) => {
    const found = quizzes.freeText.get(req.params.id);
    if (found === undefined) return problem(res, 404, "not_found", `no free-text problem with id '${req.params.id}'`, `id が '${req.params.id}' の記述問題はありません`);
    res.json(publicFreeText(found));
  });

  router.post("/v1/free-text/:id/answer", (req, res) => {
    if (!requireJson(req, res)) return;
    const found = quizzes.freeText.get(req.params.id);
    if (found === undefined) return problem(res, 404, "not_found", `no free-text problem with id '${req.params.id}'`, `id が '${req.params.id}' の記述問題はありません`);
    const body = FreeTextAnswerBody.safeParse(req.body);
    if (!body.success) return invalidRequest(res, FreeTextAnswerBody, req.body, body.error);
    const outcome = answerFreeText(found, body.data);
    if (!outcome.accepted) return problem(res, 400, "invalid_answer", outcome.reason.en, outcome.reason.ja);
    res.json(outcome.response);
  });

  return router;
}
