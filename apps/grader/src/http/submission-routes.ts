import {
  type Database,
  DEFAULT_RATE_LIMITS,
  DbError,
  IdempotencyKey,
  type RateLimits,
  SubmissionRateLimitError,
  SubmitInput,
  assertSubmissionAllowed,
  findByIdempotencyKey,
  getSubmission,
  submit,
} from "@tfm/db";
import { type NextFunction, type Request, type Response, Router } from "express";
import { type Logger, createLogger } from "../log.ts";
import { requestIdOf } from "./app.ts";
import { authorised, invalidRequest, problem, unauthorised } from "./problem.ts";

export interface SubmissionRouterOptions {
  db: Database;
  /** When set, callers (the portal, on behalf of a signed-in user) must send `Authorization: Bearer <token>`. */
  token?: string;
  /** Per-user submission limits (TFM_SUBMIT_PER_MINUTE, TFM_SUBMIT_PER_DAY); defaults 10 a minute, 200 a day. */
  rateLimits?: RateLimits;
  logger?: Logger;
  /** Called after a submission is stored (the in-process runner claims it at once). */
  onSubmitted?: () => void;
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

/**
 * The seed of a stored submission is always drawn here, never chosen by a caller and never shown
 * before grading: hidden cases of any chosen seed can be computed in advance (the CLI, POST
 * /v1/grade), so a chosen seed would let a student prepare for them. See SECURITY.md.
 */
const SubmitBody = SubmitInput.omit({ receivedAt: true, seed: true });

/**
 * Durable submissions: stored (queued) before anything else happens, graded by the durable
 * runner, readable by id. The grader is an internal service: the portal authenticates people
 * and calls these routes for them with the shared token.
 */
export function submissionRouter({ db, token, rateLimits = DEFAULT_RATE_LIMITS, logger = createLogger(undefined), onSubmitted }: SubmissionRouterOptions): Router {
  const router = Router();
  router.use("/v1/submissions", (req, res, next) => {
    if (!authorised(req, token)) return unauthorised(res);
    next();
  });

  router.post("/v1/submissions", async (req, res) => {
    if (!req.is("application/json")) return problem(res, 415, "unsupported_media_type", "send the body as application/json", "本文は application/json で送ってください");
    if (typeof req.body === "object" && req.body !== null && "seed" in req.body) {
      return problem(
        res,
        400,
        "invalid_request",
        "seed: a stored submission's seed is drawn by the grader and cannot be chosen; to replay a seed, use POST /v1/grade (practice, never stored)",
        "seed: 保存される提出の seed は採点側が決めるので指定できません。seed を指定して再現するには POST /v1/grade (練習用、保存されません) を使ってください",
      );
    }
    const parsed = SubmitBody.safeParse(req.body);
    if (!parsed.success) return invalidRequest(res, SubmitBody, req.body, parsed.error);
    // The key may come as the Idempotency-Key header (the usual place) or in the body; both must agree.
    const header = req.get("idempotency-key");
    let idempotencyKey = parsed.data.idempotencyKey;
    if (header !== undefined) {
      const key = IdempotencyKey.safeParse(header);
      if (!key.success) {
        const why = key.error.issues[0]?.message ?? "invalid";
        return problem(res, 400, "invalid_request", `Idempotency-Key: ${why}`, `Idempotency-Key が正しくありません: ${why}`);
      }
      if (idempotencyKey !== undefined && idempotencyKey !== key.data) {
        return problem(res, 400, "invalid_request", "the Idempotency-Key header and the body's idempotencyKey differ", "Idempotency-Key ヘッダーと本文の idempotencyKey が異なります");
      }
      idempotencyKey = key.data;
    }
    const requestId = requestIdOf(res);
    const receivedAt = new Date();
    const input = { ...parsed.data, receivedAt, ...(idempotencyKey === undefined ? {} : { idempotencyKey }) };
    // A retry of a request that was stored (its answer was lost) gets that submission, before any limit.
    const earlier = idempotencyKey === undefined ? null : await findByIdempotencyKey(db, parsed.data.userId, idempotencyKey, parsed.data);
    if (earlier === null) {
      try {
        await assertSubmissionAllowed(db, parsed.data.userId, receivedAt, rateLimits);
      } catch (e) {
        if (!(e instanceof SubmissionRateLimitError)) throw e;
        logger.warn({ event: "limit", limit: `submit_per_${e.window}`, requestId, userId: parsed.data.userId, exerciseId: parsed.data.exerciseId }, e.message);
        res.set("Retry-After", String(e.retryAfterSeconds));
        return problem(res, 429, "rate_limited", e.message, e.messageJa);
      }
    }
    const submitted = earlier ?? (await submit(db, input));
    logger.info({ event: "submitted", requestId, userId: parsed.data.userId, submissionId: submitted.id, exerciseId: parsed.data.exerciseId, replayed: submitted.replayed }, "submission stored");
    if (!submitted.replayed) onSubmitted?.();
    // The seed is not shown before grading; the result carries it.
    const { seed: _drawn, ...shown } = submitted;
    res.status(202).location(`/v1/submissions/${submitted.id}`).json(shown);
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
