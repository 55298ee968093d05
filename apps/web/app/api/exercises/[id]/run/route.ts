import { MAX_SOURCE_CHARS } from "@tfm/contract";
import { type NextRequest, NextResponse } from "next/server";
import { z } from "zod";
import { graderFailure } from "@/lib/api-errors.ts";
import { getExercise, gradePublic } from "@/lib/grader.ts";
import { beginMutation, fail } from "@/lib/mutation.ts";
import { runLimiter } from "@/lib/run-limit.ts";

const Body = z.object({ source: z.string().max(MAX_SOURCE_CHARS, `the code is longer than ${MAX_SOURCE_CHARS} characters`) }).loose();

/** "Run public tests": graded at once by the grader (public and pitfall tests only), nothing stored. */
export async function POST(req: NextRequest, ctx: { params: Promise<{ id: string }> }) {
  const { id } = await ctx.params;
  const m = await beginMutation(req, { requireUser: true, errorPath: `/exercises/${id}` });
  if (m instanceof Response) return m;
  const body = Body.safeParse(m.body);
  if (!body.success) return fail(req, true, 400, "errInvalidInput", "", body.error.issues.map((i) => i.message).join("; "));
  if (m.user === null) return NextResponse.json({ error: "errBadCredentials" }, { status: 401 });
  try {
    if ((await getExercise(id)) === null) return NextResponse.json({ error: "errNotFound" }, { status: 404 });
  } catch (e) {
    return graderFailure(e);
  }
  const slot = runLimiter().acquire(m.user.id);
  if (!slot.ok) {
    return NextResponse.json(
      { error: slot.reason === "concurrent" ? "errRunBusy" : "errRunLimited", seconds: slot.retryAfterSeconds },
      { status: 429, headers: { "retry-after": String(slot.retryAfterSeconds) } },
    );
  }
  try {
    const result = await gradePublic({ exerciseId: id, source: body.data.source, lang: m.lang }, m.user.id);
    return NextResponse.json({ result });
  } catch (e) {
    return graderFailure(e);
  } finally {
    slot.release();
  }
}
