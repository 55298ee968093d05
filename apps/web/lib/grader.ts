import {
  ChecklistFile,
  FreeTextAnswerResponse,
  GradeResult,
  PublicExercise,
  PublicFreeTextProblem,
  QuizSummary,
  RenderedQuiz,
} from "@tfm/contract";
import { z } from "zod";
import { BoundedCache, CATALOG_ID, graderPath } from "./grader-path.ts";

/**
 * The portal's client of the grader service (apps/grader): exercises, checklist, quizzes and free-text
 * problems come from it (one source of truth, and it only ever sends what a student may see); "run
 * public tests" and quiz grading are synchronous calls. Every response is validated with zod.
 */

export const WebEnv = z
  .object({
    TFM_GRADER_URL: z.url().default("http://127.0.0.1:4010").describe("the grader service"),
    TFM_GRADER_TOKEN: z.string().min(1).optional().describe("bearer token of the grader's submission routes"),
  })
  .strip();

let env: z.infer<typeof WebEnv> | undefined;
export function webEnv(): z.infer<typeof WebEnv> {
  if (env !== undefined) return env;
  const parsed = WebEnv.safeParse(process.env);
  if (!parsed.success) throw new Error(`invalid portal environment: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
  env = parsed.data;
  return env;
}

export class GraderUnavailableError extends Error {
  override name = "GraderUnavailableError";
}
/** The grader answered with a 4xx: the request (the student's input) was wrong; `detail` says how. */
export class GraderRejectedError extends Error {
  override name = "GraderRejectedError";
  constructor(
    readonly status: number,
    readonly detail: string,
  ) {
    super(`the grader refused the request (${status}): ${detail}`);
  }
}

const Problem = z.object({ detail: z.string().optional(), title: z.string().optional() }).loose();

async function call<T>(schema: z.ZodType<T>, path: string, init?: { method: "POST"; body: unknown; userId?: string }): Promise<T> {
  const { TFM_GRADER_URL, TFM_GRADER_TOKEN } = webEnv();
  const url = new URL(path, TFM_GRADER_URL);
  const headers: Record<string, string> = { accept: "application/json" };
  if (init !== undefined) headers["content-type"] = "application/json";
  // The grader is internal: with a token configured, the portal authenticates every call.
  if (TFM_GRADER_TOKEN !== undefined) headers.authorization = `Bearer ${TFM_GRADER_TOKEN}`;
  // Who the call is for: the grader schedules and limits public runs per user.
  if (init?.userId !== undefined) headers["x-tfm-user"] = init.userId;
  let res: Response;
  try {
    res = await fetch(url, {
      method: init?.method ?? "GET",
      headers,
      ...(init === undefined ? {} : { body: JSON.stringify(init.body) }),
      // Next 16 caches no fetch unless asked to, so every call reaches the grader.
      signal: AbortSignal.timeout(120_000),
    });
  } catch (e) {
    throw new GraderUnavailableError(`the grader at ${url.origin} cannot be reached: ${(e as Error).message}`);
  }
  const text = await res.text();
  if (res.status >= 400 && res.status < 500) {
    const p = Problem.safeParse(safeJson(text));
    throw new GraderRejectedError(res.status, p.success ? (p.data.detail ?? p.data.title ?? text) : text.slice(0, 500));
  }
  if (!res.ok) throw new GraderUnavailableError(`the grader answered ${res.status} for ${path}`);
  return schema.parse(safeJson(text));
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Lists and single items of a catalog of a few dozen entries: 512 is ample and bounded. */
const cache = new BoundedCache(512, 60_000);
function cached<T>(key: string, load: () => Promise<T>): Promise<T> {
  return cache.get(key, load);
}

export const ExerciseSummary = PublicExercise.omit({ statement: true, starter: true });
export type ExerciseSummary = z.infer<typeof ExerciseSummary>;

export function listExercises(): Promise<ExerciseSummary[]> {
  return cached("exercises", async () =>
    (await call(z.object({ exercises: z.array(ExerciseSummary) }), "/v1/exercises")).exercises.sort((a, b) => a.order - b.order),
  );
}

/** The exercise as a student may see it, or null when the grader knows no such id. */
export async function getExercise(id: string): Promise<PublicExercise | null> {
  // Only ids of the catalog reach the grader (and the cache): anything else is unknown at once.
  if (!CATALOG_ID.test(id) || !(await listExercises()).some((e) => e.id === id)) return null;
  return cached(`exercise:${id}`, async () => {
    try {
      return await call(PublicExercise, graderPath(["v1", "exercises", id]));
    } catch (e) {
      if (e instanceof GraderRejectedError && e.status === 404) return null;
      throw e;
    }
  });
}

export function getChecklist(): Promise<ChecklistFile> {
  return cached("checklist", () => call(ChecklistFile, "/v1/checklist"));
}

export function listQuizzes(): Promise<QuizSummary[]> {
  return cached("quizzes", async () => (await call(z.object({ quizzes: z.array(QuizSummary) }), "/v1/quizzes")).quizzes);
}

export async function renderQuiz(id: string, seed: number): Promise<RenderedQuiz | null> {
  if (!CATALOG_ID.test(id) || !(await listQuizzes()).some((q) => q.id === id)) return null;
  try {
    return await call(RenderedQuiz, graderPath(["v1", "quizzes", id], { seed }));
  } catch (e) {
    if (e instanceof GraderRejectedError && e.status === 404) return null;
    throw e;
  }
}

export function gradeQuiz(id: string, body: { answers: Record<string, unknown>; seed: number; lang: "ja" | "en" }): Promise<GradeResult> {
  return call(GradeResult, graderPath(["v1", "quizzes", id, "grade"]), { method: "POST", body });
}

const FreeTextSummary = PublicFreeTextProblem.omit({ statement: true });
export function listFreeText(): Promise<z.infer<typeof FreeTextSummary>[]> {
  return cached("free-text", async () => (await call(z.object({ problems: z.array(FreeTextSummary) }), "/v1/free-text")).problems);
}

export async function getFreeText(id: string): Promise<PublicFreeTextProblem | null> {
  if (!CATALOG_ID.test(id) || !(await listFreeText()).some((p) => p.id === id)) return null;
  return cached(`free-text:${id}`, async () => {
    try {
      return await call(PublicFreeTextProblem, graderPath(["v1", "free-text", id]));
    } catch (e) {
      if (e instanceof GraderRejectedError && e.status === 404) return null;
      throw e;
    }
  });
}

/** Validates the answer with the grader and returns the model answer and rubric (shown after answering). */
export function answerFreeText(id: string, body: { text: string; lang: "ja" | "en" }): Promise<FreeTextAnswerResponse> {
  return call(FreeTextAnswerResponse, graderPath(["v1", "free-text", id, "answer"]), { method: "POST", body });
}

/** "Run public tests": graded at once, nothing stored. */
export function gradePublic(body: { exerciseId: string; source: string; lang: "ja" | "en" }, userId?: string): Promise<GradeResult> {
  return call(GradeResult, "/v1/grade", { method: "POST", body: { ...body, scope: "public" }, ...(userId === undefined ? {} : { userId }) });
}
