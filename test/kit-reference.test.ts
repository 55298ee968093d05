import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { DOCS, GROUPS, PYTORCH_TO_KIT } from "../apps/web/lib/kit/docs.ts";
import { API_FILE, type ApiEntry, renderApiFile } from "../apps/web/scripts/kit-reference.ts";

/** The portal's kit reference is the kit's own API, every member explained in both languages. */
const api = JSON.parse(readFileSync(API_FILE, "utf8")) as ApiEntry[];

describe("kit reference", () => {
  it("is the kit's current API (regenerate with node --import tsx apps/web/scripts/kit-reference.ts)", () => {
    expect(readFileSync(API_FILE, "utf8")).toBe(renderApiFile());
  });

  it("lists the members a newcomer looks for", () => {
    const ids = new Set(api.map((e) => e.id));
    for (const id of ["Tensor.div", "Tensor.maskedFill", "Tensor.size", "Tensor.transpose", "torch.matmul", "F.softmax", "nn.init.xavierUniform_", "Linear.new"]) {
      expect(ids, id).toContain(id);
    }
    const size = api.find((e) => e.id === "Tensor.size");
    expect(size?.signatures.join(" ")).toContain("dim");
  });

  it("explains every member in Japanese and English, and names no member the kit lacks", () => {
    const explained = api.filter((e) => e.functionFormOf === null).map((e) => e.id);
    expect(explained.filter((id) => DOCS[id] === undefined), "members without words in apps/web/lib/kit/docs.ts").toEqual([]);
    const known = new Set(api.map((e) => e.id));
    expect(Object.keys(DOCS).filter((id) => !known.has(id)), "words for members the kit does not have").toEqual([]);
    for (const [id, [ja, en]] of Object.entries(DOCS)) {
      expect(ja.trim(), id).not.toBe("");
      expect(en.trim(), id).not.toBe("");
      expect(ja, `${id}: the Japanese text is Japanese`).toMatch(/[\u3000-\u30ff\u4e00-\u9fff]/);
    }
  });

  it("points every function form at a method that exists, and every member at a group with a title", () => {
    const ids = new Set(api.map((e) => e.id));
    for (const e of api) {
      if (e.functionFormOf !== null) expect(ids, e.id).toContain(e.functionFormOf);
      expect(GROUPS[e.group], `${e.id}: group ${e.group}`).toBeDefined();
      expect(e.signatures.length, e.id).toBeGreaterThan(0);
    }
  });

  it("translates the chapter's PyTorch into kit calls that exist", () => {
    const names = new Set(api.map((e) => e.name));
    const owners = new Set(api.map((e) => e.owner));
    for (const row of PYTORCH_TO_KIT) {
      for (const made of row.kit.matchAll(/new ([a-zA-Z.]+)\(/g)) expect(owners, row.kit).toContain(made[1]);
      for (const call of row.kit.replace(/new [a-zA-Z.]+\(/g, "(").matchAll(/\.([a-zA-Z_]+)\(/g)) {
        const name = call[1] ?? "";
        if (["sqrt"].includes(name) && row.kit.includes("Math.")) continue;
        expect(names, `${row.kit}: .${name}`).toContain(name);
      }
    }
  });
});
