import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { DEFAULT_EXERCISES_DIR } from "../paths.ts";
import { QuizCatalogError, checklistItemsOfQuiz, loadQuizCatalog } from "./catalog.ts";

const dirs: string[] = [];

/** A copy of the real checklist, quizzes and free-text problems that a test may break. */
function copyOfExercises(): string {
  const dir = mkdtempSync(path.join(tmpdir(), "tfm-quiz-"));
  dirs.push(dir);
  cpSync(path.join(DEFAULT_EXERCISES_DIR, "checklist.json"), path.join(dir, "checklist.json"));
  cpSync(path.join(DEFAULT_EXERCISES_DIR, "quizzes"), path.join(dir, "quizzes"), { recursive: true });
  cpSync(path.join(DEFAULT_EXERCISES_DIR, "free-text"), path.join(dir, "free-text"), { recursive: true });
  return dir;
}

function edit(file: string, change: (json: Record<string, unknown>) => void): void {
  const json = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
  change(json);
  writeFileSync(file, JSON.stringify(json));
}

function firstQuestion(json: Record<string, unknown>): Record<string, unknown> {
  const qs = json.questions as Record<string, unknown>[];
  const q = qs[0];
  if (q === undefined) throw new Error("no question");
  return q;
}

afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe("loadQuizCatalog", () => {
  it("loads the real files with a stable version per quiz", () => {
    const a = loadQuizCatalog();
    const b = loadQuizCatalog();
    expect(a.quizzes.size).toBe(18);
    expect(a.freeText.size).toBe(2);
    for (const [id, e] of a.quizzes) {
      expect(e.version).toMatch(/^[0-9a-f]{16}$/);
      expect(b.quizzes.get(id)?.version).toBe(e.version);
    }
    expect(checklistItemsOfQuiz(a, "math-softmax")).toEqual(["math-softmax"]);
  });

  it("gives a changed quiz a new version", () => {
    const dir = copyOfExercises();
    const before = loadQuizCatalog(dir).quizzes.get("math-softmax")?.version;
    edit(path.join(dir, "quizzes", "math-softmax.json"), (j) => {
      firstQuestion(j).explanation = { ja: "書き直した解説。", en: "A rewritten explanation." };
    });
    expect(loadQuizCatalog(dir).quizzes.get("math-softmax")?.version).not.toBe(before);
  });

  it.each([
    ["an unknown generator", "math-shapes.json", (q: Record<string, unknown>) => ({ ...q, answer: undefined, generator: "no-such-generator" }), /unknown generator 'no-such-generator'/],
    ["a generator of another kind", "math-shapes.json", (q: Record<string, unknown>) => ({ ...q, answer: undefined, generator: "softmax-component" }), /is shape but generator 'softmax-component' makes numeric answers/],
    [
      "a placeholder its generator does not set",
      "math-softmax.json",
      (q: Record<string, unknown>) => ({ ...q, text: { ja: "{{nothing}} 小数第 3 位", en: "{{nothing}} three decimal places" } }),
      /uses \{\{nothing\}\} which generator 'softmax-component' does not set/,
    ],
    ["a placeholder in an explanation", "math-softmax.json", (q: Record<string, unknown>) => ({ ...q, explanation: { ja: "{{vector}}", en: "{{vector}}" } }), /has no placeholders/],
    ["a schema error", "math-softmax.json", (q: Record<string, unknown>) => ({ ...q, kind: "essay" }), /questions\.0\.kind/],
  ])("refuses a quiz with %s", (_what, file, change, message) => {
    const dir = copyOfExercises();
    edit(path.join(dir, "quizzes", file), (j) => {
      const qs = j.questions as Record<string, unknown>[];
      qs[0] = change(firstQuestion(j));
    });
    expect(() => loadQuizCatalog(dir)).toThrow(QuizCatalogError);
    expect(() => loadQuizCatalog(dir)).toThrow(message);
  });

  it("refuses a file whose id is not its name", () => {
    const dir = copyOfExercises();
    edit(path.join(dir, "free-text", "qkv-analogy.json"), (j) => {
      j.id = "qkv-analogy-2";
    });
    expect(() => loadQuizCatalog(dir)).toThrow(/id 'qkv-analogy-2' must equal the file name/);
  });

  it("refuses a checklist that names a missing quiz or free-text problem", () => {
    const dir = copyOfExercises();
    rmSync(path.join(dir, "quizzes", "theory-inductive-bias.json"));
    expect(() => loadQuizCatalog(dir)).toThrow(/names quiz 'theory-inductive-bias' which has no file/);
    cpSync(path.join(DEFAULT_EXERCISES_DIR, "quizzes", "theory-inductive-bias.json"), path.join(dir, "quizzes", "theory-inductive-bias.json"));
    rmSync(path.join(dir, "free-text", "ethanol-attention.json"));
    expect(() => loadQuizCatalog(dir)).toThrow(/names free-text problem 'ethanol-attention'/);
  });

  it("refuses malformed JSON with the file's name", () => {
    const dir = copyOfExercises();
    writeFileSync(path.join(dir, "checklist.json"), "{ not json");
    expect(() => loadQuizCatalog(dir)).toThrow(/checklist\.json/);
  });
});
