/**
 * The benchmark's baseline substrate: ONE plain Node process per submission, no isolate. The bench
 * bundles this file with esbuild into a temporary CommonJS script and forks it (no tsx, no flags), so a
 * baseline grading pays what a container-style grader pays: a process start, the kit compiled from
 * scratch, the same harness (in-isolate.ts, the same bundle the isolates run), the same submission code.
 *
 * Messages (IPC, advanced serialization so typed arrays arrive as typed arrays):
 *   { type: "boot", kitFile, options } -> { type: "booted" }     evaluates the kit + harness bundle, boots it
 *   { type: "load", code }             -> { type: "outcome", r }  evaluates the transpiled submission
 *   { type: "call", entry, args }      -> { type: "outcome", r }
 *   { type: "drain" }                  -> { type: "console", text, exceeded }
 * Benchmark code only: it runs the model solutions, never untrusted code (it has no limits but the
 * parent's timer).
 */
import { readFileSync } from "node:fs";

type Harness = {
  load(factory: unknown): unknown;
  call(entry: string, args: unknown[]): unknown;
  drainConsole(): { text: string; exceeded: boolean };
};

type Incoming =
  | { type: "boot"; kitFile: string; options: Record<string, unknown> }
  | { type: "load"; code: string }
  | { type: "call"; entry: string; args: unknown[] }
  | { type: "drain" };

const send = process.send?.bind(process);
if (send === undefined) throw new Error("baseline-child must be forked with an IPC channel");
const indirectEval = eval;
let harness: Harness | null = null;

process.on("message", (raw) => {
  const msg = raw as Incoming;
  switch (msg.type) {
    case "boot": {
      const boot = indirectEval(readFileSync(msg.kitFile, "utf8")) as (o: Record<string, unknown>) => Harness;
      harness = boot(msg.options);
      send({ type: "booted" });
      return;
    }
    case "load": {
      const factory = indirectEval(`(function (require, module, exports) {"use strict";\n${msg.code}\n})`) as unknown;
      send({ type: "outcome", r: (harness as Harness).load(factory) });
      return;
    }
    case "call":
      send({ type: "outcome", r: (harness as Harness).call(msg.entry, msg.args) });
      return;
    case "drain":
      send({ type: "console", ...(harness as Harness).drainConsole() });
      return;
  }
});
