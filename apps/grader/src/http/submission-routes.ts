import { timingSafeEqual } from "node:crypto";
import { type Database, DbError, SubmitInput, getSubmission, submit } from "@tfm/db";
import { type NextFunction, type Request, type Response, Router } from "express";
import { issuesText, problem } from "./problem.ts";

export interface SubmissionRouterOptions {
  db: Database;
  /** When set, callers (the portal, on behalf of a signed-in user) must send `Authorization: Bearer <token>`. */
  token?: string;
}

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

function authorised(req: Request, token: string | undefined): boolean {
  if (token === undefined) return true;
  const given = Buffer.from(req.get("authorization") ?? "");
  const wanted = Buffer.from(`Bearer ${token}`);
  return given.length === wanted.length && timingSafeEqual(given, wanted);
}

/**
 * Durable submissions: stored (queued) before anything else happens, graded by the durable
 * runner, readable by id. The grader is an internal service: the portal authenticates people
 * and calls these routes for them with the shared token.
 */
export function submissionRouter({ db, token }: SubmissionRouterOptions): Router {
  const router = Router();
  router.use("/v1/submissions", (req, res, next) => {
    if (!authorised(req, token)) return problem(res, 401, "unauthorized", "send the grader token as 'Authorization: Bearer <token>'");
    next();
  });

  router.post("/v1/submissions", async (req, res) => {
    if (!req.is("application/json")) return problem(res, 415, "unsupported_media_type", "send the body as application/json");
    const parsed = SubmitInput.omit({ receivedAt: true }).safeParse(req.body);
    if (!parsed.success) return problem(res, 400, "invalid_request", issuesText(parsed.error));
    const submitted = await submit(db, { ...parsed.data, receivedAt: new Date() });
    res.status(202).location(`/v1/submissions/${submitted.id}`).json(submitted);
  });

  router.get("/v1/submissions/:id", async (req, res) => {
    res.json(await getSubmission(db, req.params.id));
  });

  router.use("/v1/submissions", (err: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (err instanceof DbError) return problem(res, STATUS[err.code], err.code, err.message);
    next(err);
  });
  return router;
}
