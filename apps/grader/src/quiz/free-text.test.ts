import { FreeTextAnswerResponse, PublicFreeTextProblem } from "@tfm/contract";
import { describe, expect, it } from "vitest";
import { loadQuizCatalog } from "./catalog.ts";
import { answerFreeText, publicFreeText } from "./free-text.ts";

const catalog = loadQuizCatalog();

function problemOf(id: string) {
  const p = catalog.freeText.get(id);
  if (p === undefined) throw new Error(`no free-text problem ${id}`);
  return p;
}

describe("free-text problems", () => {
  it("are the chapter's two: another analogy for Q/K/V, and ethanol", () => {
    expect([...catalog.freeText.keys()].sort()).toEqual(["ethanol-attention", "qkv-analogy"]);
    expect(problemOf("qkv-analogy").statement.ja).toContain("図書館の例え以外");
    expect(problemOf("ethanol-attention").statement.en).toContain('"CCO"');
  });

  it.each([...catalog.freeText.values()].map((p) => [p.id, p] as const))("%s has a rubric that adds up and a model answer in both languages", (_id, p) => {
    const total = p.rubric.criteria.reduce((s, c) => s + c.points, 0);
    expect(total).toBeGreaterThanOrEqual(p.rubric.passPoints);
    for (const c of p.rubric.criteria) expect(c.text.ja.length > 0 && c.text.en.length > 0).toBe(true);
    expect(/[\u3040-\u30ff\u4e00-\u9fff]/.test(p.modelAnswer.ja)).toBe(true);
    expect(p.modelAnswer.en.length).toBeGreaterThan(400);
    // Written by us: the chapter's own model answer used a search engine; ours must not.
    if (p.id === "qkv-analogy") expect(p.modelAnswer.ja).not.toContain("検索エンジン");
  });

  it("shows students the statement only", () => {
    for (const p of catalog.freeText.values()) {
      const view = publicFreeText(p);
      expect(PublicFreeTextProblem.strict().safeParse(view).success).toBe(true);
      const text = JSON.stringify(view);
      expect(text).not.toContain(p.modelAnswer.en.slice(0, 40));
      expect(text).not.toContain("rubric");
    }
  });

  it("accepts an answer and returns the model answer and rubric", () => {
    const p = problemOf("qkv-analogy");
    const outcome = answerFreeText(p, { text: "  Query は注文、Key はメニュー、Value は料理。  ", lang: "ja" });
    expect(outcome.accepted).toBe(true);
    if (!outcome.accepted) return;
    expect(FreeTextAnswerResponse.safeParse(outcome.response).success).toBe(true);
    expect(outcome.response).toMatchObject({ accepted: true, problemId: "qkv-analogy", lang: "ja", modelAnswer: p.modelAnswer, rubric: p.rubric });
    expect(outcome.response.characters).toBe([..."Query は注文、Key はメニュー、Value は料理。"].length);
  });

  it("refuses an empty or blank answer without revealing the model answer", () => {
    for (const text of ["", "   ", "\n\t "]) {
      const outcome = answerFreeText(problemOf("ethanol-attention"), { text, lang: "en" });
      expect(outcome).toEqual({ accepted: false, reason: expect.objectContaining({ en: expect.stringContaining("empty") }) });
    }
  });

  it("counts characters, not UTF-16 units, against the limit", () => {
    const p = problemOf("qkv-analogy");
    expect(answerFreeText(p, { text: "𝑄".repeat(p.maxChars), lang: "en" }).accepted).toBe(true);
    const over = answerFreeText(p, { text: "あ".repeat(p.maxChars + 1), lang: "ja" });
    expect(over.accepted).toBe(false);
    if (!over.accepted) expect(over.reason.ja).toContain(`上限 ${p.maxChars} 文字`);
  });
});
