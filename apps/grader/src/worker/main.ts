/**
 * A grading worker: a child process started with --no-node-snapshot (isolated-vm needs it on
 * Node >= 20). It grades one job at a time; the parent's watchdog kills it if a job overruns.
 */
import { initBackend } from "@tfm/reference";
import { loadCatalog } from "../catalog.ts";
import { loadConfig } from "../config.ts";
import { gradeSubmission } from "../grade.ts";
import { ReferenceCache } from "../reference-cache.ts";
import { loadRuntime } from "../runtime.ts";
import { bootstrapSource } from "../sandbox/sandbox.ts";
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
  await Promise.all(
    [...catalog.exercises.values()].map((e) =>
      loadRuntime(e).catch((err: unknown) => console.error(`exercise '${e.meta.id}' could not be loaded: ${String(err)}`)),
    ),
  );

  process.on("message", (raw) => {
    const msg = raw as ToWorker;
    if (msg.type !== "grade") return;
    gradeSubmission(msg.job, { catalog, backend, references })
      .then((result) => send({ type: "result", id: msg.id, result, cacheHits: references.hits, cacheMisses: references.misses }))
      .catch((e: unknown) => send({ type: "failed", id: msg.id, message: e instanceof Error ? (e.stack ?? e.message) : String(e) }));
  });
  process.on("disconnect", () => process.exit(0));
  send({ type: "ready", backend, pid: process.pid });
}

main().catch((e: unknown) => {
  console.error("grading worker failed to start:", e);
  process.exit(70);
});
