import type { GradeResult } from "@tfm/contract";
import client from "prom-client";
import type { GraderPool } from "./pool.ts";

/** Prometheus metrics for one grader service (its own registry, no global state). */
export function createMetrics(pool: GraderPool) {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry, prefix: "tfm_grader_process_" });
  const gradings = new client.Counter({
    name: "tfm_gradings_total",
    help: "Gradings finished, by exercise and verdict",
    labelNames: ["exercise", "verdict"] as const,
    registers: [registry],
  });
  const duration = new client.Histogram({
    name: "tfm_grading_duration_seconds",
    help: "Time from transpile to verdict inside the worker",
    labelNames: ["exercise"] as const,
    buckets: [0.005, 0.01, 0.02, 0.03, 0.05, 0.1, 0.15, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const requests = new client.Counter({
    name: "tfm_http_requests_total",
    help: "HTTP requests by route and status",
    labelNames: ["route", "status"] as const,
    registers: [registry],
  });
  const gauge = (name: string, help: string, read: () => number) =>
    new client.Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(read());
      },
    });
  gauge("tfm_pool_workers", "Grading workers started", () => pool.stats().ready);
  gauge("tfm_pool_busy_workers", "Grading workers busy", () => pool.stats().busy);
  gauge("tfm_pool_queue_length", "Gradings waiting for a worker", () => pool.stats().queued);
  gauge("tfm_pool_worker_restarts", "Workers replaced after dying", () => pool.stats().restarts);
  gauge("tfm_pool_watchdog_kills", "Workers killed by the wall-clock watchdog", () => pool.stats().watchdogKills);
  gauge("tfm_pool_busy_seconds", "Time the workers spent on jobs since the pool started (summed over workers; hidden cases included)", () => pool.stats().busyMs / 1000);
  gauge("tfm_reference_cache_hits", "Reference cache hits (last reporting worker)", () => pool.stats().cacheHits);
  gauge("tfm_reference_cache_misses", "Reference cache misses (last reporting worker)", () => pool.stats().cacheMisses);

  pool.listen((r: GradeResult) => {
    gradings.inc({ exercise: r.exerciseId, verdict: r.verdict });
    duration.observe({ exercise: r.exerciseId }, r.timings.totalMs / 1000);
  });
  return { registry, requests };
}
