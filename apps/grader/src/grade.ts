import {
  type ExerciseMeta,
  type GradeResult,
  type Localized,
  type ParsedGradeRequest,
  type Pitfall,
  type PitfallHit,
  type TestResult,
  type WireValue,
  WireValueSchema,
  isWireTensor,
} from "@tfm/contract";
import { CallFailure, type CaseDef, type InvariantDef, Rng, deriveSeed, thrownExpectation } from "@tfm/spec";
import type { Catalog, CatalogEntry } from "./catalog.ts";
import { type Comparison, compareValues } from "./compare.ts";
import { type ExerciseRuntime, loadRuntime } from "./runtime.ts";
import type { ReferenceCache } from "./reference-cache.ts";
import { type RunOutcome, Sandbox, type SandboxFactory, type SubmissionSandbox } from "./sandbox/sandbox.ts";
import { studentPosition } from "./sourcemap.ts";
import { transpile } from "./transpile.ts";
import { scoreOf, summarize, verdictOf } from "./verdict.ts";

export const GRADER_VERSION = "1.0.0";

export interface GradeJob extends ParsedGradeRequest {
  /** Always set by the time a job is graded: chosen by the dispatcher when the request has none. */
  seed: number;
}

export interface GradeDeps {
  catalog: Catalog;
  backend: string;
  references: ReferenceCache;
  /** Receives the per-stage cost of each grading (the benchmark's profile; not part of the result contract). */
  onStages?: (stages: StageTimes) => void;
  /** Where submissions run: a fresh isolate each (the default); the benchmark's baseline swaps in a fresh process each. */
  sandboxes?: SandboxFactory;
}

/** Where one grading's time went, finer than GradeResult.timings (whose shape the contract fixes). */
export interface StageTimes {
  transpileMs: number;
  /** New isolates and their contexts (one per submission; another only after a memory limit). */
  isolateMs: number;
  /** Compiling the kit + harness from the code cache, running it and booting it (lockdown). */
  kitMs: number;
  /** Compiling and evaluating the submission's top level. */
  loadMs: number;
  /** Calls of the entry point: arguments copied in, the student's code, results copied out and checked. */
  runMs: number;
  referenceMs: number;
  compareMs: number;
  totalMs: number;
  /** Sandboxes created, and how many compiled the kit from the shared V8 code cache. */
  isolates: number;
  codeCacheHits: number;
  /** Isolates prepared ahead of time while the worker was idle (their creation is then off the critical path). */
  spares: number;
  calls: number;
}

type Status = TestResult["status"];

interface Clock {
  deadline: number;
}

const HEATMAP_MAX = 16;

export class UnknownExerciseError extends Error {
  override name = "UnknownExerciseError";
}

/** One submission, start to verdict: transpile -> sandbox -> reference -> compare -> verdict. */
export async function gradeSubmission(job: GradeJob, deps: GradeDeps): Promise<GradeResult> {
  const started = performance.now();
  const entry = deps.catalog.exercises.get(job.exerciseId);
  if (entry === undefined) throw new UnknownExerciseError(`unknown exercise '${job.exerciseId}'`);
  const meta = entry.meta;
  const timings = { transpileMs: 0, sandboxMs: 0, referenceMs: 0, compareMs: 0, totalMs: 0 };
  const stages: StageTimes = { transpileMs: 0, isolateMs: 0, kitMs: 0, loadMs: 0, runMs: 0, referenceMs: 0, compareMs: 0, totalMs: 0, isolates: 0, codeCacheHits: 0, spares: 0, calls: 0 };
  const report = (): void => {
    if (deps.onStages === undefined) return;
    deps.onStages({ ...stages, transpileMs: timings.transpileMs, referenceMs: timings.referenceMs, compareMs: timings.compareMs, totalMs: timings.totalMs });
  };
  const base = {
    resultVersion: 1 as const,
    exerciseId: meta.id,
    exerciseVersion: entry.version,
    seed: job.seed,
    scope: job.scope,
    lang: job.lang,
    backend: deps.backend,
    graderVersion: GRADER_VERSION,
  };

  const t0 = performance.now();
  const compiled = await transpile(job.source);
  timings.transpileMs = performance.now() - t0;
  if (!compiled.ok) {
    timings.totalMs = performance.now() - started;
    report();
    return {
      ...base,
      verdict: "compile_error",
      score: 0,
      passed: 0,
      total: 0,
      summary: {
        ja: `コンパイルエラー (${compiled.errors.length} 件)。最初のエラー: ${compiled.errors[0]?.line}:${compiled.errors[0]?.column} ${compiled.errors[0]?.message}`,
        en: `Compile error (${compiled.errors.length}). First: ${compiled.errors[0]?.line}:${compiled.errors[0]?.column} ${compiled.errors[0]?.message}`,
      },
      compileErrors: compiled.errors,
      runtimeError: null,
      tests: [],
      console: "",
      consoleTruncated: false,
      timings,
    };
  }

  const runtime = await loadRuntime(entry);
  const cases = runtime.spec.cases.filter((c) => job.scope === "all" || c.kind !== "hidden");
  const invariants = job.scope === "all" ? (runtime.spec.invariants ?? []) : [];
  const clock: Clock = { deadline: performance.now() + meta.limits.wallTimeoutMs };
  const session = new SubmissionSession(entry, compiled.code, compiled.sourceMap, job.seed, timings, stages, deps.sandboxes ?? Sandbox.create);
  const tests: TestResult[] = [];
  let consoleText = "";
  let consoleTruncated = false;
  let runtimeError: GradeResult["runtimeError"] = null;

  try {
    const loaded = await session.ensureLoaded(clock);
    if (!loaded.ok) {
      const failure = failureOf(loaded, meta, session.sourceMap, false);
      runtimeError = failure.runtimeError === null ? null : { ...failure.runtimeError, testId: null };
      for (const c of [...cases, ...invariants]) tests.push(skipped(c, "kind" in c ? c.kind : "invariant", failure.message));
      // The load itself is what failed: give it the status the failure deserves.
      const first = tests[0];
      if (first !== undefined) tests[0] = { ...first, status: failure.status, message: failure.message };
    } else {
      // After a time limit (or a second memory limit) the remaining tests are not run: a submission
      // that loops or exhausts memory everywhere costs its budget once, not once per test.
      let stopped: Localized | null = null;
      let memoryLimits = 0;
      for (const c of cases) {
        if (stopped !== null) {
          tests.push(skipped(c, c.kind, stopped));
          continue;
        }
        const test = await runCase(c, runtime, session, deps, job, clock, timings);
        tests.push(test.result);
        runtimeError ??= test.runtimeError;
        if (test.result.status === "time_limit") stopped = afterTimeLimit(c.id);
        if (test.result.status === "memory_limit" && ++memoryLimits >= 2) stopped = afterMemoryLimits();
      }
      for (const inv of invariants) {
        if (stopped !== null) {
          tests.push(skipped(inv, "invariant", stopped));
          continue;
        }
        const test = await runInvariant(inv, runtime, session, deps, job, clock);
        tests.push(test.result);
        runtimeError ??= test.runtimeError;
        if (test.result.status === "time_limit") stopped = afterTimeLimit(inv.id);
        if (test.result.status === "memory_limit" && ++memoryLimits >= 2) stopped = afterMemoryLimits();
      }
    }
    const out = await session.drainConsole();
    consoleText = out.text;
    consoleTruncated = out.exceeded;
  } finally {
    session.dispose();
  }

  const verdict = verdictOf(tests);
  const { score, passed, total } = scoreOf(tests);
  timings.totalMs = performance.now() - started;
  report();
  return {
    ...base,
    verdict,
    score,
    passed,
    total,
    summary: summarize(verdict, tests),
    compileErrors: [],
    runtimeError,
    tests,
    console: consoleText,
    consoleTruncated,
    timings,
  };
}

type CallOutcome = { ok: true; value: WireValue } | (RunOutcome & { ok: false });

/** The isolate of one submission; recreated (same code, fresh heap) only after a memory limit. */
class SubmissionSession {
  private sandbox: SubmissionSandbox | null = null;
  private consoleText = "";
  private consoleExceeded = false;
  private hiddenNoted = false;
  /**
   * Whether what is in the isolate's console buffer was printed during hidden calls (and is to be
   * dropped: it could print their arguments). The buffer is drained only when this changes and at the
   * end, not around every call: the console cap counts every byte written, drained or not.
   */
  private printingHidden = false;

  constructor(
    readonly entry: CatalogEntry,
    private readonly code: string,
    readonly sourceMap: string,
    private readonly seed: number,
    private readonly timings: { sandboxMs: number },
    private readonly stages: StageTimes,
    private readonly createSandbox: SandboxFactory,
  ) {}

  async ensureLoaded(clock: Clock): Promise<RunOutcome> {
    if (this.sandbox !== null && !this.sandbox.disposed) return { ok: true, value: null };
    if (this.sandbox !== null) await this.flushConsole();
    const t = performance.now();
    const limits = this.entry.meta.limits;
    this.sandbox = await this.createSandbox({
      memoryMb: limits.memoryMb,
      withheld: this.entry.meta.withheld,
      consoleBytes: Math.max(0, limits.consoleBytes - this.consoleText.length),
      resultBytes: limits.resultBytes,
      seed: this.seed,
    });
    const tl = performance.now();
    const outcome = await this.sandbox.load(this.code, timeLeft(clock, limits.callTimeoutMs));
    this.timings.sandboxMs += performance.now() - t;
    const { setup } = this.sandbox;
    this.stages.isolates++;
    this.stages.isolateMs += setup.isolateMs;
    this.stages.kitMs += setup.kitMs;
    if (setup.codeCache === "hit") this.stages.codeCacheHits++;
    if (setup.spare) this.stages.spares++;
    this.stages.loadMs += performance.now() - tl;
    return outcome;
  }

  /** `hidden`: the arguments are a hidden case's; what the code prints during the call is not kept (it could print them). */
  async call(args: WireValue[], clock: Clock, hidden = false): Promise<CallOutcome> {
    const loaded = await this.ensureLoaded(clock);
    if (!loaded.ok) return loaded;
    const sandbox = this.sandbox as SubmissionSandbox;
    const t = performance.now();
    if (hidden !== this.printingHidden) {
      await this.flushConsole();
      this.printingHidden = hidden;
    }
    const outcome = await sandbox.call(this.entry.meta.entry, args, timeLeft(clock, this.entry.meta.limits.callTimeoutMs));
    this.timings.sandboxMs += performance.now() - t;
    this.stages.calls++;
    if (outcome.ok) {
      const parsed = WireValueSchema.safeParse(outcome.value);
      this.stages.runMs += performance.now() - t;
      // The harness encodes every result; an unreadable one is the grader's bug, not the student's.
      if (!parsed.success) throw new Error(`sandbox returned an unreadable result: ${parsed.error.issues[0]?.message}`);
      return { ok: true, value: parsed.data };
    }
    this.stages.runMs += performance.now() - t;
    return outcome;
  }

  /** Drains the isolate's console: kept, or dropped with a one-time note when it was printed during hidden calls. */
  private async flushConsole(): Promise<void> {
    if (this.sandbox === null) return;
    const out = await this.sandbox.drainConsole();
    this.consoleExceeded ||= out.exceeded;
    if (!this.printingHidden) {
      this.consoleText += out.text;
    } else if (out.text.length > 0 && !this.hiddenNoted) {
      this.hiddenNoted = true;
      this.consoleText += "[非公開テスト中の console 出力は表示しません / console output during hidden tests is not shown]\n";
    }
  }

  async drainConsole(): Promise<{ text: string; exceeded: boolean }> {
    await this.flushConsole();
    return { text: this.consoleText, exceeded: this.consoleExceeded };
  }

  dispose(): void {
    this.sandbox?.dispose();
  }
}

function afterTimeLimit(testId: string): Localized {
  return { ja: `テスト ${testId} が時間制限を超えたため`, en: `test ${testId} hit the time limit` };
}

function afterMemoryLimits(): Localized {
  return { ja: "2 つのテストがメモリ制限を超えたため", en: "two tests hit the memory limit" };
}

function timeLeft(clock: Clock, perCall: number): number {
  return Math.max(1, Math.min(perCall, Math.floor(clock.deadline - performance.now())));
}

interface FailureInfo {
  status: Status;
  message: Localized;
  pitfall?: string;
  runtimeError: Omit<NonNullable<GradeResult["runtimeError"]>, "testId"> | null;
}

function failureOf(outcome: RunOutcome & { ok: false }, meta: ExerciseMeta, sourceMap: string, hidden: boolean): FailureInfo {
  const e = outcome.error;
  switch (outcome.kind) {
    case "time": {
      const hint = meta.limitHints.time_limit;
      return {
        status: "time_limit",
        message: {
          ja: `時間制限 (1 回の呼び出しにつき ${meta.limits.callTimeoutMs} ms、提出全体で ${meta.limits.wallTimeoutMs} ms) を超えました。無限ループがないか確認してください${hint ? `。${hint.ja}` : ""}`,
          en: `time limit exceeded (${meta.limits.callTimeoutMs} ms per call, ${meta.limits.wallTimeoutMs} ms per submission); look for an endless loop${hint ? `. ${hint.en}` : ""}`,
        },
        runtimeError: null,
        ...(meta.limitPitfalls.time_limit ? { pitfall: meta.limitPitfalls.time_limit } : {}),
      };
    }
    case "memory": {
      const hint = meta.limitHints.memory_limit;
      const detail = e.name === "KitMemoryError" && !hidden ? e : null;
      const sentence = (t: string): string => t.replace(/[.。]\s*$/, "");
      return {
        status: "memory_limit",
        message: {
          ja: `メモリ制限 (${meta.limits.memoryMb} MB) を超えました${detail ? `: ${sentence(detail.messageJa ?? detail.message)}` : ""}${hint ? `。${hint.ja}` : ""}`,
          en: `memory limit (${meta.limits.memoryMb} MB) exceeded${detail ? `: ${sentence(detail.message)}` : ""}${hint ? `. ${hint.en}` : ""}`,
        },
        runtimeError: null,
        ...(meta.limitPitfalls.memory_limit ? { pitfall: meta.limitPitfalls.memory_limit } : {}),
      };
    }
    case "output":
      return {
        status: "output_limit",
        message: {
          ja: `出力制限を超えました (console 出力は ${meta.limits.consoleBytes} バイト、結果は ${meta.limits.resultBytes} バイトまで): ${e.message}`,
          en: `output limit exceeded (console output up to ${meta.limits.consoleBytes} bytes, result up to ${meta.limits.resultBytes} bytes): ${e.message}`,
        },
        runtimeError: null,
      };
    case "undefined":
    case "promise":
    case "not-function":
    case "runtime": {
      const pos = studentPosition(e.stack, sourceMap);
      const where = pos ? { ja: ` (あなたのコードの ${pos.line} 行 ${pos.column} 列)`, en: ` (line ${pos.line}, column ${pos.column} of your code)` } : { ja: "", en: "" };
      // A hidden case's arguments are secret: the student's own message and error name could carry
      // them out (throw new Error(JSON.stringify(args))), so only a standard error name is reported.
      const name = hidden ? (STANDARD_ERROR_NAMES.has(e.name) ? e.name : "Error") : e.name;
      const message: Localized = hidden
        ? { ja: `エラー (${name}) が発生しました`, en: `an error (${name}) was thrown` }
        : { ja: `${e.name}: ${e.messageJa ?? e.message}${where.ja}`, en: `${e.name}: ${e.message}${where.en}` };
      return {
        status: "error",
        message,
        runtimeError: {
          name,
          message: hidden
            ? { ja: "非公開テストで発生したエラーの内容は表示しません", en: "the message of an error thrown in a hidden test is not shown" }
            : { ja: e.messageJa ?? e.message, en: e.message },
          line: pos?.line ?? null,
          column: pos?.column ?? null,
        },
      };
    }
  }
}

const STANDARD_ERROR_NAMES = new Set(["Error", "TypeError", "RangeError", "SyntaxError", "ReferenceError", "EvalError", "URIError", "AggregateError", "KitError", "NonErrorThrown", "ResultError", "ExportError"]);

function skipped(c: { id: string; name: Localized }, kind: TestResult["kind"], why: Localized): TestResult {
  return {
    id: c.id,
    name: c.name,
    kind,
    status: "skipped",
    message: { ja: `実行されませんでした: ${why.ja}`, en: `not run: ${why.en}` },
    part: null,
    expectedShape: null,
    actualShape: null,
    maxAbsError: null,
    maxRelError: null,
    mismatches: null,
    pitfall: null,
    heatmap: null,
    durationMs: 0,
  };
}

function pitfallHit(p: Pitfall | undefined): PitfallHit | null {
  return p === undefined ? null : { id: p.id, title: p.title, explanation: p.explanation, fix: p.fix };
}

function caseSeed(c: CaseDef, seed: number): number {
  return c.kind === "hidden" ? deriveSeed(seed, c.id) : deriveSeed(0, c.id);
}

/** The reference cache key of a case's expected output (and, with `|variant`, of a variant's). */
function referenceKey(version: string, c: CaseDef, s: number): string {
  return `${version}|${c.id}|${s}`;
}

/**
 * Computes the expected outputs of an exercise's non-hidden cases (their seeds are fixed, so every
 * grading needs the same ones) into the cache, so a worker's first grading of an exercise does not
 * pay for them. Hidden cases depend on each submission's seed and are computed when graded.
 */
export async function warmPublicReferences(runtime: ExerciseRuntime, references: ReferenceCache): Promise<number> {
  let n = 0;
  for (const c of runtime.spec.cases) {
    if (c.kind === "hidden") continue;
    const s = caseSeed(c, 0);
    await references.get(referenceKey(runtime.entry.version, c, s), () => runtime.reference.expected(c.make({ rng: new Rng(s) })));
    n++;
  }
  return n;
}

async function runCase(
  c: CaseDef,
  runtime: ExerciseRuntime,
  session: SubmissionSession,
  deps: GradeDeps,
  job: GradeJob,
  clock: Clock,
  timings: { referenceMs: number; compareMs: number },
): Promise<{ result: TestResult; runtimeError: GradeResult["runtimeError"] }> {
  const { entry, spec, reference } = runtime;
  const meta = entry.meta;
  const hidden = c.kind === "hidden";
  if (performance.now() >= clock.deadline) {
    return { result: { ...skipped(c, c.kind, wallMessage(meta)), status: "time_limit" }, runtimeError: null };
  }
  const s = caseSeed(c, job.seed);
  const args = c.make({ rng: new Rng(s) });
  const key = referenceKey(entry.version, c, s);
  // The call runs on the isolate's own thread: the expected output is computed here meanwhile. The
  // isolate works on its own copy of the arguments; the reference only reads them.
  const started = performance.now();
  const call = session.call(args, clock, hidden);
  call.catch(() => {
    // Awaited below; this only keeps a failure from being reported as unhandled while the reference runs.
  });
  const tr = performance.now();
  let expected: WireValue;
  try {
    expected = await deps.references.get(key, () => reference.expected(args));
  } finally {
    timings.referenceMs += performance.now() - tr;
  }
  const outcome = await call;
  const durationMs = performance.now() - started;
  const base = skipped(c, c.kind, { ja: "", en: "" });

  const mustThrow = thrownExpectation(expected);
  if (mustThrow !== null) {
    const ok = !outcome.ok && outcome.kind === "runtime" && new RegExp(mustThrow.pattern, "i").test(outcome.error.message);
    // Returning a value where an error was due may be a known mistake (e.g. a check left out).
    const pitfallId = outcome.ok ? await matchVariant(runtime, key, args, { kind: "value", value: outcome.value }, deps) : undefined;
    const pitfall = pitfallHit(pitfallId === undefined ? undefined : deps.catalog.pitfalls.get(pitfallId));
    const result: TestResult = ok
      ? { ...base, status: "passed", message: { ja: "合格 (正しくエラーを投げました)", en: "passed (threw as it should)" }, durationMs }
      : {
          ...base,
          status: "failed",
          message: {
            ja: `${mustThrow.description.ja}。${outcome.ok ? "エラーを投げずに値を返しました" : `投げられたエラー: ${outcome.error.messageJa ?? outcome.error.message}`}`,
            en: `${mustThrow.description.en}; ${outcome.ok ? "it returned a value instead of throwing" : `it threw: ${outcome.error.message}`}`,
          },
          pitfall,
          durationMs,
        };
    if (ok || outcome.ok || outcome.kind === "runtime") return { result: hidden ? hideDetails(result) : result, runtimeError: null };
  }

  if (!outcome.ok) {
    const failure = failureOf(outcome, meta, session.sourceMap, hidden);
    // A known mistake may show as an exception (a variant that "throws" with a matching message).
    const thrownPitfall = outcome.kind === "runtime" ? await matchVariant(runtime, key, args, { kind: "thrown", message: outcome.error.message }, deps) : undefined;
    const pitfallId = failure.pitfall ?? thrownPitfall;
    const pitfall = pitfallHit(pitfallId === undefined ? undefined : deps.catalog.pitfalls.get(pitfallId));
    return {
      result: { ...base, status: failure.status, message: failure.message, pitfall, durationMs },
      runtimeError: failure.runtimeError === null ? null : { ...failure.runtimeError, testId: c.id },
    };
  }

  const tc = performance.now();
  const actual = outcome.value;
  const labels = meta.outputLabels;
  const opts = {
    tolerance: meta.tolerance,
    ...(labels ? { labels } : {}),
    probabilityParts: spec.probabilityParts ?? [],
    describeMismatch: spec.describeMismatch
      ? (part: number, shape: readonly number[], mismatches: readonly (readonly number[])[]) =>
          spec.describeMismatch?.({ args, part, shape, mismatches }) ?? null
      : undefined,
  };
  let verdict: Comparison | { ok: false; message: Localized; pitfall?: string } | { ok: true };
  if (spec.resultSchema !== undefined && !spec.resultSchema.safeParse(actual).success) {
    verdict = { ok: false, message: { ja: "返された値の形式が違います", en: "the returned value does not have the expected form" } };
  } else if (spec.compare !== undefined) {
    verdict = spec.compare(expected, actual, args);
  } else {
    verdict = compareValues(expected, actual, opts);
  }
  let result: TestResult;
  if (verdict.ok) {
    result = { ...base, status: "passed", message: { ja: "合格", en: "passed" }, durationMs };
  } else {
    let pitfallId = "pitfall" in verdict ? verdict.pitfall : undefined;
    if (pitfallId === undefined) {
      const tv = performance.now();
      pitfallId = await matchVariant(runtime, key, args, { kind: "value", value: actual }, deps);
      timings.referenceMs += performance.now() - tv;
    }
    const pitfall = pitfallHit(pitfallId === undefined ? undefined : deps.catalog.pitfalls.get(pitfallId));
    const cmp = "expectedShape" in verdict ? verdict : null;
    result = {
      ...base,
      status: "failed",
      message: verdict.message,
      part: cmp?.partLabel ?? null,
      expectedShape: cmp?.expectedShape ?? null,
      actualShape: cmp?.actualShape ?? null,
      maxAbsError: cmp?.maxAbsError ?? null,
      maxRelError: cmp?.maxRelError ?? null,
      mismatches: cmp?.mismatches ?? null,
      pitfall,
      durationMs,
    };
  }
  if (!hidden && spec.heatmapPart !== undefined) result.heatmap = heatmapOf(expected, actual, spec.heatmapPart, meta);
  if (hidden) result = hideDetails(result);
  timings.compareMs += performance.now() - tc;
  return { result, runtimeError: null };
}

function wallMessage(meta: ExerciseMeta): Localized {
  return {
    ja: `提出全体の時間制限 (${meta.limits.wallTimeoutMs} ms) に達したため実行されませんでした`,
    en: `not run: the submission reached its wall-clock limit (${meta.limits.wallTimeoutMs} ms)`,
  };
}

/** Hidden tests say pass or fail, and at most which known pitfall the failure looks like. */
function hideDetails(t: TestResult): TestResult {
  if (t.status === "passed") return t;
  const hint: Localized = t.pitfall
    ? { ja: `非公開テストに不合格。${t.pitfall.title.ja} の可能性があります`, en: `hidden test failed; this looks like: ${t.pitfall.title.en}` }
    : {
        ja: "非公開テストに不合格。公開テストにない入力 (大きさ 1 の次元、形の揃わない入力、極端な値など) でも問題文どおりに動くか確認してください",
        en: "hidden test failed; check that your code follows the statement for inputs the public tests do not show (dimensions of size 1, uneven shapes, extreme values, ...)",
      };
  return {
    ...t,
    message: t.status === "failed" ? hint : t.message,
    part: null,
    expectedShape: null,
    actualShape: null,
    maxAbsError: null,
    maxRelError: null,
    mismatches: null,
    heatmap: null,
  };
}

type Observed = { kind: "value"; value: WireValue } | { kind: "thrown"; message: string };

/**
 * The known mistake (reference variant) whose outcome the submission reproduced, if any: the
 * same value (within tolerance, NaN == NaN) or an exception whose message the variant predicts.
 * Variants are computed lazily and cached like the expected outputs.
 */
async function matchVariant(
  runtime: ExerciseRuntime,
  key: string,
  args: WireValue[],
  observed: Observed,
  deps: GradeDeps,
): Promise<string | undefined> {
  const variants = runtime.reference.variants ?? {};
  for (const id of runtime.entry.meta.pitfalls) {
    const variant = variants[id];
    if (variant === undefined) continue;
    const predicted = await deps.references.get(`${key}|${id}`, () => variant(args));
    // null: the mistake does not apply to these arguments.
    if (predicted === null) continue;
    const throws = thrownExpectation(predicted);
    if (observed.kind === "thrown") {
      if (throws !== null && new RegExp(throws.pattern, "i").test(observed.message)) return id;
      continue;
    }
    if (throws !== null) continue;
    const custom = runtime.spec.compare;
    const c = custom
      ? custom(predicted, observed.value, args)
      : compareValues(predicted, observed.value, {
          tolerance: runtime.entry.meta.tolerance,
          nanEqual: true,
          ...(runtime.entry.meta.outputLabels ? { labels: runtime.entry.meta.outputLabels } : {}),
        });
    if (c.ok) return id;
  }
  return undefined;
}

function heatmapOf(expected: WireValue, actual: WireValue, part: number, meta: ExerciseMeta): TestResult["heatmap"] {
  const e = Array.isArray(expected) ? expected[part] : expected;
  const a = Array.isArray(actual) ? actual[part] : actual;
  if (!isWireTensor(e)) return null;
  const shape = e.$tensor.shape;
  if (shape.length < 2) return null;
  const rows = shape[shape.length - 2] ?? 0;
  const cols = shape[shape.length - 1] ?? 0;
  if (rows > HEATMAP_MAX || cols > HEATMAP_MAX || rows === 0 || cols === 0) return null;
  const matrix = (data: ArrayLike<number>): (number | null)[][] =>
    Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => {
      const v = data[i * cols + j] as number;
      return Number.isFinite(v) ? v : null;
    }));
  const sameShape = isWireTensor(a) && a.$tensor.shape.length === shape.length && a.$tensor.shape.every((d, i) => d === shape[i]);
  const label = meta.outputLabels?.[part] ?? { ja: "注意重み", en: "attention weights" };
  return {
    label: { ja: `${label.ja} (先頭の行列)`, en: `${label.en} (first matrix)` },
    expected: matrix(e.$tensor.data).map((r) => r.map((v) => v ?? 0)),
    actual: sameShape ? matrix(a.$tensor.data) : [],
  };
}

async function runInvariant(
  inv: InvariantDef,
  runtime: ExerciseRuntime,
  session: SubmissionSession,
  deps: GradeDeps,
  job: GradeJob,
  clock: Clock,
): Promise<{ result: TestResult; runtimeError: GradeResult["runtimeError"] }> {
  const meta = runtime.entry.meta;
  const base = skipped(inv, "invariant", { ja: "", en: "" });
  if (performance.now() >= clock.deadline) return { result: { ...base, status: "time_limit", message: wallMessage(meta) }, runtimeError: null };
  const started = performance.now();
  // Invariants may expect a call to throw; only a failure they let escape is the submission's error.
  let lastError: GradeResult["runtimeError"] = null;
  try {
    const outcome = await inv.run({
      rng: new Rng(deriveSeed(job.seed, inv.id)),
      tolerance: meta.tolerance,
      call: async (args) => {
        const r = await session.call(args, clock);
        if (r.ok) return r.value;
        const failure = failureOf(r, meta, session.sourceMap, false);
        lastError = failure.runtimeError === null ? null : { ...failure.runtimeError, testId: inv.id };
        const status = failure.status === "error" || failure.status === "time_limit" || failure.status === "memory_limit" || failure.status === "output_limit" ? failure.status : "error";
        throw new CallFailure(status, failure.message, r.kind === "runtime" ? { name: r.error.name, message: r.error.message } : null);
      },
    });
    const durationMs = performance.now() - started;
    if (outcome.ok) return { result: { ...base, status: "passed", message: { ja: "合格", en: "passed" }, durationMs }, runtimeError: null };
    const pitfall = pitfallHit(outcome.pitfall === undefined ? undefined : deps.catalog.pitfalls.get(outcome.pitfall));
    return { result: { ...base, status: "failed", message: outcome.message, pitfall, durationMs }, runtimeError: null };
  } catch (e) {
    if (e instanceof CallFailure) {
      return { result: { ...base, status: e.status, message: e.detail, durationMs: performance.now() - started }, runtimeError: lastError };
    }
    throw e;
  }
}
