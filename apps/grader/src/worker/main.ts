/**
 * A grading worker: a child process started with --no-node-snapshot (isolated-vm needs it on
 * Node >= 20). It grades one job at a time; the parent's watchdog kills it if a job overruns.
 */
import { initBackend } from "@tfm/reference";
import { loadCatalog } from "../catalog.ts";
import { loadConfig } from "../config.ts";
import { type StageTimes, gradeSubmission, warmPublicReferences } from "../grade.ts";
import { ReferenceCache } from "../reference-cache.ts";
import { loadRuntime } from "../runtime.ts";
import { bootstrapSource, prepareSpare } from "../sandbox/sandbox.ts";
import type { FromWorker, ToWorker } from "./protocol.ts";

function send(msg: FromWorker): void {
  process.send?.(msg);
}

async function main(): Promise<void> {
  if (process.send === undefined) throw new Error("the grading worker must be started by the pool (no IPC channel)");
  const config = loadConfig();
  const catalog = loadCatalog(config.TFM_EXERCISES_DIR, config.TFM_REFERENCE_DIR);
  const backend = await initBackend();
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
  // The first isolate (it also produces the kit's V8 code cache), ready for the first submission.
  const memoryLimits = [...catalog.exercises.values()].map((e) => e.meta.limits.memoryMb);
  const commonLimit = mostCommon(memoryLimits) ?? 128;
  prepareSpare(commonLimit);

  // The next submission's isolate is prepared once the worker has been idle a moment: right after a
  // result another job often arrives at once, and preparing then would only compete with grading it.
  let spareTimer: NodeJS.Timeout | null = null;
  const prepareWhenIdle = (memoryMb: number) => {
    spareTimer = setTimeout(() => {
      spareTimer = null;
      prepareSpare(memoryMb);
    }, SPARE_AFTER_IDLE_MS);
  };

  process.on("message", (raw) => {
    const msg = raw as ToWorker;
    if (msg.type !== "grade") return;
    if (spareTimer !== null) clearTimeout(spareTimer);
    spareTimer = null;
    let stages: StageTimes | null = null;
    gradeSubmission(msg.job, { catalog, backend, references, onStages: (s) => (stages = s) })
      .then((result) => send({ type: "result", id: msg.id, result, cacheHits: references.hits, cacheMisses: references.misses, stages }))
      .catch((e: unknown) => send({ type: "failed", id: msg.id, message: e instanceof Error ? (e.stack ?? e.message) : String(e) }))
      // While idle, a fresh isolate for the next submission (of the same exercise, most likely).
      .finally(() => prepareWhenIdle(catalog.exercises.get(msg.job.exerciseId)?.meta.limits.memoryMb ?? commonLimit));
  });
  process.on("disconnect", () => process.exit(0));
  send({ type: "ready", backend, pid: process.pid });
}

const SPARE_AFTER_IDLE_MS = 25;

function mostCommon(xs: readonly number[]): number | undefined {
  const counts = new Map<number, number>();
  for (const x of xs) counts.set(x, (counts.get(x) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
}

main().catch((e: unknown) => {
  console.error("grading worker failed to start:", e);
  process.exit(70);
});
