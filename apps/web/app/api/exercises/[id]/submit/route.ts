import { MAX_SOURCE_CHARS } from "@tfm/contract";
import { IdempotencyKey, SubmissionRateLimitError, assertSubmissionAllowed, findByIdempotencyKey, loadRateLimits, submit } from "@tfm/db";
import { type NextRequest, NextResponse } from "next/server";
import { z } from "zod";
import { graderFailure } from "@/lib/api-errors.ts";
import { db } from "@/lib/db.ts";
import { getExercise } from "@/lib/grader.ts";
import { beginMutation, fail } from "@/lib/mutation.ts";

const Body = z
  .object({
    source: z.string().min(1, "the code is empty").max(MAX_SOURCE_CHARS, `the code is longer than ${MAX_SOURCE_CHARS} characters`),
    // The page sends a fresh key per click; a retry after a lost answer sends the same one (no double submission).
    idempotencyKey: IdempotencyKey.optional(),
  })
  .loose();

/** "Submit": stored as a queued submission; the grader's durable runner grades it and the page polls. */
export async function POST(req: NextRequest, ctx: { params: Promise<{ id: string }> }) {
  const { id } = await ctx.params;
  const m = await beginMutation(req, { requireUser: true, errorPath: `/exercises/${id}` });
  if (m instanceof Response) return m;
  const user = m.user;
  if (user === null) return NextResponse.json({ error: "errBadCredentials" }, { status: 401 });
  const body = Body.safeParse(m.body);
  if (!body.success) return fail(req, true, 400, "errInvalidInput", "", body.error.issues.map((i) => i.message).join("; "));
  try {
    if ((await getExercise(id)) === null) return NextResponse.json({ error: "errNotFound" }, { status: 404 });
  } catch (e) {
    return graderFailure(e);
  }
  const database = await db();
  const header = IdempotencyKey.safeParse(req.headers.get("idempotency-key") ?? undefined);
  const idempotencyKey = body.data.idempotencyKey ?? (header.success ? header.data : undefined);
  // A retry of a stored submission gets that submission back, whatever the rate limit says now.
  const earlier = idempotencyKey === undefined ? null : await findByIdempotencyKey(database, user.id, idempotencyKey, { exerciseId: id, source: body.data.source });
  if (earlier !== null) return NextResponse.json({ id: earlier.id, status: earlier.status }, { status: 202 });
  try {
    await assertSubmissionAllowed(database, user.id, new Date(), loadRateLimits());
  } catch (e) {
    if (e instanceof SubmissionRateLimitError) {
      return NextResponse.json(
        { error: "rateLimited", seconds: e.retryAfterSeconds, message: { ja: e.messageJa, en: e.message } },
        { status: 429, headers: { "retry-after": String(e.retryAfterSeconds) } },
      );
    }
    throw e;
  }
  const submitted = await submit(database, { userId: user.id, exerciseId: id, source: body.data.source, lang: m.lang, ...(idempotencyKey === undefined ? {} : { idempotencyKey }) });
  return NextResponse.json({ id: submitted.id, status: submitted.status }, { status: 202 });
}
