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
} as const;

/** The readable report the CLI prints (and the portal can show as text). */
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
  return out.join("\n");
}
