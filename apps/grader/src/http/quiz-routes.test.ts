import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import { ChecklistFile, FreeTextAnswerResponse, GradeResult, QuizSummary, RenderedQuiz } from "@tfm/contract";
import express from "express";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { answerKey } from "../quiz/answer-key.ts";
import { loadQuizCatalog } from "../quiz/catalog.ts";
import { quizRouter } from "./quiz-routes.ts";

const catalog = loadQuizCatalog();
let server: Server;
let base = "";

beforeAll(async () => {
  const app = express();
  app.use(express.json());
  app.use(quizRouter({ quizzes: catalog, randomSeed: () => 1234 }));
  server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, "127.0.0.1", () => resolve(s));
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

async function get(path: string) {
  const res = await fetch(`${base}${path}`);
  return { status: res.status, body: (await res.json()) as unknown };
}

async function post(path: string, body: unknown, contentType = "application/json") {
  const res = await fetch(`${base}${path}`, { method: "POST", headers: { "content-type": contentType }, body: typeof body === "string" ? body : JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as unknown };
}

function quizOf(id: string) {
  const e = catalog.quizzes.get(id);
  if (e === undefined) throw new Error(id);
  return e.quiz;
}

describe("GET /v1/checklist", () => {
  it("returns the checklist with its 50 items and marks", async () => {
    const { status, body } = await get("/v1/checklist");
    expect(status).toBe(200);
    const parsed = ChecklistFile.parse(body);
    expect(parsed.items).toHaveLength(50);
    expect(parsed.marks).toEqual({ minimum: 40, recommended: 45, excellent: 50 });
  });
});

describe("quiz routes", () => {
  it("lists every quiz with the checklist items it completes", async () => {
    const { status, body } = await get("/v1/quizzes");
    expect(status).toBe(200);
    const list = QuizSummary.array().parse((body as { quizzes: unknown }).quizzes);
    expect(list).toHaveLength(catalog.quizzes.size);
    expect(list.find((q) => q.id === "theory-complexity")).toMatchObject({ checklist: ["theory-complexity"], hiddenCount: 2 });
  });

  it("renders a quiz for a seed without its answers", async () => {
    const { status, body } = await get("/v1/quizzes/math-shapes?seed=7");
    expect(status).toBe(200);
    const quiz = RenderedQuiz.parse(body);
    expect(quiz.seed).toBe(7);
    expect(JSON.stringify(body)).not.toMatch(/"answers?"|"explanation"|\{\{/);
    expect((await get("/v1/quizzes/math-shapes?seed=7")).body).toEqual(body);
  });

  it("picks a seed when none is given and returns it", async () => {
    const { body } = await get("/v1/quizzes/math-softmax");
    expect(RenderedQuiz.parse(body).seed).toBe(1234);
  });

  it.each(["seed=abc", "seed=-1", "seed=1.5", "seed=4294967296", "seed=1&extra=2"])("refuses the query %s", async (query) => {
    const { status, body } = await get(`/v1/quizzes/math-shapes?${query}`);
    expect(status).toBe(400);
    expect(body).toMatchObject({ error: "invalid_request", message: expect.any(String) });
  });

  it("answers 404 for an unknown quiz", async () => {
    expect((await get("/v1/quizzes/no-such-quiz")).status).toBe(404);
    expect((await post("/v1/quizzes/no-such-quiz/grade", { answers: {}, seed: 1 })).status).toBe(404);
  });

  it("grades right answers as passed, replayable by seed", async () => {
    const seed = 99;
    const { status, body } = await post("/v1/quizzes/theory-complexity/grade", { answers: answerKey(quizOf("theory-complexity"), seed), seed, lang: "en" });
    expect(status).toBe(200);
    const r = GradeResult.parse(body);
    expect(r).toMatchObject({ verdict: "passed", score: 1, seed, lang: "en", exerciseId: "theory-complexity" });
    expect(r.tests.map((t) => t.kind)).toEqual(["public", "hidden", "public", "hidden", "public"]);
  });

  it("grades wrong answers as failed with the explanation", async () => {
    const { status, body } = await post("/v1/quizzes/math-shapes/grade", { answers: { "qk-fixed": "(2, 8, 7, 5)" }, seed: 3 });
    expect(status).toBe(200);
    const r = GradeResult.parse(body);
    expect(r.verdict).toBe("failed");
    expect(r.lang).toBe("ja");
    expect(r.tests[0]?.message.ja).toContain("解説:");
  });

  it.each([
    [{ answers: {} }, /seed/],
    [{ answers: {}, seed: -1 }, /seed must be >= 0/],
    [{ answers: {}, seed: 1, lang: "fr" }, /lang/],
    [{ answers: {}, seed: 1, extra: true }, /extra/],
    [{ answers: { "Bad Id": "a" }, seed: 1 }, /answers/],
    [{ answers: { "qk-fixed": { nested: { deep: 1 } } }, seed: 1 }, /answers\.qk-fixed/],
    [[], /body/],
  ])("refuses the body %j with what was wrong", async (payload, message) => {
    const { status, body } = await post("/v1/quizzes/math-shapes/grade", payload);
    expect(status).toBe(400);
    expect(body).toMatchObject({ error: "invalid_request", message: expect.stringMatching(message) });
  });

  it("refuses answers to questions the quiz does not have", async () => {
    const { status, body } = await post("/v1/quizzes/math-shapes/grade", { answers: { "no-such-question": "(1, 2)" }, seed: 1 });
    expect(status).toBe(400);
    expect(body).toMatchObject({ error: "invalid_answer", message: expect.stringContaining("no question 'no-such-question'") });
  });

  it("refuses a body that is not JSON", async () => {
    expect((await post("/v1/quizzes/math-shapes/grade", "answers=1", "application/x-www-form-urlencoded")).status).toBe(415);
  });
});

describe("free-text routes", () => {
  it("lists the problems", async () => {
    const { status, body } = await get("/v1/free-text");
    expect(status).toBe(200);
    expect((body as { problems: { id: string }[] }).problems.map((p) => p.id).sort()).toEqual(["ethanol-attention", "qkv-analogy"]);
  });

  it("shows a statement without the model answer or rubric", async () => {
    const { status, body } = await get("/v1/free-text/ethanol-attention");
    expect(status).toBe(200);
    expect(body).toMatchObject({ id: "ethanol-attention", maxChars: 3000 });
    expect(Object.keys(body as object).sort()).toEqual(["chapterSection", "id", "maxChars", "statement", "title"]);
    expect((await get("/v1/free-text/nothing-here")).status).toBe(404);
  });

  it("accepts an answer and returns the model answer and rubric", async () => {
    const { status, body } = await post("/v1/free-text/qkv-analogy/answer", { text: "Query is the order, key the menu, value the dish.", lang: "en" });
    expect(status).toBe(200);
    const r = FreeTextAnswerResponse.parse(body);
    expect(r.modelAnswer).toEqual(catalog.freeText.get("qkv-analogy")?.modelAnswer);
    expect(r.rubric.passPoints).toBe(6);
  });

  it.each([
    [{ text: "   " }, "invalid_answer", /空/],
    [{ text: "x".repeat(2001), lang: "en" }, "invalid_answer", /too long/],
    [{ lang: "ja" }, "invalid_request", /text/],
    [{ text: 42 }, "invalid_request", /text/],
    [{ text: "ok", lang: "de" }, "invalid_request", /lang/],
    [{ text: "ok", extra: 1 }, "invalid_request", /extra/],
  ])("refuses %j", async (payload, error, message) => {
    const { status, body } = await post("/v1/free-text/qkv-analogy/answer", payload);
    expect(status).toBe(400);
    // Every error answer carries both languages: `message` (en) and `messageJa`.
    expect(body).toMatchObject({ error, message: expect.any(String), messageJa: expect.any(String) });
    const b = body as { message: string; messageJa: string };
    expect(`${b.message}\n${b.messageJa}`).toMatch(message);
  });

  it("answers 404 for an unknown problem and 415 for a non-JSON body", async () => {
    expect((await post("/v1/free-text/nothing-here/answer", { text: "hi" })).status).toBe(404);
    expect((await post("/v1/free-text/qkv-analogy/answer", "hi", "text/plain")).status).toBe(415);
  });
});
