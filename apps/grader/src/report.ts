import { type GradeResult, type Lang, type TestResult, shapeText } from "@tfm/contract";
import { fmt } from "./compare.ts";
import { verdictText } from "./verdict.ts";

const MARK: Record<TestResult["status"], string> = {
  passed: "PASS",
  failed: "FAIL",
  error: "ERROR",
  time_limit: "TIME",
  memory_limit: "MEMORY",
  output_limit: "OUTPUT",
  skipped: "SKIP",
};

const L = {
  verdict: { ja: "判定", en: "Verdict" },
  tests: { ja: "テスト", en: "tests" },
  passed: { ja: "合格", en: "passed" },
  seed: { ja: "シード", en: "seed" },
  backend: { ja: "参照実装のバックエンド", en: "reference backend" },
  shapes: { ja: "形状 (期待 / 実際)", en: "shape (expected / actual)" },
  errors: { ja: "最大絶対誤差 / 最大相対誤差", en: "max abs / max rel error" },
  pitfall: { ja: "落とし穴", en: "Pitfall" },
  fix: { ja: "直し方", en: "Fix" },
  console: { ja: "console 出力", en: "Console output" },
  truncated: { ja: "(制限により切り詰め)", en: "(truncated at the limit)" },
  compile: { ja: "コンパイルエラー", en: "Compile errors" },
  replay: { ja: "同じ採点を再現するには --seed", en: "replay this grading with --seed" },
  limits: { ja: "制限 (CPU 時間): 1 回の呼び出し {call} ms、提出全体 {submission} ms; メモリ {memory} MB", en: "limits (CPU time): {call} ms per call, {submission} ms per submission; memory {memory} MB" },
} as const;

/**
 * Characters a terminal acts on rather than shows: C0 and C1 controls (ESC starts ANSI sequences
 * that move the cursor and redraw lines), DEL, and the Unicode format characters that reorder or
 * hide text (bidi overrides and isolates, zero-width characters, line and paragraph separators).
 * Every format character (Cf) is included, not only a list of known ones: the Arabic letter mark
 * U+061C is a bidi control like LRM/RLM, and U+180E, the interlinear annotation marks U+FFF9-FFFB
 * and the TAG characters U+E0000-E007F are invisible and can carry hidden text.
 */
const ACTIVE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\u061c\u180e\ufff9-\ufffb\u{e0000}-\u{e007f}]/gu;

/**
 * One entry of the report, made inert: every active character is shown as a visible escape, except
 * that a line break inside an entry (a multi-line error message) continues the entry indented, so
 * that no student text can start a line of its own that looks like the report's ("Verdict: ...").
 */
export function inert(entry: string): string {
  return entry
    .split("\n")
    .map((line) => line.replace(ACTIVE, (c) => `\\u{${(c.codePointAt(0) ?? 0).toString(16).padStart(4, "0")}}`))
    .join("\n      ¦ ");
}

/** The readable report the CLI prints (and the portal can show as text); every line is inert. */
export function renderReport(r: GradeResult, lang: Lang): string {
  const out: string[] = [];
  const v = verdictText(r.verdict)[lang];
  out.push(`${r.exerciseId}  (${r.exerciseVersion})`);
  out.push(`${L.verdict[lang]}: ${v}  ${r.passed}/${r.total} ${L.tests[lang]} ${L.passed[lang]}  score ${r.score.toFixed(2)}`);
  out.push(r.summary[lang]);
  if (r.compileErrors.length > 0) {
    out.push("", `${L.compile[lang]}:`);
    for (const e of r.compileErrors) {
      out.push(`  ${e.line}:${e.column}  ${e.message}`);
      if (e.lineText !== "") out.push(`    ${e.lineText}`, `    ${" ".repeat(Math.max(0, e.column - 1))}^`);
    }
  }
  if (r.tests.length > 0) out.push("");
  for (const t of r.tests) {
    out.push(`[${MARK[t.status]}] ${t.id} (${t.kind})  ${t.name[lang]}`);
    if (t.status === "passed") continue;
    out.push(`    ${t.message[lang]}`);
    if (t.expectedShape !== null || t.actualShape !== null) {
      out.push(`    ${L.shapes[lang]}: ${t.expectedShape ? shapeText(t.expectedShape) : "-"} / ${t.actualShape ? shapeText(t.actualShape) : "-"}`);
    }
    if (t.maxAbsError !== null || t.maxRelError !== null) {
      out.push(`    ${L.errors[lang]}: ${t.maxAbsError === null ? "-" : fmt(t.maxAbsError)} / ${t.maxRelError === null ? "-" : fmt(t.maxRelError)}`);
    }
    if (t.pitfall !== null) {
      out.push(`    ${L.pitfall[lang]} [${t.pitfall.id}]: ${t.pitfall.title[lang]}`);
      out.push(`      ${t.pitfall.explanation[lang]}`);
      out.push(`      ${L.fix[lang]}: ${t.pitfall.fix[lang]}`);
    }
  }
  if (r.console !== "") {
    out.push("", `${L.console[lang]}${r.consoleTruncated ? ` ${L.truncated[lang]}` : ""}:`);
    out.push(...r.console.replace(/\n$/, "").split("\n").map((l) => `  | ${l}`));
  }
  out.push("", `${L.seed[lang]} ${r.seed} (${L.replay[lang]} ${r.seed})  ${L.backend[lang]}: ${r.backend}  ${Math.round(r.timings.totalMs)} ms`);
  if (r.limits !== undefined) {
    out.push(L.limits[lang].replace("{call}", String(r.limits.callCpuMs)).replace("{submission}", String(r.limits.submissionCpuMs)).replace("{memory}", String(r.limits.memoryMb)));
  }
  // Each pushed line may carry student text (messages, console, compile errors): none may act on the terminal.
  return out.map(inert).join("\n");
}
