import { createHash } from "node:crypto";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { ChecklistFile, FreeTextProblem, QuizFile } from "@tfm/contract";
import { Rng } from "@tfm/spec";
import type { z } from "zod";
import { DEFAULT_EXERCISES_DIR } from "../paths.ts";
import { GENERATORS } from "./variants.ts";

export interface QuizEntry {
  quiz: QuizFile;
  /** Content hash of the file and the formulas of its generators: a changed quiz is a new version. */
  version: string;
}

/** Everything under exercises/ that is not a code exercise: checklist, quizzes, free-text problems. */
export interface QuizCatalog {
  root: string;
  checklist: ChecklistFile;
  quizzes: Map<string, QuizEntry>;
  freeText: Map<string, FreeTextProblem>;
}

export class QuizCatalogError extends Error {
  override name = "QuizCatalogError";
}

function load<S extends z.ZodType>(file: string, schema: S): { data: z.output<S>; raw: string } {
  const raw = readFileSync(file, "utf8");
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (e) {
    throw new QuizCatalogError(`${file}: ${(e as Error).message}`);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.map(String).join(".") || "(root)"}: ${i.message}`);
    throw new QuizCatalogError(`${file}:\n${lines.join("\n")}`);
  }
  return { data: parsed.data, raw };
}

function jsonFiles(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith(".json")).sort() : [];
}

const PLACEHOLDER = /\{\{(\w+)\}\}/g;

/** A generated question must name a generator of its own kind whose parameters fill every placeholder. */
function checkGenerators(file: string, quiz: QuizFile): void {
  for (const q of quiz.questions) {
    if (q.kind !== "numeric" && q.kind !== "shape") continue;
    if (q.generator === undefined) continue;
    const generator = GENERATORS[q.generator];
    if (generator === undefined) throw new QuizCatalogError(`${file}: question '${q.id}' names unknown generator '${q.generator}'`);
    if (generator.kind !== q.kind) {
      throw new QuizCatalogError(`${file}: question '${q.id}' is ${q.kind} but generator '${q.generator}' makes ${generator.kind} answers`);
    }
    const params = generator.draw(new Rng(0)).params;
    for (const text of [q.text.ja, q.text.en]) {
      for (const m of text.matchAll(PLACEHOLDER)) {
        if (params[m[1] ?? ""] === undefined) {
          throw new QuizCatalogError(`${file}: question '${q.id}' uses {{${m[1]}}} which generator '${q.generator}' does not set`);
        }
      }
    }
    if (/\{\{/.test(q.explanation.ja + q.explanation.en)) {
      throw new QuizCatalogError(`${file}: question '${q.id}': an explanation is the same for every variant and has no placeholders`);
    }
  }
}

function versionOf(raw: string, quiz: QuizFile): string {
  const hash = createHash("sha256").update(raw);
  for (const q of quiz.questions) {
    if ((q.kind === "numeric" || q.kind === "shape") && q.generator !== undefined) {
      hash.update("\0").update(q.generator).update("\0").update(GENERATORS[q.generator]?.draw.toString() ?? "");
    }
  }
  return hash.digest("hex").slice(0, 16);
}

/** Loads and cross-checks checklist.json, quizzes/*.json and free-text/*.json. */
export function loadQuizCatalog(root = DEFAULT_EXERCISES_DIR): QuizCatalog {
  const checklist = load(path.join(root, "checklist.json"), ChecklistFile).data;

  const quizzes = new Map<string, QuizEntry>();
  const quizDir = path.join(root, "quizzes");
  for (const name of jsonFiles(quizDir)) {
    const file = path.join(quizDir, name);
    const { data: quiz, raw } = load(file, QuizFile);
    if (`${quiz.id}.json` !== name) throw new QuizCatalogError(`${file}: id '${quiz.id}' must equal the file name`);
    checkGenerators(file, quiz);
    quizzes.set(quiz.id, { quiz, version: versionOf(raw, quiz) });
  }

  const freeText = new Map<string, FreeTextProblem>();
  const freeTextDir = path.join(root, "free-text");
  for (const name of jsonFiles(freeTextDir)) {
    const file = path.join(freeTextDir, name);
    const problem = load(file, FreeTextProblem).data;
    if (`${problem.id}.json` !== name) throw new QuizCatalogError(`${file}: id '${problem.id}' must equal the file name`);
    freeText.set(problem.id, problem);
  }

  for (const item of checklist.items) {
    if (item.evidence.kind !== "quiz") continue;
    if (!quizzes.has(item.evidence.quiz)) {
      throw new QuizCatalogError(`checklist item '${item.id}' names quiz '${item.evidence.quiz}' which has no file in ${quizDir}`);
    }
    for (const id of item.evidence.orFreeText ?? []) {
      if (!freeText.has(id)) throw new QuizCatalogError(`checklist item '${item.id}' names free-text problem '${id}' which has no file in ${freeTextDir}`);
    }
  }
  return { root, checklist, quizzes, freeText };
}

/** Checklist items that a pass of this quiz completes. */
export function checklistItemsOfQuiz(catalog: QuizCatalog, quizId: string): string[] {
  return catalog.checklist.items.filter((i) => i.evidence.kind === "quiz" && i.evidence.quiz === quizId).map((i) => i.id);
}
