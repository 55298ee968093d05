/**
 * A grading worker: a child process started with --no-node-snapshot (isolated-vm needs it on
 * Node >= 20). It grades one job at a time; the parent's watchdog kills it if a job overruns.
 */
import { readFileSync } from "node:fs";
import { initBackendInfo } from "@tfm/reference";
import { Rng, deriveSeed } from "@tfm/spec";
import { resolveLimitScale } from "../calibration.ts";
import { loadCatalog } from "../catalog.ts";
import { loadConfig } from "../config.ts";
import { type GradeJob, GraderStallError, type StageTimes, gradeSubmission, warmPublicReferences } from "../grade.ts";
import { hasOwnLimits } from "../limits.ts";
import { ReferenceCache } from "../reference-cache.ts";
import { type ExerciseRuntime, loadRuntime } from "../runtime.ts";
import { type BootKey, bootKeyOf, bootstrapSource, keyOf, prepareSpares } from "../sandbox/sandbox.ts";
import { warmKitCodeCache } from "../sandbox/warm-cache.ts";
import { transpile, transpilerHealth } from "../transpile.ts";
import type { FromWorker, ToWorker } from "./protocol.ts";

function send(msg: FromWorker): void {
  process.send?.(msg);
}

async function main(): Promise<void> {
  if (process.send === undefined) throw new Error("the grading worker must be started by the pool (no IPC channel)");
  const config = loadConfig();
  const catalog = loadCatalog(config.TFM_EXERCISES_DIR, config.TFM_REFERENCE_DIR);
  // The label says exactly what runs (e.g. `webgpu (llvmpipe, software, opengles)`): /health and every result carry it.
  const backendInfo = await initBackendInfo();
  const backend = backendInfo.label;
  const references = new ReferenceCache();
  bootstrapSource();
  // Import every exercise's spec and reference now, so the first grading pays nothing for it.
  // A broken exercise module is reported and fails only its own gradings (as internal_error).
  const runtimes = await Promise.all(
    [...catalog.exercises.values()].map((e) =>
      loadRuntime(e).catch((err: unknown) => {
        console.error(`exercise '${e.meta.id}' could not be loaded: ${String(err)}`);
        return null;
      }),
    ),
  );
  // The public cases' expected outputs (fixed seeds) are the same for every grading: computed once now.
  for (const runtime of runtimes) {
    if (runtime === null) continue;
    await warmPublicReferences(runtime, references).catch((err: unknown) =>
      console.error(`exercise '${runtime.entry.meta.id}': computing its public references failed: ${String(err)}`),
    );
  }
  if (backendInfo.name === "webgpu") await warmGpuPipelines(runtimes);
  // The kit's V8 code cache with the functions the model solutions use already compiled, so no
  // submission's fresh isolate compiles them again (sandbox/warm-cache.ts); bounded, best effort.
  await warmKitCodeCache(runtimes, 1_000).catch(() => undefined);
  // Light exercises' per-call limits fit this machine: scaled by how much slower than the committed
  // calibration it runs the kit (limits.ts, calibration.ts); measured once, on the warmed code cache.
  const limits = await resolveLimitScale(config.TFM_LIMIT_SCALE, config.TFM_EXERCISES_DIR);
  // The pool answers "ready" with the scale all its workers grade with (ToWorker "limits"), before the
  // first job: this worker's own is used only for the warm-up gradings below (results dropped).
  let limitScale = limits.scale;
  // The grader's own code (transpiling, grading, comparing, attributing, the hidden cases' references)
  // runs cold in a new process: a student's first grading paid for it (about twice a warm one). A few
  // model solutions are graded here instead, before the worker reports ready; bounded in time.
  await warmGradings(runtimes, (job) => gradeSubmission(job, { catalog, backend, references, limitScale }));
  // The first submission's isolate (its visible and then its hidden cases), booted for the options
  // most exercises share.
  const common = mostCommon([...catalog.exercises.values()].map((e) => bootKeyOf(e.meta)));
  if (common !== undefined) prepareSpares(common);

  // The next submission's isolates are prepared when the pool says no job waits for this worker (an
  // "idle" message, sent right after its result if its queue is empty): while jobs wait, the next one
  // arrives at once and preparing would only compete with grading it.
  let lastKey: BootKey | null = null;

  process.on("message", (raw) => {
    const msg = raw as ToWorker;
    if (msg.type === "limits") {
      limitScale = msg.limits.scale;
      return;
    }
    if (msg.type === "idle") {
      if (lastKey !== null) prepareSpares(lastKey);
      return;
    }
    if (msg.type !== "grade") return;
    const meta = catalog.exercises.get(msg.job.exerciseId)?.meta;
    if (meta !== undefined) lastKey = bootKeyOf(meta);
    let stages: StageTimes | null = null;
    // The grading's last isolate is disposed once its result is sent (see GradeDeps.disposeLater).
    const disposals: (() => void)[] = [];
    gradeSubmission(msg.job, { catalog, backend, references, limitScale, onStages: (s) => (stages = s), disposeLater: (d) => disposals.push(d) })
      .then((result) => send({ type: "result", id: msg.id, result, cacheHits: references.hits, cacheMisses: references.misses, stages, transpiler: transpilerHealth() }))
      .catch((e: unknown) =>
        send({ type: "failed", id: msg.id, message: e instanceof Error ? (e.stack ?? e.message) : String(e), transpiler: transpilerHealth(), hostFault: e instanceof GraderStallError }),
      )
      .finally(() => {
        for (const dispose of disposals.splice(0)) dispose();
      });
  });
  process.on("disconnect", () => process.exit(0));
  // The transpiler's service started and proven before the first job (and /health says so).
  await transpile("export const ready = 1;\n").catch(() => undefined);
  send({ type: "ready", backend, pid: process.pid, transpiler: transpilerHealth(), limits });
}

/** A seed of its own for the warm-up gradings (their results are dropped). */
const WARM_GRADING_SEED = 0x5eed_0001;
const WARM_GRADING_BUDGET_MS = 1_500;
const WARM_GRADINGS = 4;

async function warmGradings(runtimes: readonly (ExerciseRuntime | null)[], grade: (job: GradeJob) => Promise<unknown>): Promise<void> {
  const t0 = performance.now();
  let n = 0;
  for (const runtime of runtimes) {
    if (runtime === null || hasOwnLimits(runtime.entry.meta.limits)) continue;
    if (n >= WARM_GRADINGS || performance.now() - t0 > WARM_GRADING_BUDGET_MS) break;
    try {
      const source = readFileSync(runtime.entry.solutionPath, "utf8");
      await grade({ exerciseId: runtime.entry.meta.id, source, seed: WARM_GRADING_SEED, scope: "all", lang: "ja" });
      n++;
    } catch {
      // A warm-up is an optimisation: the real gradings report their own failures.
    }
  }
}

/** A seed of its own, so the warm-up's hidden cases are not any student's (their results are dropped). */
const GPU_WARM_SEED = 0x9e3779b9;
const GPU_WARM_BUDGET_MS = 20_000;

/**
 * On webgpu, each kernel of a new shape builds a GPU pipeline (shader compilation) the first time in a
 * process, which the drivers' disk cache only shortens. The hidden cases of one seed are computed now,
 * before the worker reports ready, so a student's grading does not pay for it; bounded in time (on a
 * software adapter chunked attention's long cases alone take seconds).
 */
async function warmGpuPipelines(runtimes: readonly (ExerciseRuntime | null)[]): Promise<void> {
  const until = performance.now() + GPU_WARM_BUDGET_MS;
  for (const runtime of runtimes) {
    if (runtime === null) continue;
    for (const c of runtime.spec.cases) {
      if (c.kind !== "hidden") continue;
      if (performance.now() > until) return;
      // A case the reference rejects still compiled what it ran; its error is the grading's business.
      await Promise.resolve()
        .then(() => runtime.reference.expected(c.make({ rng: new Rng(deriveSeed(GPU_WARM_SEED, c.id)) })))
        .catch(() => undefined);
    }
  }
}

/** The boot options most exercises share (compared by their key). */
function mostCommon(xs: readonly BootKey[]): BootKey | undefined {
  const counts = new Map<string, { key: BootKey; n: number }>();
  for (const x of xs) {
    const k = keyOf(x);
    counts.set(k, { key: x, n: (counts.get(k)?.n ?? 0) + 1 });
  }
  return [...counts.values()].sort((a, b) => b.n - a.n)[0]?.key;
}

main().catch((e: unknown) => {
  console.error("grading worker failed to start:", e);
  process.exit(70);
});
