/**
 * The grader owns every driver: code a statement gives the student to "keep as it is" is run from
 * the grader's own copy (exercises/<id>/driver.ts), so a changed or removed copy in the submission
 * has no effect on what is checked.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { gradeViaApi } from "../grader-client.ts";

const read = (ex: string, file: string) => readFileSync(new URL(`../../exercises/${ex}/${file}`, import.meta.url), "utf8");
const STATE = "state-dict";
const SOLUTION = read(STATE, "solution.ts");
const cut = SOLUTION.indexOf("// ---------------------------------------------------------------------------------------------");
const FUNCTIONS = SOLUTION.slice(0, cut);

/** A driver with the writes removed: aliasing bugs could not be seen with it. */
const INERT_DRIVER = `
export function runCheckpoint(model: StateDict, target: StateDict, edits: Record<string, Tensor | null>, strict: boolean) {
  const saved = stateDict(model);
  const savedKeys = Object.keys(saved);
  for (const [key, value] of Object.entries(edits)) { if (value === null) delete saved[key]; else saved[key] = value; }
  const { missingKeys, unexpectedKeys } = loadStateDict(target, saved, strict);
  return { params: target, savedKeys, missingKeys, unexpectedKeys };
}`;

const SAVE_ALIASING = FUNCTIONS.replace("out[name] = t.clone();", "out[name] = t;");
const LOAD_ALIASING = FUNCTIONS.replace("if (src !== undefined) param.copy_(src);", "if (src !== undefined) (target as Record<string, Tensor>)[name] = src;");

/** stateDict hands out a Proxy that clones on every read: a driver reading through it would never see aliasing. */
const PROXY_SNAPSHOT = LOAD_ALIASING.replace(
  "export function stateDict(params: StateDict): StateDict {",
  `export function stateDict(params: StateDict): StateDict {
  const real: StateDict = {};
  for (const [name, t] of Object.entries(params)) real[name] = t.clone();
  return new Proxy(real, { get: (o, k) => (typeof k === "string" && k in o ? (o[k] as Tensor).clone() : Reflect.get(o, k)) });
}
export function unusedStateDict(params: StateDict): StateDict {`,
);

describe("state-dict: the grader's runCheckpoint, not the student's", () => {
  it("the source variants are what they claim to be", () => {
    for (const s of [SAVE_ALIASING, LOAD_ALIASING, PROXY_SNAPSHOT]) expect(s).not.toBe(FUNCTIONS);
  });

  it.each([
    ["save aliasing with the driver's writes removed", SAVE_ALIASING + INERT_DRIVER, "state-dict-save-aliasing"],
    ["load aliasing with the driver's writes removed", LOAD_ALIASING + INERT_DRIVER, "state-dict-load-aliasing"],
    ["load aliasing with no driver at all", LOAD_ALIASING, "state-dict-load-aliasing"],
    ["load aliasing behind a cloning Proxy snapshot", PROXY_SNAPSHOT + INERT_DRIVER, "state-dict-load-aliasing"],
    [
      "a driver that returns the target unchanged after copying the model by hand",
      `${SAVE_ALIASING}\nexport function runCheckpoint(model: StateDict, target: StateDict) { return { params: target, savedKeys: Object.keys(model), missingKeys: [], unexpectedKeys: [] }; }`,
      "state-dict-save-aliasing",
    ],
  ])("%s fails, naming the aliasing", async (_name, source, pitfall) => {
    const r = await gradeViaApi({ exerciseId: STATE, source, seed: 11 });
    expect(r.verdict).toBe("failed");
    expect(r.tests.some((t) => t.status !== "passed" && t.pitfall?.id === pitfall), JSON.stringify(r.tests.filter((t) => t.status !== "passed").map((t) => [t.id, t.pitfall?.id]))).toBe(true);
  });

  it("the model solution passes with its runCheckpoint deleted or broken", async () => {
    for (const source of [FUNCTIONS, `${FUNCTIONS}\nexport function runCheckpoint(): never { throw new Error("mine"); }`]) {
      const r = await gradeViaApi({ exerciseId: STATE, source, seed: 12 });
      expect(r.verdict, JSON.stringify(r.runtimeError ?? r.compileErrors)).toBe("passed");
    }
  });

  it("the student's module cannot import the driver's view of itself", async () => {
    const r = await gradeViaApi({ exerciseId: STATE, source: `import * as me from "./starter.ts";\n${FUNCTIONS}\nvoid me;`, seed: 1 });
    expect(r.verdict).toBe("compile_error");
  });
});

describe("linear-and-embedding: the grader's linearAndEmbedding", () => {
  const LE = "linear-and-embedding";
  const sol = read(LE, "solution.ts");
  it("passes when the student's copy is replaced by one that throws", async () => {
    const source = sol.replace(/export function linearAndEmbedding[\s\S]*$/, 'export function linearAndEmbedding(): never { throw new Error("mine"); }\n');
    expect(source).not.toBe(sol);
    const r = await gradeViaApi({ exerciseId: LE, source, seed: 3 });
    expect(r.verdict, JSON.stringify(r.runtimeError)).toBe("passed");
  });

  it("fails when linear is wrong, whatever the student's copy of the driver returns", async () => {
    const source = `${sol.replace(/export function linearAndEmbedding[\s\S]*$/, "")}
export function linearAndEmbedding(): never { throw new Error("mine"); }`.replace(/export function linear\(/, "export function linearUnused(") + `
export function linear(x: Tensor): Tensor { return x; }`;
    const r = await gradeViaApi({ exerciseId: LE, source, seed: 3 });
    expect(r.verdict).not.toBe("passed");
  });
});
