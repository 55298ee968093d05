import { existsSync, readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { createSystem, createVirtualTypeScriptEnvironment } from "@typescript/vfs";
import ts from "typescript";
import { beforeAll, describe, expect, it } from "vitest";
import { SUBMISSION_PATH, editorCompilerOptions } from "../apps/web/editor/options.ts";
import { editorTypes } from "../apps/web/scripts/editor-assets.ts";

/**
 * The editor's language service (apps/web/editor/ts-worker.ts) runs TypeScript over exactly these
 * files in the browser; here the same files and options run in Node, so what a student sees is tested.
 */
let env: ReturnType<typeof createVirtualTypeScriptEnvironment>;

beforeAll(() => {
  const fsMap = new Map(Object.entries(editorTypes()));
  fsMap.set(SUBMISSION_PATH, "\n");
  const roots = [SUBMISSION_PATH, ...[...fsMap.keys()].filter((f) => f.startsWith("/globals/"))];
  env = createVirtualTypeScriptEnvironment(createSystem(fsMap), roots, ts, editorCompilerOptions(ts));
}, 120_000);

function diagnostics(code: string): string[] {
  env.updateFile(SUBMISSION_PATH, code);
  const ls = env.languageService;
  return [...ls.getSyntacticDiagnostics(SUBMISSION_PATH), ...ls.getSemanticDiagnostics(SUBMISSION_PATH)].map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"));
}

const root = path.resolve(import.meta.dirname, "..");
const solution = (id: string) => readFileSync(path.join(root, "exercises", id, "solution.ts"), "utf8");

describe("the editor's TypeScript help", () => {
  const exercises = readdirSync(path.join(root, "exercises")).filter((d) => existsSync(path.join(root, "exercises", d, "solution.ts")));
  it("covers every exercise", () => expect(exercises.length).toBeGreaterThanOrEqual(23));
  it.each(exercises)("finds no error in the model solution of %s", (id) => {
    expect(diagnostics(solution(id))).toEqual([]);
  });

  it("underlines a misspelt kit method, a wrong argument type and an import other than the kit", () => {
    expect(diagnostics(`import { torch } from "@tfm/kit";\nconst x = torch.zeros(2, 3);\nx.maskedFil(x.eq(0), 1);\n`).join("\n")).toMatch(/maskedFil.*does not exist/);
    expect(diagnostics(`import { torch } from "@tfm/kit";\nconst x = torch.zeros(2, 3);\nx.transpose("a", 1);\n`).join("\n")).toMatch(/not assignable to parameter of type 'number'/);
    expect(diagnostics(`import fs from "node:fs";\nexport const a = fs;\n`).join("\n")).toMatch(/Cannot find module 'node:fs'/);
  });

  it("knows the sandbox's console and nothing of the browser's or Node's", () => {
    expect(diagnostics(`console.log(1);\n`)).toEqual([]);
    expect(diagnostics(`document.title = "x";\n`).join("\n")).toMatch(/Cannot find name 'document'/);
    expect(diagnostics(`process.exit(1);\n`).join("\n")).toMatch(/Cannot find name 'process'/);
  });

  it("completes a tensor's methods and shows a kit function's signature on hover", () => {
    const code = `import { torch } from "@tfm/kit";\nconst q = torch.zeros(2, 3);\nq.\n`;
    env.updateFile(SUBMISSION_PATH, code);
    const at = code.indexOf("q.\n") + 2;
    const names = env.languageService.getCompletionsAtPosition(SUBMISSION_PATH, at, {})?.entries.map((e) => e.name) ?? [];
    for (const m of ["maskedFill", "transpose", "size", "softmax", "matmul", "div"]) expect(names).toContain(m);
    const hover = `import { torch, F } from "@tfm/kit";\nconst q = torch.zeros(2, 3);\nF.softmax(q, -1);\n`;
    env.updateFile(SUBMISSION_PATH, hover);
    const info = env.languageService.getQuickInfoAtPosition(SUBMISSION_PATH, hover.indexOf("softmax") + 2);
    expect(ts.displayPartsToString(info?.displayParts)).toMatch(/softmax\(x: Tensor, dim: number\): Tensor/);
    expect(ts.displayPartsToString(info?.documentation)).toMatch(/Softmax along dim/);
  });
});
