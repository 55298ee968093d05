/**
 * A correct submission that holds a worker for a while, within the exercise's own limits (derived
 * from the model solution's cost, apps/grader/src/limits.ts): a top-level spin of a second or more
 * would now be a time_limit. Each isolate (the visible one and the hidden one) spends half of
 * `holdMs`, spinning at most 60% of the call limit in any one call, then answers with the model
 * solution. The suites use it to have a grading in flight long enough to act on it (kill the worker,
 * stop it, fill the queue).
 */
import { readFileSync } from "node:fs";
import path from "node:path";

const ROOT = path.resolve(import.meta.dirname, "..");

export function slowSolution(exerciseId: string, holdMs: number, model?: string): string {
  const dir = path.join(ROOT, "exercises", exerciseId);
  const meta = JSON.parse(readFileSync(path.join(dir, "exercise.json"), "utf8")) as { entry: string; limits: { callTimeoutMs: number; wallTimeoutMs: number } };
  if (holdMs > meta.limits.wallTimeoutMs * 0.8) throw new Error(`slowSolution: ${holdMs} ms is too close to ${exerciseId}'s submission budget (${meta.limits.wallTimeoutMs} ms)`);
  const source = model ?? readFileSync(path.join(dir, "solution.ts"), "utf8");
  const renamed = source.replace(`export function ${meta.entry}(`, `function modelEntry__(`);
  if (renamed === source) throw new Error(`slowSolution: no 'export function ${meta.entry}(' in the model solution of ${exerciseId}`);
  const perCall = Math.floor(meta.limits.callTimeoutMs * 0.6);
  return `${renamed}
let spent__ = 0;
export function ${meta.entry}(...args: Parameters<typeof modelEntry__>): ReturnType<typeof modelEntry__> {
  if (spent__ < ${Math.round(holdMs / 2)}) {
    const ms = Math.min(${perCall}, ${Math.round(holdMs / 2)} - spent__);
    const until = Date.now() + ms;
    while (Date.now() < until) { /* hold the worker */ }
    spent__ += ms;
  }
  return modelEntry__(...args);
}
`;
}
