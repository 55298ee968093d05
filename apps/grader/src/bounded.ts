/**
 * Bounds for everything the grader builds from a student's code or output: one helper to clip
 * text (saying how much was clipped), and the caps every result respects. A small source can
 * make huge values (a 1.5M-character token, a 200,000-character line repeated in 500 compile
 * errors); nothing derived from them may grow without limit.
 */
import type { CompileError, GradeResult, Localized } from "@tfm/contract";

/** Longest message (one language) a test, a summary or a runtime error carries. */
export const MAX_MESSAGE_CHARS = 2_000;
/** Longest quoted student value inside a message. */
export const MAX_QUOTED_CHARS = 60;
/** Compile errors kept per result, and the longest source line shown with one. */
export const MAX_COMPILE_ERRORS = 20;
export const MAX_LINE_TEXT_CHARS = 240;
/** The whole result, serialized: checked on the host before it is returned or stored. */
export const MAX_RESULT_CHARS = 2_000_000;

/** `s` cut to at most `max` characters, ending with a note of how many were left out. */
export function clipText(s: string, max: number): string {
  if (s.length <= max) return s;
  const cut = s.length - max;
  return `${s.slice(0, max)}… [${cut} more characters clipped / 残り ${cut} 文字は省略]`;
}

export function clipLocalized(m: Localized, max = MAX_MESSAGE_CHARS): Localized {
  return m.ja.length <= max && m.en.length <= max ? m : { ja: clipText(m.ja, max), en: clipText(m.en, max) };
}

/** A source line shown under a compile error: the part around the error's column. */
export function clipLineText(line: string, column: number): string {
  if (line.length <= MAX_LINE_TEXT_CHARS) return line;
  const half = MAX_LINE_TEXT_CHARS / 2;
  const start = Math.max(0, Math.min(column - 1 - half, line.length - MAX_LINE_TEXT_CHARS));
  const before = start > 0 ? `[${start} characters] …` : "";
  const end = start + MAX_LINE_TEXT_CHARS;
  const after = end < line.length ? `… [${line.length - end} characters]` : "";
  return `${before}${line.slice(start, end)}${after}`;
}

export function boundCompileErrors(errors: readonly CompileError[]): CompileError[] {
  const kept = errors.slice(0, MAX_COMPILE_ERRORS).map((e) => ({
    line: e.line,
    column: e.column,
    message: clipText(e.message, MAX_MESSAGE_CHARS),
    lineText: clipLineText(e.lineText, e.column),
  }));
  return kept;
}

/**
 * Every student-derived string of a result clipped to its cap, then the whole result checked:
 * a result still over MAX_RESULT_CHARS (it cannot be, with the caps above, unless an exercise
 * has thousands of tests) loses its console and per-test details rather than growing.
 */
export function boundResult(r: GradeResult): GradeResult {
  const out: GradeResult = {
    ...r,
    summary: clipLocalized(r.summary),
    compileErrors: boundCompileErrors(r.compileErrors),
    runtimeError: r.runtimeError === null ? null : { ...r.runtimeError, name: clipText(r.runtimeError.name, 100), message: clipLocalized(r.runtimeError.message) },
    tests: r.tests.map((t) => ({ ...t, message: clipLocalized(t.message) })),
  };
  if (JSON.stringify(out).length <= MAX_RESULT_CHARS) return out;
  const lean: GradeResult = {
    ...out,
    console: clipText(out.console, 10_000),
    consoleTruncated: true,
    tests: out.tests.map((t) => ({ ...t, message: clipLocalized(t.message, 300), mismatches: null, heatmap: null })),
  };
  return lean;
}
