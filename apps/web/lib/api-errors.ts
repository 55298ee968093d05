import { NextResponse } from "next/server";
import { GraderRejectedError, GraderUnavailableError } from "./grader.ts";

/** Grader faults are never the student's: 503 with the bilingual "grader unavailable" message. */
export function graderFailure(e: unknown): NextResponse {
  // The grader's own per-user run limits (429) are not the student's mistake in the code.
  if (e instanceof GraderRejectedError && e.status === 429) return NextResponse.json({ error: "errRunLimited", seconds: 5 }, { status: 429, headers: { "retry-after": "5" } });
  if (e instanceof GraderRejectedError) return NextResponse.json({ error: "errInvalidInput", detail: e.detail }, { status: 400 });
  if (e instanceof GraderUnavailableError) {
    console.error(e.message);
    return NextResponse.json({ error: "errGrader" }, { status: 503 });
  }
  throw e;
}
