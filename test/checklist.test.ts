/**
 * Cross-checks the checklist against everything it names: the permanent ids in
 * docs/checklist-ids.md, the 23 exercises, the quiz and free-text files, and the exercise folders
 * that exist so far (an exercise not written yet is listed, not failed).
 */
import { existsSync, readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import {
  CHECKLIST_GROUPS,
  ChecklistFile,
  EXERCISE_IDS,
  ExerciseMeta,
  FreeTextProblem,
  type Localized,
  QuizFile,
} from "@tfm/contract";
import { loadQuizCatalog } from "@tfm/grader/quiz/catalog";
import { REPO_ROOT } from "@tfm/grader/paths";
import { describe, expect, it } from "vitest";

const exercisesDir = path.join(REPO_ROOT, "exercises");
const readJson = (file: string): unknown => JSON.parse(readFileSync(file, "utf8"));
const checklist = ChecklistFile.parse(readJson(path.join(exercisesDir, "checklist.json")));
const catalog = loadQuizCatalog(exercisesDir);

/** Rows of the table in docs/checklist-ids.md: group, id, evidence. */
const docRows = readFileSync(path.join(REPO_ROOT, "docs", "checklist-ids.md"), "utf8")
  .split("\n")
  .map((line) => /^\|\s*([a-z]+)\s*\|\s*([a-z0-9-]+)\s*\|\s*([^|]+?)\s*\|$/.exec(line))
  .flatMap((m) => (m === null || m[1] === "group" ? [] : [{ group: m[1] ?? "", id: m[2] ?? "", evidence: m[3] ?? "" }]));

const JAPANESE = /[\u3040-\u30ff\u4e00-\u9fff]/;

function bilingual(text: Localized, where: string): void {
  expect(text.ja.trim().length, `${where} ja`).toBeGreaterThan(0);
  expect(text.en.trim().length, `${where} en`).toBeGreaterThan(0);
  expect(JAPANESE.test(text.ja), `${where} ja is Japanese`).toBe(true);
  expect(JAPANESE.test(text.en), `${where} en has no Japanese`).toBe(false);
  const placeholders = (s: string) => [...s.matchAll(/\{\{(\w+)\}\}/g)].map((m) => m[1]).sort();
  expect(placeholders(text.ja), `${where}: both languages show the same numbers`).toEqual(placeholders(text.en));
}

describe("checklist.json", () => {
  it("has 50 items in the chapter's seven groups", () => {
    expect(checklist.items).toHaveLength(50);
    const counts = Object.fromEntries(CHECKLIST_GROUPS.map((g) => [g, checklist.items.filter((i) => i.group === g).length]));
    expect(counts).toEqual({ concepts: 10, maths: 5, implementation: 15, debugging: 5, application: 5, theory: 5, reproducibility: 5 });
    expect(checklist.groups.map((g) => g.id)).toEqual([...CHECKLIST_GROUPS]);
  });

  it("holds the pass marks 40 / 45 / 50 as data", () => {
    expect(checklist.marks).toEqual({ minimum: 40, recommended: 45, excellent: 50 });
  });

  it("uses exactly the permanent ids of docs/checklist-ids.md, in their groups", () => {
    expect(docRows).toHaveLength(50);
    const ids = checklist.items.map((i) => i.id);
    expect(new Set(ids).size).toBe(50);
    expect(ids).toEqual(docRows.map((r) => r.id));
    for (const row of docRows) expect(checklist.items.find((i) => i.id === row.id)?.group, row.id).toBe(row.group);
  });

  it("backs each item with the evidence docs/checklist-ids.md gives it", () => {
    for (const row of docRows) {
      const item = checklist.items.find((i) => i.id === row.id);
      if (item === undefined) throw new Error(row.id);
      if (row.evidence === "quiz" || row.evidence === "self") {
        expect(item.evidence.kind, row.id).toBe(row.evidence);
      } else {
        expect(item.evidence.kind, row.id).toBe("exercise");
        const listed = item.evidence.kind === "exercise" ? [...item.evidence.exercises].sort() : [];
        expect(listed, row.id).toEqual(row.evidence.split(",").map((s) => s.trim()).sort());
      }
    }
  });

  it("backs implementation, debugging and application items by exercises, concepts and maths by quizzes", () => {
    for (const item of checklist.items) {
      if (["implementation", "debugging", "application"].includes(item.group)) expect(item.evidence.kind, item.id).toBe("exercise");
      if (["concepts", "maths"].includes(item.group)) expect(item.evidence.kind, item.id).toBe("quiz");
    }
  });

  it("leaves only the three papers and docstrings to self-assessment", () => {
    expect(checklist.items.filter((i) => i.evidence.kind === "self").map((i) => i.id)).toEqual([
      "theory-read-transformer-paper",
      "theory-read-bert-paper",
      "theory-read-materials-paper",
      "repro-docstrings",
    ]);
  });

  it("has every text in Japanese and English", () => {
    for (const item of checklist.items) bilingual(item.text, item.id);
    for (const group of checklist.groups) bilingual(group.title, group.id);
  });
});

describe("exercises named by the checklist", () => {
  const named = new Set(checklist.items.flatMap((i) => (i.evidence.kind === "exercise" ? i.evidence.exercises : [])));

  it("are all among the 23 exercises of the course, and every one of the 23 completes an item", () => {
    expect(EXERCISE_IDS).toHaveLength(23);
    expect(new Set(EXERCISE_IDS).size).toBe(23);
    for (const id of named) expect(EXERCISE_IDS as readonly string[], id).toContain(id);
    expect([...named].sort()).toEqual([...EXERCISE_IDS].sort());
  });

  it("match the exercise folders, all 23 of them, both ways", () => {
    const folders = readdirSync(exercisesDir, { withFileTypes: true })
      .filter((d) => d.isDirectory() && existsSync(path.join(exercisesDir, d.name, "exercise.json")))
      .map((d) => ExerciseMeta.parse(readJson(path.join(exercisesDir, d.name, "exercise.json"))));
    const present = folders.map((m) => m.id).sort();
    const missing = EXERCISE_IDS.filter((id) => !present.includes(id));
    expect(missing, "exercise folders not written").toEqual([]);
    for (const meta of folders) {
      expect(EXERCISE_IDS as readonly string[], `exercises/${meta.id} is not one of the 23 exercises`).toContain(meta.id);
      for (const itemId of meta.checklist) {
        const item = checklist.items.find((i) => i.id === itemId);
        expect(item, `exercises/${meta.id}/exercise.json names unknown checklist item '${itemId}'`).toBeDefined();
        expect(item?.evidence.kind, `${itemId} (named by ${meta.id}) is completed by exercises`).toBe("exercise");
      }
      const backs = checklist.items.filter((i) => i.evidence.kind === "exercise" && (i.evidence.exercises as readonly string[]).includes(meta.id)).map((i) => i.id);
      const differs = backs.filter((b) => !meta.checklist.includes(b)).concat(meta.checklist.filter((c) => !backs.includes(c)));
      expect(differs, `exercises/${meta.id}/exercise.json lists [${meta.checklist.join(", ")}]; the checklist counts it for [${backs.join(", ")}]`).toEqual([]);
    }
  });
});

describe("quizzes", () => {
  const quizFiles = readdirSync(path.join(exercisesDir, "quizzes")).filter((f) => f.endsWith(".json")).sort();
  const referenced = checklist.items.flatMap((i) => (i.evidence.kind === "quiz" ? [i.evidence.quiz] : []));

  it("exist for every quiz the checklist names, and only those", () => {
    expect(quizFiles.map((f) => f.replace(/\.json$/, ""))).toEqual([...referenced].sort());
    expect(referenced).toContain("repro-dataset-license");
    expect(new Set(referenced).size).toBe(referenced.length);
  });

  it.each(quizFiles)("%s parses and every question has ja/en text and explanation", (file) => {
    const quiz = QuizFile.parse(readJson(path.join(exercisesDir, "quizzes", file)));
    expect(`${quiz.id}.json`).toBe(file);
    bilingual(quiz.title, `${quiz.id} title`);
    for (const q of quiz.questions) {
      bilingual(q.text, `${quiz.id}/${q.id} text`);
      bilingual(q.explanation, `${quiz.id}/${q.id} explanation`);
      if (q.kind === "single" || q.kind === "multiple") {
        for (const c of q.choices) {
          expect(c.text.ja.length > 0 && c.text.en.length > 0, `${quiz.id}/${q.id}/${c.id}`).toBe(true);
        }
      }
    }
  });

  it("include the required numeric and shape questions", () => {
    const find = (quizId: string, questionId: string) => catalog.quizzes.get(quizId)?.quiz.questions.find((q) => q.id === questionId);
    expect(find("theory-complexity", "chapter-memory")).toMatchObject({ kind: "numeric", answer: 25_600_000_000, unit: { defaultUnit: null } });
    expect(find("math-multi-head", "count-variant")).toMatchObject({ kind: "numeric", generator: "mha-parameter-count" });
    expect(find("math-positional-encoding", "value")).toMatchObject({ kind: "numeric", generator: "positional-encoding-value" });
    expect(find("math-softmax", "component-variant")).toMatchObject({ kind: "numeric", generator: "softmax-component" });
    expect(find("math-shapes", "qk-fixed")).toMatchObject({ kind: "shape", answer: [2, 8, 5, 7] });
    expect(find("math-shapes", "qk-variant")).toMatchObject({ kind: "shape", generator: "qk-scores-shape" });
  });
});

describe("free-text problems", () => {
  const files = readdirSync(path.join(exercisesDir, "free-text")).filter((f) => f.endsWith(".json")).sort();

  it.each(files)("%s parses with statement, rubric and model answer in both languages", (file) => {
    const p = FreeTextProblem.parse(readJson(path.join(exercisesDir, "free-text", file)));
    expect(`${p.id}.json`).toBe(file);
    bilingual(p.title, `${p.id} title`);
    bilingual(p.statement, `${p.id} statement`);
    bilingual(p.modelAnswer, `${p.id} model answer`);
    for (const c of p.rubric.criteria) bilingual(c.text, `${p.id} rubric ${c.id}`);
  });

  it("are named by the checklist where a review may complete an item", () => {
    const linked = checklist.items.flatMap((i) => (i.evidence.kind === "quiz" ? (i.evidence.orFreeText ?? []) : []));
    expect([...linked].sort()).toEqual(files.map((f) => f.replace(/\.json$/, "")));
  });
});
