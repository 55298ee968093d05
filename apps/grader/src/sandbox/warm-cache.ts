/**
 * The kit's V8 code cache, made after the kit has worked: at worker start, each light exercise's
 * model solution runs its public cases in a scratch sandbox, and the sandbox then shares the kit as
 * compiled by those calls (Sandbox.shareCompiledKit). A code cache made at compile time holds only
 * the bundle's top level, so every submission's fresh isolate compiled each kit function again at
 * its first call; measured with packages/kit/bench/cold-isolate.ts --warm-cache, that was about
 * 2 ms of scaled-dot-product-attention's ~5 ms of calls.
 *
 * Only trusted code runs here (the catalog's model solutions), the cache holds only compiled code
 * (no heap state), and a failure only leaves the compile-time cache in place.
 */
import { readFileSync } from "node:fs";
import { Rng, deriveSeed } from "@tfm/spec";
import { hasOwnLimits } from "../limits.ts";
import type { ExerciseRuntime } from "../runtime.ts";
import { transpile } from "../transpile.ts";
import { Sandbox } from "./sandbox.ts";


export interface WarmCacheReport {
  exercises: number;
  shared: boolean;
  ms: number;
}

/** Runs the light exercises' model solutions once (public cases) and shares the compiled kit; at most `budgetMs`. */
export async function warmKitCodeCache(runtimes: readonly (ExerciseRuntime | null)[], budgetMs = 3_000): Promise<WarmCacheReport> {
  const t0 = performance.now();
  let exercises = 0;
  let shared = false;
  for (const runtime of runtimes) {
    if (runtime === null || performance.now() - t0 > budgetMs) continue;
    const meta = runtime.entry.meta;
    // A heavy exercise (its own limits) is skipped here.
    if (hasOwnLimits(meta.limits)) continue;
    let sandbox: Sandbox | null = null;
    try {
      const compiled = await transpile(readFileSync(runtime.entry.solutionPath, "utf8"));
      if (!compiled.ok) continue;
      sandbox = await Sandbox.create({ memoryMb: meta.limits.memoryMb, withheld: meta.withheld, consoleBytes: 4_096, resultBytes: meta.limits.resultBytes, seed: 0 });
      if (!(await sandbox.load(compiled.code, meta.limits.callTimeoutMs)).ok) continue;
      for (const c of runtime.spec.cases) {
        if (c.kind !== "public") continue;
        await sandbox.call(meta.entry, c.make({ rng: new Rng(deriveSeed(0, c.id)) }), meta.limits.callTimeoutMs);
      }
      shared = (await sandbox.shareCompiledKit()) || shared;
      exercises++;
    } catch {
      // A warm-up is an optimisation: whatever failed, the compile-time cache stays in use.
    } finally {
      sandbox?.dispose();
    }
  }
  return { exercises, shared, ms: performance.now() - t0 };
}
