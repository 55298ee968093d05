import { type Database, DEFAULT_RATE_LIMITS, DbError, type RateLimits, SubmissionRateLimitError, SubmitInput, assertSubmissionAllowed, getSubmission, submit } from "@tfm/db";
import { type NextFunction, type Request, type Response, Router } from "express";
import { authorised, invalidRequest, problem, unauthorised } from "./problem.ts";

export interface SubmissionRouterOptions {
  db: Database;
  /** When set, callers (the portal, on behalf of a signed-in user) must send `Authorization: Bearer <token>`. */
  token?: string;
  /** Per-user submission limits (TFM_SUBMIT_PER_MINUTE, TFM_SUBMIT_PER_DAY); defaults 10 a minute, 200 a day. */
  rateLimits?: RateLimits;
}

const STATUS_JA: Record<DbError["code"], string> = {
  config: "データベースの設定に問題があります",
  unavailable: "データベースに接続できません。しばらくしてから送り直してください (何も保存されていません)",
  conflict: "同じ値がすでに使われています",
  not_found: "見つかりません",
  constraint: "参照先が存在しません",
  lease_lost: "採点の担当が別の採点プロセスに移りました",
  forbidden: "この操作は許可されていません",
  migration: "データベースのテーブルがまだ作られていません",
  internal: "データベースが想定外の応答をしました",
};

const STATUS: Record<DbError["code"], number> = {
  config: 500,
  unavailable: 503,
  conflict: 409,
  not_found: 404,
  constraint: 409,
  lease_lost: 409,
  forbidden: 403,
  migration: 500,
  internal: 500,
};

const SubmitBody = SubmitInput.omit({ receivedAt: true });

/**
 * Durable submissions: stored (queued) before anything else happens, graded by the durable
 * runner, readable by id. The grader is an internal service: the portal authenticates people
 * and calls these routes for them with the shared token.
 */
export function submissionRouter({ db, token, rateLimits = DEFAULT_RATE_LIMITS }: SubmissionRouterOptions): Router {
  const router = Router();
  router.use("/v1/submissions", (req, res, next) => {
    if (!authorised(req, token)) return unauthorised(res);
    next();
  });

  router.post("/v1/submissions", async (req, res) => {
    if (!req.is("application/json")) return problem(res, 415, "unsupported_media_type", "send the body as application/json", "本文は application/json で送ってください");
    const parsed = SubmitBody.safeParse(req.body);
    if (!parsed.success) return invalidRequest(res, SubmitBody, req.body, parsed.error);
    const receivedAt = new Date();
    try {
      await assertSubmissionAllowed(db, parsed.data.userId, receivedAt, rateLimits);
    } catch (e) {
      if (!(e instanceof SubmissionRateLimitError)) throw e;
      res.set("Retry-After", String(e.retryAfterSeconds));
      return problem(res, 429, "rate_limited", e.message, e.messageJa);
    }
    const submitted = await submit(db, { ...parsed.data, receivedAt });
    res.status(202).location(`/v1/submissions/${submitted.id}`).json(submitted);
  });

  router.get("/v1/submissions/:id", async (req, res) => {
    const detail = await getSubmission(db, req.params.id);
    // On behalf of one person (the portal sends who): someone else's submission does not exist for them.
    const onBehalfOf = req.get("x-tfm-user");
    if (onBehalfOf !== undefined && detail.userId !== onBehalfOf) {
      return problem(res, 404, "not_found", `no submission with id ${req.params.id}`, `id が ${req.params.id} の提出はありません`);
    }
    res.json(detail);
  });

  router.use("/v1/submissions", (err: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (err instanceof DbError) return problem(res, STATUS[err.code], err.code, err.message, `${STATUS_JA[err.code]}: ${err.message}`);
    next(err);
  });
  return router;
}
