import { readFileSync } from "node:fs";
import path from "node:path";
import { FreeTextProblem } from "@tfm/contract";

/**
 * The free-text problems with their rubric and model answer, for instructors reviewing answers. The
 * grader's API shows the rubric only after answering; instructors read it from the exercises tree
 * (TFM_EXERCISES_DIR, default: the repository's exercises/ folder).
 */
function exercisesDir(): string {
  if (process.env.TFM_EXERCISES_DIR !== undefined) return process.env.TFM_EXERCISES_DIR;
  const cwd = process.cwd();
  return path.basename(cwd) === "web" ? path.resolve(cwd, "../../exercises") : path.resolve(cwd, "exercises");
}

export function freeTextProblem(id: string): FreeTextProblem | null {
  if (!/^[a-z][a-z0-9-]*$/.test(id)) return null;
  try {
    return FreeTextProblem.parse(JSON.parse(readFileSync(path.join(exercisesDir(), "free-text", `${id}.json`), "utf8")));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw e;
  }
}
