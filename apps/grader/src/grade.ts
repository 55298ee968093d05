import {
  type ExerciseMeta,
  type GradeResult,
  type Localized,
  type ParsedGradeRequest,
  type Pitfall,
  type PitfallHit,
  type TestResult,
  type WireValue,
  wireValueProblem,
  isWireTensor,
} from "@tfm/contract";
import { CallFailure, type CaseDef, type InvariantDef, Rng, deriveSeed, describeInputClass, thrownExpectation } from "@tfm/spec";
import { type CaseEvidence, type Observed, type TestAttribution, attribute, contradicted, gatherEvidence, withAttribution } from "./attribution.ts";
import { boundResult, clipText } from "./bounded.ts";
import type { Catalog, CatalogEntry } from "./catalog.ts";
import { type Comparison, compareValues } from "./compare.ts";
import { DEFAULT_SUBMISSION_TIMEOUT_MS, hasOwnLimits, scaledLimits } from "./limits.ts";
import { type ExerciseRuntime, loadRuntime } from "./runtime.ts";
import type { ReferenceCache } from "./reference-cache.ts";
import { type RunOutcome, Sandbox, type SandboxFactory, type SubmissionSandbox, bootKeyOf } from "./sandbox/sandbox.ts";
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
  /**
   * Given, the grading's isolates (the visible session's and the hidden session's) are handed here to
   * be disposed once the result is on its way (the worker calls them right after sending), not before
   * gradeSubmission returns: disposing an isolate costs ~1.7 ms of this thread. Only an isolate whose
   * session ran to its end: one whose session threw is disposed at once. The caller runs what it was
   * given whether gradeSubmission resolved or threw afterwards.
   */
  disposeLater?: (dispose: () => void) => void;
  /**
   * This machine's factor for light exercises' per-call limits (limits.ts "Limits that fit the
   * machine", calibration.ts; default 1, the committed limits). The result states the limits applied.
   */
  limitScale?: number;
}

/** Where one grading's time went, finer than GradeResult.timings (whose shape the contract fixes). */
export interface StageTimes {
  transpileMs: number;
  /** New isolates (one for the visible calls, whose context the hidden calls then run in; another after a memory limit). */
  isolateMs: number;
  /** Compiling the kit + harness from the code cache, a context, running the bundle in it and booting it (lockdown). */
  kitMs: number;
  /** The hidden session, whole: its isolate, kit, load and calls (also counted above) and its references and comparisons (only here, and in the two below). */
  hiddenMs: number;
  /** Within hiddenMs: the hidden cases' expected outputs not made while esbuild transpiled (prepareWhile), and their pitfall variants. */
  hiddenReferenceMs: number;
  /** Within hiddenMs: comparing the hidden cases' results (the exercise's comparison, its own checks included). */
  hiddenCompareMs: number;
  /** Compiling and evaluating the submission's top level. */
  loadMs: number;
  /** Calls of the entry point: arguments copied in, the student's code, results copied out and checked. */
  runMs: number;
  referenceMs: number;
  compareMs: number;
  totalMs: number;
  /** Sandboxes created (isolates), and how many compiled the kit from the shared V8 code cache. */
  isolates: number;
  codeCacheHits: number;
  /** Isolates prepared ahead of time while the worker was idle (their creation is then off the critical path). */
  spares: number;
  /** Hidden sessions run in the context of the visible session (see SubmissionSession.handToHidden). */
  hiddenShared: number;
  calls: number;
  /**
   * The isolate's own CPU time in those calls, as charged to the submission (isolated-vm's clock on the
   * fast path, see Sandbox.call): the figure that moves least with the machine's load (bench:inproc).
   */
  callCpuMs: number;
  /** Calls stopped on the fast path by a busy host and run again under the CPU watch (see Sandbox.call). */
  preempted: number;
  /** The cases' arguments and the hidden cases' references made while esbuild transpiled (see prepareWhile): overlaps transpileMs. */
  prepareMs: number;
  /** How many cases' arguments were made then. */
  preparedCases: number;
}

type Status = TestResult["status"];

/**
 * A submission's time: `cpuLeftMs` is its budget of isolate CPU time (the limits count CPU, never
 * the host's stalls); `stallAt` is the wall-clock moment past which the host, not the student, is
 * at fault (see GraderStallError).
 */
interface Clock {
  cpuLeftMs: number;
  stallAt: number;
}

/** How far past a submission's own limit the wall clock may run before the grading is the host's fault. */
export const STALL_FACTOR = 4;
export const STALL_SLACK_MS = 10_000;

/** Wall-clock time past which a grading with this CPU budget has stalled (the host's fault, never the student's). */
export function stallHorizonMs(budgetMs: number): number {
  return Math.max(budgetMs, DEFAULT_SUBMISSION_TIMEOUT_MS) * STALL_FACTOR + STALL_SLACK_MS;
}

/**
 * The host stalled (SIGSTOP, a VM pause, an overloaded machine): the isolate had not used its CPU
 * budget when the wall clock ran out. A grader fault: the grading ends internal_error, is retried,
 * and never counts against the student.
 */
export class GraderStallError extends Error {
  override name = "GraderStallError";
}

const HEATMAP_MAX = 16;

/**
 * A visible isolate whose heap holds more than this is disposed before the hidden session begins,
 * not after the result (GradeDeps.disposeLater): a grading keeps at most one large isolate alive.
 * An isolate with the kit booted and a light exercise's calls done holds a few megabytes.
 */
export const DEFER_DISPOSAL_MAX_BYTES = 16 * 1024 * 1024;

export class UnknownExerciseError extends Error {
  override name = "UnknownExerciseError";
}

/** One submission, start to verdict: transpile -> sandbox -> reference -> compare -> verdict. */
export async function gradeSubmission(job: GradeJob, deps: GradeDeps): Promise<GradeResult> {
  const started = performance.now();
  const listed = deps.catalog.exercises.get(job.exerciseId);
  if (listed === undefined) throw new UnknownExerciseError(`unknown exercise '${job.exerciseId}'`);
  // The limits on this machine (scaled on a slower one): everything below, the sessions, their
  // messages and the result's `limits`, reads them from here.
  const limits = scaledLimits(listed.meta.limits, deps.limitScale ?? 1);
  const entry = limits === listed.meta.limits ? listed : { ...listed, meta: { ...listed.meta, limits } };
  const meta = entry.meta;
  const timings = { transpileMs: 0, sandboxMs: 0, referenceMs: 0, compareMs: 0, totalMs: 0 };
  const stages: StageTimes = { transpileMs: 0, isolateMs: 0, kitMs: 0, hiddenMs: 0, hiddenReferenceMs: 0, hiddenCompareMs: 0, loadMs: 0, runMs: 0, referenceMs: 0, compareMs: 0, totalMs: 0, isolates: 0, codeCacheHits: 0, spares: 0, hiddenShared: 0, calls: 0, callCpuMs: 0, preempted: 0, prepareMs: 0, preparedCases: 0 };
  // The profile's total is the whole grading, hidden session included (the result's total is not).
  const report = (): void => {
    if (deps.onStages === undefined) return;
    deps.onStages({ ...stages, transpileMs: timings.transpileMs, referenceMs: timings.referenceMs, compareMs: timings.compareMs, totalMs: performance.now() - started });
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
    limits: { callCpuMs: meta.limits.callTimeoutMs, submissionCpuMs: meta.limits.wallTimeoutMs, memoryMb: meta.limits.memoryMb },
  };

  const t0 = performance.now();
  let transpiledAt = 0;
  const transpiling = transpile(job.source, entry.driver).finally(() => {
    transpiledAt = performance.now();
  });
  // Handled here too: a transpile that fails while this thread prepares the cases must not count as unhandled.
  transpiling.catch(() => undefined);
  const tp = performance.now();
  // A broken exercise module fails below, where it always did (after a compile error is reported).
  // An exercise with its own limits (chunked-attention's T = 2304 cases) makes arguments and references
  // that take up to a second each: not worth holding, and a step that long would show in the transpile's time.
  const early = hasOwnLimits(meta.limits) ? null : await loadRuntime(entry).catch(() => null);
  const prepared = early === null ? new Map<string, WireValue[]>() : await prepareWhile(transpiling, early, job, deps.references);
  stages.prepareMs = performance.now() - tp;
  stages.preparedCases = prepared.size;
  const compiled = await transpiling;
  timings.transpileMs = transpiledAt - t0;
  if (!compiled.ok) {
    timings.totalMs = performance.now() - started;
    report();
    return boundResult({
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
    });
  }

  // Loaded above unless it failed there (then this throws as it always did) or was not asked for.
  const runtime = early ?? (await loadRuntime(entry));
  // Hidden cases run last, in a session of their own (on in the visible session's context, or a fresh
  // isolate) whose console, error texts and timings never reach the result: nothing is shown after a
  // hidden call, so module state cannot carry their inputs into anything shown.
  const allCases = runtime.spec.cases.filter((c) => job.scope === "all" || c.kind !== "hidden");
  const cases = allCases.filter((c) => c.kind !== "hidden");
  const hiddenCases = allCases.filter((c) => c.kind === "hidden");
  const invariants = job.scope === "all" ? (runtime.spec.invariants ?? []) : [];
  // The stall horizon is the host's, not the student's: it does not shrink with a light exercise's budget.
  const clock: Clock = { cpuLeftMs: meta.limits.wallTimeoutMs, stallAt: performance.now() + stallHorizonMs(meta.limits.wallTimeoutMs) };
  const createSandbox = deps.sandboxes ?? Sandbox.create;
  const session = new SubmissionSession(entry, compiled.code, compiled.sourceMap, job.seed, timings, stages, createSandbox);
  const results = new Map<string, TestResult>();
  // What each test says about each pitfall: pitfalls are named only once every test's evidence is in.
  const attributions = new Map<string, TestAttribution>();
  let consoleText = "";
  let consoleTruncated = false;
  let runtimeError: GradeResult["runtimeError"] = null;
  let hiddenRuntimeError: GradeResult["runtimeError"] = null;
  // After a time limit (or a second memory limit) the remaining tests are not run: a submission
  // that loops or exhausts memory everywhere costs its budget once, not once per test.
  let stopped: Localized | null = null;
  let memoryLimits = 0;
  let outputLimits = 0;
  const note = (id: string, status: Status): void => {
    if (status === "time_limit") stopped = afterTimeLimit(id);
    if (status === "memory_limit" && ++memoryLimits >= 2) stopped = afterMemoryLimits();
    // A result or console flood costs host work on every call: two of them end the grading too.
    if (status === "output_limit" && ++outputLimits >= 2) stopped = afterOutputLimits();
  };
  let loadFailed = false;
  /** The visible session's sandbox, handed to the hidden session (see SubmissionSession.handToHidden). */
  let hiddenSandbox: SubmissionSandbox | null = null;
  /** Whether the visible and the hidden sessions ran to their end (not thrown out of: see disposeLater). */
  let visibleDone = false;
  let hiddenDone = false;
  /** A hidden session runs after the visible one, in an isolate of its own. */
  const hiddenSessionRuns = (): boolean => !loadFailed && hiddenCases.length > 0;
  /**
   * A passed test's evidence (which pitfall variants its result rules out) matters only when some
   * test did not pass: a passed test names no pitfall. Gathered then, in the tests' order, before
   * attribution; a submission that passes everything computes no pitfall variant at all.
   */
  const evidenceLater = new Map<string, () => Promise<CaseEvidence>>();
  /** The pitfalls the evidence gathered so far contradicts: their variants need not be computed again (gatherEvidence). */
  const ruledOut = (): ReadonlySet<string> => contradicted([...attributions.values()]);
  // The hidden session's isolate is made when the hidden session begins (or taken from a spare booted
  // while the worker was idle). It used to be booted on isolated-vm's thread during the visible calls;
  // the calls now run synchronously on the main thread (see Sandbox.call), which that boot's steps
  // would only wait behind, and booting it synchronously costs less in all.

  try {
    const loaded = await session.ensureLoaded(clock);
    if (!loaded.ok) {
      loadFailed = true;
      const failure = failureOf(loaded, meta, session.sourceMap, false);
      runtimeError = failure.runtimeError === null ? null : { ...failure.runtimeError, testId: null };
      const all = [...allCases, ...invariants];
      all.forEach((c, i) => {
        const t = skipped(c, "kind" in c ? c.kind : "invariant", failure.message);
        // The load itself is what failed: give it the status the failure deserves.
        results.set(c.id, i === 0 ? { ...t, status: failure.status, message: failure.message } : t);
      });
    } else {
      for (const c of cases) {
        if (stopped !== null) {
          results.set(c.id, skipped(c, c.kind, stopped));
          continue;
        }
        const test = await runCase(c, runtime, session, deps, job, clock, timings, prepared, ruledOut);
        results.set(c.id, test.result);
        attributions.set(c.id, test.attribution);
        if (test.evidenceLater !== undefined) evidenceLater.set(c.id, test.evidenceLater);
        runtimeError ??= test.runtimeError;
        note(c.id, test.result.status);
      }
      for (const inv of invariants) {
        if (stopped !== null) {
          results.set(inv.id, skipped(inv, "invariant", stopped));
          continue;
        }
        const test = await runInvariant(inv, runtime, session, deps, job, clock);
        results.set(inv.id, test.result);
        attributions.set(inv.id, { evidence: null, claimed: test.result.pitfall === null ? [] : [test.result.pitfall.id] });
        runtimeError ??= test.runtimeError;
        note(inv.id, test.result.status);
      }
    }
    const out = await session.drainConsole();
    consoleText = out.text;
    consoleTruncated = out.exceeded;
    visibleDone = true;
    // The hidden session runs on in this session's context, handed over only now that everything the
    // visible session shows has been read (its console drained, its results kept).
    if (hiddenSessionRuns() && stopped === null) hiddenSandbox = session.handToHidden();
  } finally {
    // Handed to the hidden session, the isolate goes with that session (this one holds nothing now).
    // Else it is left alive beside the hidden session: nothing of the submission runs in an isolate
    // but its top level and its calls (FinalizationRegistry, whose callbacks V8 ran outside them, is
    // removed), so an isolate no one calls again is inert, and disposing it (~1.7 ms) waits until the
    // result is sent. Unless it holds a large heap: a worker then never holds two full isolates of one
    // grading at once.
    if (hiddenSandbox === null) {
      if (visibleDone && deps.disposeLater !== undefined && (!hiddenSessionRuns() || session.heapBytes() <= DEFER_DISPOSAL_MAX_BYTES)) deps.disposeLater(() => session.dispose());
      else session.dispose();
    }
  }

  // What the result reports of time ends here: the hidden session's time is not shown.
  const visibleMs = performance.now() - started;
  if (hiddenSessionRuns()) {
    const hiddenStart = performance.now();
    // The visible session's context when it was handed over; a sandbox the session needs again (after a
    // memory limit or a busy host), or when it was not, is a fresh isolate.
    const hiddenSession = new SubmissionSession(entry, compiled.code, compiled.sourceMap, job.seed, { sandboxMs: 0 }, stages, createSandbox, true);
    // Never part of the result's timings (the hidden session's time is not shown): the profile's only.
    const hiddenTimings = { referenceMs: 0, compareMs: 0 };
    if (hiddenSandbox !== null) hiddenSession.adopt(hiddenSandbox);
    try {
      for (const c of hiddenCases) {
        if (stopped !== null) {
          results.set(c.id, skipped(c, c.kind, stopped));
          continue;
        }
        const test = await runCase(c, runtime, hiddenSession, deps, job, clock, hiddenTimings, prepared, ruledOut);
        results.set(c.id, { ...test.result, durationMs: 0 });
        attributions.set(c.id, test.attribution);
        hiddenRuntimeError ??= test.runtimeError;
        note(c.id, test.result.status);
      }
      hiddenDone = true;
    } finally {
      if (hiddenDone && deps.disposeLater !== undefined) deps.disposeLater(() => hiddenSession.dispose());
      else hiddenSession.dispose();
      stages.hiddenMs = performance.now() - hiddenStart;
      stages.hiddenReferenceMs = hiddenTimings.referenceMs;
      stages.hiddenCompareMs = hiddenTimings.compareMs;
    }
  }
  if (evidenceLater.size > 0 && [...results.values()].some((t) => t.status !== "passed")) {
    const te = performance.now();
    for (const [id, gather] of evidenceLater) {
      const a = attributions.get(id);
      if (a !== undefined) attributions.set(id, { ...a, evidence: await gather() });
    }
    // Charged as when it was gathered with each test: comparing the student's result is their time.
    timings.compareMs += performance.now() - te;
    clock.cpuLeftMs -= performance.now() - te;
  }
  const tests: TestResult[] = [];
  const ordered = [...allCases, ...invariants].filter((c) => results.has(c.id));
  // A later test may contradict an earlier one's claim; hidden tests lose their details after that.
  const decided = attribute(
    ordered.map((c) => attributions.get(c.id) ?? { evidence: null, claimed: [] }),
    (id) => pitfallHit(deps.catalog.pitfalls.get(id)),
  );
  ordered.forEach((c, i) => {
    const t = withAttribution(results.get(c.id) as TestResult, decided[i] ?? { pitfall: null, note: null });
    if (!("kind" in c) || c.kind !== "hidden") {
      tests.push(t);
      return;
    }
    // What kind of input failed (never its values): the case's own hint, or what its arguments show.
    const about = t.status === "failed" ? (c.hint !== undefined ? [c.hint] : describeInputClass(c.make({ rng: new Rng(caseSeed(c, job.seed)) }))) : [];
    tests.push(hideDetails(t, meta.title, about));
  });
  runtimeError ??= hiddenRuntimeError;

  const verdict = verdictOf(tests);
  const { score, passed, total } = scoreOf(tests);
  timings.totalMs = visibleMs;
  report();
  return boundResult({
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
  });
}

type CallOutcome = { ok: true; value: WireValue; inputChanged?: string } | (RunOutcome & { ok: false });

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
  /** The submission changed a shared prototype here (IntrinsicChanged): its hidden session gets an isolate of its own. */
  private tampered = false;

  constructor(
    readonly entry: CatalogEntry,
    private readonly code: string,
    readonly sourceMap: string,
    private readonly seed: number,
    private readonly timings: { sandboxMs: number },
    private readonly stages: StageTimes,
    private readonly createSandbox: SandboxFactory,
    /** A session for hidden cases only: nothing it prints is ever read (see gradeSubmission). */
    private readonly hiddenOnly = false,
  ) {}

  /** `watched`: load under the CPU watch, never on the fast path (after a preemption, see Sandbox.load). */
  async ensureLoaded(clock: Clock, watched = false): Promise<RunOutcome> {
    if (this.sandbox !== null && !this.sandbox.disposed) return { ok: true, value: null };
    if (this.sandbox !== null) await this.flushConsole();
    const t = performance.now();
    const limits = this.entry.meta.limits;
    // A recreated isolate (after a memory limit) gets only what is left of the console cap.
    const key = bootKeyOf(this.entry.meta);
    this.sandbox = await this.createSandbox({ ...key, consoleBytes: Math.max(0, key.consoleBytes - this.consoleText.length), seed: this.seed });
    const tl = performance.now();
    const outcome = await this.sandbox.load(this.code, timeLeft(clock, limits.callTimeoutMs), watched);
    spend(clock, this.sandbox.lastCpuMs ?? performance.now() - tl, outcome);
    this.noteTampering(outcome);
    this.timings.sandboxMs += performance.now() - t;
    const { setup } = this.sandbox;
    this.stages.isolates++;
    this.stages.isolateMs += setup.isolateMs;
    this.stages.kitMs += setup.kitMs;
    if (setup.codeCache === "hit") this.stages.codeCacheHits++;
    if (setup.spare) this.stages.spares++;
    this.stages.loadMs += performance.now() - tl;
    if (!outcome.ok && outcome.kind === "preempted") {
      // A busy host stopped the top level on the fast path: loaded again in a fresh isolate, watched.
      this.stages.preempted++;
      return this.ensureLoaded(clock, true);
    }
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
    let outcome = await sandbox.call(this.entry.meta.entry, args, timeLeft(clock, this.entry.meta.limits.callTimeoutMs));
    spend(clock, sandbox.lastCpuMs ?? performance.now() - t, outcome);
    this.stages.callCpuMs += sandbox.lastCpuMs ?? 0;
    if (!outcome.ok && outcome.kind === "preempted") {
      // A busy host stopped the fast path (see Sandbox.call): the same call again, in a fresh isolate
      // (as after a memory limit), under the CPU watch, where only the isolate's CPU time counts.
      this.stages.preempted++;
      const reloaded = await this.ensureLoaded(clock, true);
      if (!reloaded.ok) return reloaded;
      const again = this.sandbox as SubmissionSandbox;
      const tw = performance.now();
      outcome = await again.call(this.entry.meta.entry, args, timeLeft(clock, this.entry.meta.limits.callTimeoutMs), true);
      spend(clock, again.lastCpuMs ?? performance.now() - tw, outcome);
      this.stages.callCpuMs += again.lastCpuMs ?? 0;
    }
    this.noteTampering(outcome);
    this.timings.sandboxMs += performance.now() - t;
    this.stages.calls++;
    if (outcome.ok) {
      const tp = performance.now();
      const problem = wireValueProblem(outcome.value);
      // Reading a huge result (a million strings) is work the student caused: it is charged to their time.
      clock.cpuLeftMs -= performance.now() - tp;
      this.stages.runMs += performance.now() - t;
      // The harness checks what it encodes, but the value is the student's: one the host cannot read
      // (a tensor of rank 9, a wrong dtype) is the submission's error, said in words, never ours.
      if (problem !== null) {
        const where = problem.path.length === 0 ? "" : ` at ${clipText(problem.path.map(String).join("."), 100)}`;
        const what = clipText(problem.message, 200);
        return {
          ok: false,
          kind: "runtime",
          error: {
            name: "ResultError",
            message: `the returned value cannot be read as a result${where}: ${what}`,
            messageJa: `返された値を結果として読み取れません${where}: ${what}`,
            stack: "",
          },
        };
      }
      const value = outcome.value as WireValue;
      return outcome.inputChanged === undefined ? { ok: true, value } : { ok: true, value, inputChanged: outcome.inputChanged };
    }
    this.stages.runMs += performance.now() - t;
    return outcome;
  }

  private noteTampering(outcome: RunOutcome): void {
    if (!outcome.ok && outcome.error.name === INTRINSIC_CHANGED) this.tampered = true;
  }

  /** Drains the isolate's console: kept, or dropped with a one-time note when it was printed during hidden calls. */
  private async flushConsole(): Promise<void> {
    if (this.sandbox === null) return;
    const out = await this.sandbox.drainConsole();
    if (this.hiddenOnly) return;
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

  heapBytes(): number {
    return this.sandbox?.heapBytes?.() ?? 0;
  }

  /**
   * Hands this session's sandbox to the same submission's hidden session, which runs on in its context
   * (Sandbox.beginHidden: the console, its cap and the seeded generators are set again as in a fresh
   * context), and holds it no more; or null, when the hidden session is to get a fresh isolate: this
   * isolate is gone (a limit, a busy host), the submission changed a shared prototype here, the memory
   * limit is under HIDDEN_SHARED_MIN_MEMORY_MB, or this session left more in the heap than
   * hiddenMaxInheritedBytes (its share of the limit would otherwise be the hidden session's to lose).
   */
  handToHidden(): SubmissionSandbox | null {
    const sandbox = this.sandbox;
    if (sandbox === null || sandbox.disposed || sandbox.beginHidden === undefined || this.tampered) return null;
    if (!sandbox.beginHidden(hiddenMaxInheritedBytes(this.entry.meta.limits.memoryMb), this.entry.meta.limits.consoleBytes)) return null;
    this.sandbox = null;
    return sandbox;
  }

  /** A hidden session's first sandbox: the visible session's, handed over with the submission loaded (see handToHidden). */
  adopt(sandbox: SubmissionSandbox): void {
    this.sandbox = sandbox;
    this.stages.hiddenShared++;
  }
}

/**
 * The most a visible session may leave in its isolate's heap for the hidden session to run on in its
 * context: 8 MB, and never over a sixteenth of the limit (4 MB at 64 MB; under 64 MB the hidden session
 * always gets a fresh isolate, see HIDDEN_SHARED_MIN_MEMORY_MB in sandbox.ts).
 */
export function hiddenMaxInheritedBytes(memoryMb: number): number {
  return Math.min(HIDDEN_MAX_INHERITED_BYTES, (memoryMb * 1024 * 1024) / 16);
}
export const HIDDEN_MAX_INHERITED_BYTES = 8 * 1024 * 1024;
/** The error name the harness gives a change to a shared prototype (in-isolate.ts checkIntrinsics); a student may throw one too, which only costs the shared context. */
const INTRINSIC_CHANGED = "IntrinsicChanged";

function afterTimeLimit(testId: string): Localized {
  return { ja: `テスト ${testId} が時間制限を超えたため`, en: `test ${testId} hit the time limit` };
}

function afterOutputLimits(): Localized {
  return { ja: "2 つのテストが出力制限を超えたため", en: "two tests hit the output limit" };
}

function afterMemoryLimits(): Localized {
  return { ja: "2 つのテストがメモリ制限を超えたため", en: "two tests hit the memory limit" };
}

function timeLeft(clock: Clock, perCall: number): number {
  if (performance.now() > clock.stallAt) throw new GraderStallError("the grading ran far past its limit in wall-clock time while the isolate used little CPU");
  return Math.max(1, Math.min(perCall, Math.floor(clock.cpuLeftMs)));
}

/** Charges a call's CPU time to the submission; a stalled host ends the grading as the grader's fault. */
function spend(clock: Clock, cpuMs: number, outcome: RunOutcome): void {
  clock.cpuLeftMs -= cpuMs;
  if (!outcome.ok && outcome.kind === "stall") throw new GraderStallError(outcome.error.message);
}

function outOfTime(clock: Clock): boolean {
  if (performance.now() > clock.stallAt) throw new GraderStallError("the grading ran far past its limit in wall-clock time");
  return clock.cpuLeftMs <= 0;
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
          // A hidden call's error text is never shown: the student may throw their own after the limit.
          ja: `出力制限を超えました (console 出力は ${meta.limits.consoleBytes} バイト、結果は ${meta.limits.resultBytes} バイトまで)${hidden ? "" : `: ${e.message}`}`,
          en: `output limit exceeded (console output up to ${meta.limits.consoleBytes} bytes, result up to ${meta.limits.resultBytes} bytes)${hidden ? "" : `: ${e.message}`}`,
        },
        runtimeError: null,
      };
    case "stall":
    case "preempted":
      // Never a verdict: the session throws GraderStallError before a stall reaches here, and runs a
      // preempted call again under the CPU watch.
      throw new GraderStallError(e.message);
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

/**
 * While esbuild transpiles the submission (in its own process), this thread would only wait: it makes
 * the cases' arguments (public, then hidden) and then the hidden cases' expected outputs into the
 * reference cache (each hidden seed is new, so each grading misses them), one step at a time, and
 * stops at the first step after the transpile has settled; whatever is left is made when its case
 * runs, as before. Only the grader's own code runs here (the spec's generators and the reference),
 * on inputs fixed by the job's seed, before any of the submission's code: a submission that does not
 * compile wasted at most what one transpile's wait could hold. A reference that throws here is left
 * to its case (which computes it again and reports it where it always did).
 */
export async function prepareWhile(pending: Promise<unknown>, runtime: ExerciseRuntime, job: GradeJob, references: ReferenceCache): Promise<Map<string, WireValue[]>> {
  let settled = false;
  pending.then(
    () => (settled = true),
    () => (settled = true),
  );
  const prepared = new Map<string, WireValue[]>();
  const cases = runtime.spec.cases.filter((c) => c.kind !== "hidden" || job.scope === "all");
  const ordered = [...cases.filter((c) => c.kind !== "hidden"), ...cases.filter((c) => c.kind === "hidden")];
  // A step of work, then a turn of the event loop (setImmediate runs after I/O is polled), so the
  // transpile's answer is seen as soon as it arrives.
  const yieldToIo = () => new Promise<void>((resolve) => setImmediate(resolve));
  const make = (c: CaseDef): WireValue[] => c.make({ rng: new Rng(caseSeed(c, job.seed)) });
  try {
    for (const c of ordered) {
      await yieldToIo();
      if (settled) return prepared;
      prepared.set(c.id, make(c));
    }
    for (const c of ordered) {
      if (c.kind !== "hidden") continue;
      await yieldToIo();
      if (settled) return prepared;
      const key = referenceKey(runtime.entry.version, c, caseSeed(c, job.seed));
      // From arguments of its own (made again from the seed), as when its case computes it after the
      // call: the case's own arguments stay exactly as made, whatever the reference does with its input.
      await references.get(key, () => runtime.reference.expected(make(c))).catch(() => undefined);
    }
  } catch {
    // A case whose arguments cannot be made fails where it always did, when it runs.
  }
  return prepared;
}

async function runCase(
  c: CaseDef,
  runtime: ExerciseRuntime,
  session: SubmissionSession,
  deps: GradeDeps,
  job: GradeJob,
  clock: Clock,
  timings: { referenceMs: number; compareMs: number },
  prepared: ReadonlyMap<string, WireValue[]>,
  ruledOut: () => ReadonlySet<string>,
): Promise<{ result: TestResult; runtimeError: GradeResult["runtimeError"]; attribution: TestAttribution; evidenceLater?: () => Promise<CaseEvidence> }> {
  const { entry, spec, reference } = runtime;
  // The session's (its limits are this machine's, see gradeSubmission), not the runtime's.
  const meta = session.entry.meta;
  const hidden = c.kind === "hidden";
  if (outOfTime(clock)) {
    return { result: { ...skipped(c, c.kind, wallMessage(meta)), status: "time_limit" }, runtimeError: null, attribution: { evidence: null, claimed: [] } };
  }
  const s = caseSeed(c, job.seed);
  const args = prepared.get(c.id) ?? c.make({ rng: new Rng(s) });
  const key = referenceKey(entry.version, c, s);
  // The call first, then the expected output: calls run synchronously on this thread (the fast path,
  // see Sandbox.call), so nothing would overlap, and each stage's time stays its own (the call's
  // duration is the call's alone).
  const started = performance.now();
  const outcome = await session.call(args, clock, hidden);
  const durationMs = performance.now() - started;
  const tr = performance.now();
  let expected: WireValue;
  try {
    expected = await deps.references.get(key, () => reference.expected(args));
  } finally {
    timings.referenceMs += performance.now() - tr;
  }
  const base = skipped(c, c.kind, { ja: "", en: "" });
  const evidenceOf = async (observed: Observed) => {
    const tv = performance.now();
    try {
      return await gatherEvidence(runtime, deps.references, key, args, expected, observed, ruledOut());
    } finally {
      timings.referenceMs += performance.now() - tv;
    }
  };

  const mustThrow = thrownExpectation(expected);
  if (mustThrow !== null) {
    const ok = !outcome.ok && outcome.kind === "runtime" && new RegExp(mustThrow.pattern, "i").test(outcome.error.message);
    // Returning a value where an error was due may be a known mistake (e.g. a check left out).
    const evidence = outcome.ok ? await evidenceOf({ kind: "value", value: outcome.value }) : ok || hidden ? null : await evidenceOf({ kind: "thrown", message: outcome.error.message });
    const result: TestResult = ok
      ? { ...base, status: "passed", message: { ja: "合格 (正しくエラーを投げました)", en: "passed (threw as it should)" }, durationMs }
      : {
          ...base,
          status: "failed",
          message: {
            ja: `${mustThrow.description.ja}。${outcome.ok ? "エラーを投げずに値を返しました" : `投げられたエラー: ${outcome.error.messageJa ?? outcome.error.message}`}`,
            en: `${mustThrow.description.en}; ${outcome.ok ? "it returned a value instead of throwing" : `it threw: ${outcome.error.message}`}`,
          },
          durationMs,
        };
    if (ok || outcome.ok || outcome.kind === "runtime") return { result, runtimeError: null, attribution: { evidence, claimed: [] } };
  }

  if (!outcome.ok) {
    const failure = failureOf(outcome, meta, session.sourceMap, hidden);
    // A known mistake may show as an exception (a variant that "throws" with a matching message).
    const evidence = outcome.kind === "runtime" ? await evidenceOf({ kind: "thrown", message: outcome.error.message }) : null;
    return {
      result: { ...base, status: failure.status, message: failure.message, durationMs },
      runtimeError: failure.runtimeError === null ? null : { ...failure.runtimeError, testId: c.id },
      attribution: { evidence, claimed: failure.pitfall === undefined ? [] : [failure.pitfall] },
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
  // Every statement says the caller's tensors come back unchanged (unless it says otherwise).
  if (outcome.inputChanged !== undefined && spec.inputsMayChange !== true) {
    const said = inputChangedMessage(outcome.inputChanged);
    verdict = verdict.ok ? { ok: false, message: said } : { ...verdict, message: { ja: `${verdict.message.ja}。${said.ja}`, en: `${verdict.message.en}; ${said.en}` } };
  }
  let result: TestResult;
  let attribution: TestAttribution = { evidence: null, claimed: [] };
  let evidenceLater: (() => Promise<CaseEvidence>) | undefined;
  if (verdict.ok) {
    result = { ...base, status: "passed", message: { ja: "合格", en: "passed" }, durationMs };
    // A passing result is evidence too (against every variant that differs from it), gathered only if
    // some test does not pass (see gradeSubmission); the variants of public and pitfall cases are
    // cached across gradings, a hidden case's would cost each grading.
    if (!hidden) evidenceLater = () => evidenceOf({ kind: "value", value: actual });
  } else {
    const claimed = "pitfall" in verdict && verdict.pitfall !== undefined ? [verdict.pitfall] : [];
    attribution = { evidence: await evidenceOf({ kind: "value", value: actual }), claimed };
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
      durationMs,
    };
  }
  if (!hidden && spec.heatmapPart !== undefined) result.heatmap = heatmapOf(expected, actual, spec.heatmapPart, meta);
  timings.compareMs += performance.now() - tc;
  // Comparing (and matching pitfalls on) the student's result is charged to the student's time too:
  // a huge result runs the submission out of time (time_limit), never the host past its watchdog.
  clock.cpuLeftMs -= performance.now() - tc;
  return evidenceLater === undefined ? { result, runtimeError: null, attribution } : { result, runtimeError: null, attribution, evidenceLater };
}

function inputChangedMessage(where: string): Localized {
  const ja = where.replace(/^argument (\d+)/, "引数 $1");
  return {
    ja: `関数が入力 (${ja}) の値を書き換えました。呼び出し側のテンソルは変えずに返してください (fill_ や copy_ などのインプレース操作を入力に使わない、必要なら clone() してから)`,
    en: `your function changed its input (${where}) in place; the caller's tensors must come back unchanged (no in-place ops such as fill_ or copy_ on an input; clone() it first if needed)`,
  };
}

function wallMessage(meta: ExerciseMeta): Localized {
  return {
    ja: `提出全体の時間 (CPU 時間で合計 ${meta.limits.wallTimeoutMs} ms) を使い切ったため実行されませんでした`,
    en: `not run: the submission used up its time (${meta.limits.wallTimeoutMs} ms of CPU time in all)`,
  };
}

/** Hidden tests say pass or fail, and at most which known pitfall the failure looks like. */
function hideDetails(t: TestResult, exercise: Localized, about: readonly Localized[]): TestResult {
  if (t.status === "passed") return t;
  const hint: Localized = t.pitfall
    ? { ja: `非公開テストに不合格。${t.pitfall.title.ja} の可能性があります`, en: `hidden test failed; this looks like: ${t.pitfall.title.en}` }
    : about.length > 0
      ? {
          ja: `非公開テストに不合格。この入力の特徴: ${about.map((a) => a.ja).join("、")}。「${exercise.ja}」の問題文がこのような入力について何と言っているか確認してください`,
          en: `hidden test failed on an input with ${about.map((a) => a.en).join(", ")}; check what the statement of "${exercise.en}" says about such inputs`,
        }
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
  const meta = session.entry.meta;
  const base = skipped(inv, "invariant", { ja: "", en: "" });
  if (outOfTime(clock)) return { result: { ...base, status: "time_limit", message: wallMessage(meta) }, runtimeError: null };
  const started = performance.now();
  // Invariants may expect a call to throw; only a failure they let escape is the submission's error.
  let lastError: GradeResult["runtimeError"] = null;
  const once = async (args: WireValue[]): Promise<WireValue> => {
    const r = await session.call(args, clock);
    if (r.ok) return r.value;
    const failure = failureOf(r, meta, session.sourceMap, false);
    lastError = failure.runtimeError === null ? null : { ...failure.runtimeError, testId: inv.id };
    const status = failure.status === "error" || failure.status === "time_limit" || failure.status === "memory_limit" || failure.status === "output_limit" ? failure.status : "error";
    throw new CallFailure(status, failure.message, r.kind === "runtime" ? { name: r.error.name, message: r.error.message } : null);
  };
  // An invariant that compares two calls blames the code's structure for any difference: before its
  // second call, the first is repeated with the same arguments, and randomness is reported as such.
  let calls = 0;
  let first: { args: WireValue[]; value: WireValue } | null = null;
  try {
    const outcome = await inv.run({
      rng: new Rng(deriveSeed(job.seed, inv.id)),
      tolerance: meta.tolerance,
      call: async (args) => {
        calls++;
        if (calls === 2 && first !== null && inv.randomResults !== true) {
          const again = await once(first.args);
          if (!compareValues(first.value, again, { tolerance: { atol: 0, rtol: 0 }, nanEqual: true }).ok) throw new NotDeterministic();
        }
        const value = await once(args);
        if (calls === 1) first = { args: structuredClone(args), value };
        return value;
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
    if (e instanceof NotDeterministic) {
      const said = runtime.spec.nondeterminism;
      const hint = said?.message ?? { ja: "乱数を使っていないか確認してください", en: "look for a random draw" };
      const message: Localized = {
        ja: `同じ引数で 2 回呼ぶと異なる結果が返りました: 関数が決定的ではありません (${hint.ja})。この検査は 2 回の呼び出しを比べるため、決定的でない関数は判定できません`,
        en: `your function returned different results for the same arguments, called twice: it is not deterministic (${hint.en}); this check compares two calls, so it cannot judge a function that is not`,
      };
      const pitfall = pitfallHit(said?.pitfall === undefined ? undefined : deps.catalog.pitfalls.get(said.pitfall));
      return { result: { ...base, status: "failed", message, pitfall, durationMs: performance.now() - started }, runtimeError: null };
    }
    throw e;
  }
}

/** An invariant's repeated call disagreed with its first: the submission is not deterministic. */
class NotDeterministic extends Error {
  override name = "NotDeterministic";
}
