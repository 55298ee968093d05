import { NextResponse } from "next/server";
import { GraderRejectedError, GraderUnavailableError } from "./grader.ts";

/** Grader faults are never the student's: 503 with the bilingual "grader unavailable" message. */
export function graderFailure(e: unknown): NextResponse {
  if (e instanceof GraderRejectedError) return NextResponse.json({ error: "errInvalidInput", detail: e.detail }, { status: 400 });
  if (e instanceof GraderUnavailableError) {
    console.error(e.message);
    return NextResponse.json({ error: "errGrader" }, { status: 503 });
  }
  throw e;
}
