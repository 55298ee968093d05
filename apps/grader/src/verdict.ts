import type { Localized, TestResult, Verdict } from "@tfm/contract";

/** Limits first (they stop work), then crashes, then wrong answers. */
export function verdictOf(tests: readonly TestResult[]): Verdict {
  const executed = tests.filter((t) => t.status !== "skipped");
  if (executed.length === 0) return "internal_error";
  const has = (s: TestResult["status"]): boolean => tests.some((t) => t.status === s);
  if (tests.every((t) => t.status === "passed")) return "passed";
  if (has("memory_limit")) return "memory_limit";
  if (has("time_limit")) return "time_limit";
  if (has("output_limit")) return "output_limit";
  if (has("error")) return "runtime_error";
  return "failed";
}

export function scoreOf(tests: readonly TestResult[]): { score: number; passed: number; total: number } {
  const passed = tests.filter((t) => t.status === "passed").length;
  const total = tests.length;
  return { score: total === 0 ? 0 : Math.round((passed / total) * 10_000) / 10_000, passed, total };
}

const VERDICT_TEXT: Record<Verdict, Localized> = {
  passed: { ja: "合格", en: "Passed" },
  failed: { ja: "不合格", en: "Failed" },
  compile_error: { ja: "コンパイルエラー", en: "Compile error" },
  runtime_error: { ja: "実行時エラー", en: "Runtime error" },
  time_limit: { ja: "時間制限超過", en: "Time limit exceeded" },
  memory_limit: { ja: "メモリ制限超過", en: "Memory limit exceeded" },
  output_limit: { ja: "出力制限超過", en: "Output limit exceeded" },
  internal_error: { ja: "採点システムの内部エラー (試行回数には数えません)", en: "Internal grader error (not counted as an attempt)" },
};

export function verdictText(v: Verdict): Localized {
  return VERDICT_TEXT[v];
}

export function summarize(verdict: Verdict, tests: readonly TestResult[]): Localized {
  const { passed, total } = scoreOf(tests);
  const pitfalls = [...new Map(tests.filter((t) => t.pitfall !== null).map((t) => [t.pitfall?.id, t.pitfall])).values()];
  const head = VERDICT_TEXT[verdict];
  let ja = `${head.ja}: ${total} 件中 ${passed} 件のテストに合格`;
  let en = `${head.en}: ${passed} of ${total} tests passed`;
  if (pitfalls.length > 0) {
    ja += `。検出された落とし穴: ${pitfalls.map((p) => p?.title.ja).join("、")}`;
    en += `. Pitfalls detected: ${pitfalls.map((p) => p?.title.en).join(", ")}`;
  }
  return { ja, en };
}
