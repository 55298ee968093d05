import type { GradeResult, Localized, Verdict } from "@tfm/contract";
import type { CatalogEntry } from "./catalog.ts";
import { GRADER_VERSION, type GradeJob } from "./grade.ts";
import { verdictText } from "./verdict.ts";

/** A result the host writes itself when no worker could produce one (crash, watchdog). */
export function hostResult(job: GradeJob, entry: CatalogEntry, verdict: Verdict, why: Localized, backend: string, totalMs: number): GradeResult {
  const head = verdictText(verdict);
  return {
    resultVersion: 1,
    exerciseId: job.exerciseId,
    exerciseVersion: entry.version,
    seed: job.seed,
    scope: job.scope,
    lang: job.lang,
    verdict,
    score: 0,
    passed: 0,
    total: 0,
    summary: { ja: `${head.ja}: ${why.ja}`, en: `${head.en}: ${why.en}` },
    compileErrors: [],
    runtimeError: null,
    tests: [],
    console: "",
    consoleTruncated: false,
    backend,
    graderVersion: GRADER_VERSION,
    timings: { transpileMs: 0, sandboxMs: 0, referenceMs: 0, compareMs: 0, totalMs },
  };
}
