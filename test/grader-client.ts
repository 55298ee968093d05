import { GradeResult, type GradeRequest } from "@tfm/contract";
import { inject } from "vitest";

export function graderUrl(): string {
  return inject("graderUrl");
}

/** Grades through the real HTTP API and validates the answer against the result contract. */
export async function gradeViaApi(request: GradeRequest): Promise<GradeResult> {
  const res = await fetch(`${graderUrl()}/v1/grade`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(request),
  });
  const body: unknown = await res.json();
  if (res.status !== 200) throw new Error(`grade failed with ${res.status}: ${JSON.stringify(body)}`);
  return GradeResult.parse(body);
}
