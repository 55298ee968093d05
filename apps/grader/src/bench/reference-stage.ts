/**
 * The reference stage alone, per backend, in the bench's own process: every case of an exercise
 * (public cases and the hidden ones of a fixed seed) computed by the reference on each backend that
 * can run here. "first" is the first pass on that backend (on webgpu it includes compiling the
 * shaders, unless the drivers' disk cache already holds them), "warm" the best later pass; both in
 * ms per case. This is the figure that decides whether an exercise is better served by the GPU.
 */
import type { WireValue } from "@tfm/contract";
import { availableBackends, tf } from "@tfm/reference";
import { Rng, deriveSeed } from "@tfm/spec";
import type { CatalogEntry } from "../catalog.ts";
import { loadRuntime } from "../runtime.ts";

export interface ReferenceStageRow {
  exercise: string;
  backend: string;
  cases: number;
  firstMsPerCase: number;
  warmMsPerCase: number;
}

export interface ReferenceStageReport {
  /** What each backend ran on (the webgpu adapter in words), and why a backend is missing. */
  backends: { name: string; label: string }[];
  missing: { name: string; reason: string }[];
  rows: ReferenceStageRow[];
}

const HIDDEN_SEED = 777;

export async function measureReferenceStage(entries: readonly CatalogEntry[], opts: { warmPasses: number; withCpu: boolean }): Promise<ReferenceStageReport> {
  const before = tf.getBackend();
  const { names, webgpu } = await availableBackends();
  const backends = names.filter((b) => b !== "cpu" || opts.withCpu);
  const missing = "reason" in webgpu ? [{ name: "webgpu", reason: webgpu.reason }] : [];
  const rows: ReferenceStageRow[] = [];
  try {
    for (const e of entries) {
      const { spec, reference } = await loadRuntime(e);
      const args: WireValue[][] = spec.cases.map((c) => c.make({ rng: new Rng(c.kind === "hidden" ? deriveSeed(HIDDEN_SEED, c.id) : deriveSeed(0, c.id)) }));
      for (const b of backends) {
        if (!(await tf.setBackend(b))) continue;
        const pass = async () => {
          const t = performance.now();
          for (const a of args) await reference.expected(a);
          return (performance.now() - t) / Math.max(1, args.length);
        };
        const first = await pass();
        let warm = Number.POSITIVE_INFINITY;
        for (let i = 0; i < opts.warmPasses; i++) warm = Math.min(warm, await pass());
        rows.push({ exercise: e.meta.id, backend: b, cases: args.length, firstMsPerCase: first, warmMsPerCase: warm });
      }
    }
  } finally {
    await tf.setBackend(before);
  }
  const label = (b: string) => (b === "webgpu" && "adapter" in webgpu ? webgpu.adapter.label : b);
  return { backends: backends.map((b) => ({ name: b, label: label(b) })), missing, rows };
}
