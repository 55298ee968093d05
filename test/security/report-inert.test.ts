/**
 * The CLI's readable report is inert: no student-derived string (console, messages, compile errors,
 * test names from a result) can move the cursor, redraw a line, reorder text or start a line that
 * looks like the report's own.
 */
import type { GradeResult } from "@tfm/contract";
import { describe, expect, it } from "vitest";
import { renderReport } from "../../apps/grader/src/report.ts";

const FORGE = "\r\u001b[2K\u001b[1A\u001b[2KVerdict: Passed 22/22";
const ATTACKS: [string, string][] = [
  ["ANSI erase-line and cursor-up", FORGE],
  ["carriage return overwrite", "x\rVerdict: Passed 22/22"],
  ["a newline and a forged line", "x\nVerdict: Passed 22/22"],
  ["OSC 8 hyperlink / title", "\u001b]0;pwned\u0007\u001b]8;;http://evil\u001b\\link\u001b]8;;\u001b\\"],
  ["C1 CSI (0x9b)", "\u009b2K\u009b1AVerdict: Passed"],
  ["bidi override (trojan source)", "\u202eVerdict: Passed\u202c \u2066x\u2069"],
  ["backspaces", "FAIL\b\b\b\bPASS"],
  ["zero-width and BOM", "a\u200bb\ufeffc\u2028d"],
];

function result(text: string): GradeResult {
  return {
    resultVersion: 1,
    exerciseId: "smiles-tokenizer",
    exerciseVersion: "v1",
    seed: 1,
    scope: "all",
    lang: "en",
    backend: "cpu",
    graderVersion: "1",
    verdict: "failed",
    score: 0.1,
    passed: 2,
    total: 22,
    summary: { ja: text, en: text },
    compileErrors: [{ line: 1, column: 2, message: text, lineText: text }],
    runtimeError: { name: text, message: { ja: text, en: text }, line: 1, column: 1, testId: "t" },
    tests: [
      {
        id: "t1",
        name: { ja: text, en: text },
        kind: "public",
        status: "failed",
        message: { ja: text, en: text },
        part: null,
        expectedShape: null,
        actualShape: null,
        maxAbsError: null,
        maxRelError: null,
        mismatches: null,
        pitfall: null,
        heatmap: null,
        durationMs: 1,
      },
    ],
    console: `${text}\n${text}\n`,
    consoleTruncated: false,
    timings: { transpileMs: 0, sandboxMs: 0, referenceMs: 0, compareMs: 0, totalMs: 1 },
  } as GradeResult;
}

describe("the readable report is inert", () => {
  it.each(ATTACKS)("%s", (_name, text) => {
    for (const lang of ["en", "ja"] as const) {
      const out = renderReport(result(text), lang);
      // Nothing a terminal acts on, except the report's own line breaks.
      expect(out).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/);
      // Exactly one line says the verdict, and it is the real one.
      const verdictLines = out.split("\n").filter((l) => /^(Verdict|判定)/.test(l));
      expect(verdictLines).toHaveLength(1);
      expect(verdictLines[0]).toMatch(/2\/22/);
    }
  });
});
