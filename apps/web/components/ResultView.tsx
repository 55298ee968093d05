import type { GradeResult } from "@tfm/contract";
import { type Lang, type MessageKey, t, verdictKey } from "@/lib/i18n.ts";
import type { Tolerance } from "@/lib/heatmap-scale.ts";
import { Heatmaps } from "./Heatmap.tsx";

const STATUS_KEYS: Record<string, MessageKey> = {
  passed: "testStatusPassed",
  failed: "testStatusFailed",
  error: "testStatusError",
  time_limit: "verdictTimeLimit",
  memory_limit: "verdictMemoryLimit",
  output_limit: "verdictOutputLimit",
  skipped: "testStatusSkipped",
};
const KIND_KEYS: Record<string, MessageKey> = { public: "kindPublic", hidden: "kindHidden", pitfall: "kindPitfall", invariant: "kindInvariant" };

const SHOWN_FAILING = 3;

const shape = (s: readonly number[] | null) => (s === null ? "—" : `(${s.join(", ")})`);
const num = (v: number | null) => (v === null ? "—" : v.toExponential(2));

/** One grading result: verdict, per-test shapes side by side, error numbers, pitfalls in words, heatmaps. */
export function ResultView({ result, lang, tolerance }: { result: GradeResult; lang: Lang; tolerance?: Tolerance }) {
  const ok = result.verdict === "passed";
  // Failing tests first, in full; passing ones folded. Each diagnosed pitfall is explained once.
  const failing = result.tests.filter((x) => x.status !== "passed");
  const passing = result.tests.filter((x) => x.status === "passed");
  const pitfalls = [...new Map(failing.flatMap((x) => (x.pitfall === null ? [] : [[x.pitfall.id, x.pitfall] as const]))).values()];
  // The first few failing tests in full; the rest folded, so the page stays short.
  const failingRow = (test: GradeResult["tests"][number]) => (
        <div key={test.id} className={`test-row ${test.status === "passed" ? "passed" : test.status === "skipped" ? "" : "failed"}`} data-test={test.id}>
          <div>
            <strong>{test.name[lang]}</strong> <span className="badge">{t(lang, KIND_KEYS[test.kind] ?? "test")}</span>{" "}
            <span className={`badge ${test.status === "passed" ? "passed" : "error"}`}>{t(lang, STATUS_KEYS[test.status] ?? "testStatusError")}</span>
          </div>
          {test.message[lang] !== "" ? <p>{test.message[lang]}</p> : null}
          {test.part !== null ? <p className="hint">{test.part[lang]}</p> : null}
          {test.expectedShape !== null || test.actualShape !== null ? (
            <div className="shapes">
              <span>
                {t(lang, "expectedShape")}: {shape(test.expectedShape)}
              </span>
              <span>
                {t(lang, "actualShape")}: {shape(test.actualShape)}
              </span>
            </div>
          ) : null}
          {test.maxAbsError !== null || test.maxRelError !== null ? (
            <p className="hint">
              {t(lang, "maxAbsError")} {num(test.maxAbsError)} · {t(lang, "maxRelError")} {num(test.maxRelError)}
              {test.mismatches !== null ? ` · ${t(lang, "mismatches", { count: test.mismatches.count, total: test.mismatches.total })}` : ""}
            </p>
          ) : null}
          {test.mismatches?.where != null ? <p className="hint">{test.mismatches.where[lang]}</p> : null}
          {test.pitfall !== null ? (
            <p className="hint">
              {t(lang, "pitfall")}: {test.pitfall.title[lang]}
            </p>
          ) : null}
          {test.heatmap !== null ? <Heatmaps expected={test.heatmap.expected} actual={test.heatmap.actual} label={test.heatmap.label[lang]} lang={lang} {...(tolerance === undefined ? {} : { tolerance })} /> : null}
        </div>);
  return (
    <section className="card" aria-labelledby="result-title" data-verdict={result.verdict}>
      <h2 id="result-title">{t(lang, "resultTitle")}</h2>
      <p>
        <span className={`badge ${ok ? "passed" : "error"}`} data-testid="verdict">
          {t(lang, verdictKey(result.verdict))}
        </span>{" "}
        {t(lang, "testsPassed", { passed: result.passed, total: result.total })} · {t(lang, "score")} {Math.round(result.score * 100)}%
      </p>
      <p>{result.summary[lang]}</p>
      {result.compileErrors.length > 0 ? (
        <>
          <h3>{t(lang, "compileErrors")}</h3>
          <ul>
            {result.compileErrors.map((c, i) => (
              <li key={i}>
                {t(lang, "lineCol", { line: c.line, column: c.column })}: {c.message}
                <pre className="code">{c.lineText}</pre>
              </li>
            ))}
          </ul>
        </>
      ) : null}
      {result.runtimeError !== null ? (
        <>
          <h3>{t(lang, "runtimeError")}</h3>
          <p>
            {result.runtimeError.name}: {result.runtimeError.message[lang]}
            {result.runtimeError.line !== null ? ` (${t(lang, "lineCol", { line: result.runtimeError.line, column: result.runtimeError.column ?? 1 })})` : ""}
          </p>
        </>
      ) : null}
      {pitfalls.map((p) => (
        <div key={p.id} className="msg error" data-pitfall={p.id}>
          <strong>
            {t(lang, "pitfall")}: {p.title[lang]}
          </strong>
          <p>{p.explanation[lang]}</p>
          <p>
            {t(lang, "fix")}: {p.fix[lang]}
          </p>
        </div>
      ))}
      {failing.slice(0, SHOWN_FAILING).map((test) => failingRow(test))}
      {failing.length > SHOWN_FAILING ? (
        <details data-testid="more-failing">
          <summary>{t(lang, "moreFailing", { count: failing.length - SHOWN_FAILING })}</summary>
          {failing.slice(SHOWN_FAILING).map((test) => failingRow(test))}
        </details>
      ) : null}
      {passing.length > 0 ? (
        <details open={failing.length === 0}>
          <summary>{t(lang, "testsPassed", { passed: passing.length, total: result.tests.length })}</summary>
          <ul className="list-plain">
            {passing.map((test) => (
              <li key={test.id} className="test-row passed" data-test={test.id}>
                ✓ {test.name[lang]} <span className="badge">{t(lang, KIND_KEYS[test.kind] ?? "test")}</span>
                {test.heatmap !== null ? <Heatmaps expected={test.heatmap.expected} actual={test.heatmap.actual} label={test.heatmap.label[lang]} lang={lang} {...(tolerance === undefined ? {} : { tolerance })} /> : null}
              </li>
            ))}
          </ul>
        </details>
      ) : null}
      {result.limits !== undefined ? (
        <p className="hint" data-testid="result-limits">
          {t(lang, "resultLimits", { call: result.limits.callCpuMs, submission: result.limits.submissionCpuMs, memory: result.limits.memoryMb })}
        </p>
      ) : null}
      {result.console !== "" ? (
        <details>
          <summary>{t(lang, "consoleOutput")}</summary>
          <pre className="code">{result.console}</pre>
        </details>
      ) : null}
    </section>
  );
}
