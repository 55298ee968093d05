/**
 * A busy host, made on purpose: this process (all its threads) and two spinning processes share one
 * core, so this process gets about a third of it. A call then takes about three times its CPU time in
 * wall time, which is what a deadline burst does to a grader that shares its cores with other workers,
 * the queue and the database. Linux only (taskset, from util-linux).
 */
import { execFileSync, spawn } from "node:child_process";
import { Worker } from "node:worker_threads";

/** Pins this process (all its threads, and those it starts later) to its first allowed core; returns how to undo it. */
function pinToOneCore(): { core: string; restore: () => void } {
  const pid = String(process.pid);
  // "pid 123's current affinity list: 0,1" -> "0,1"
  const before = execFileSync("taskset", ["-p", "-c", pid], { encoding: "utf8" }).trim().split(":").pop()?.trim() ?? "";
  if (before === "") throw new Error("busy-host: could not read this process's CPU affinity");
  const core = before.split(/[,-]/)[0] as string;
  execFileSync("taskset", ["-a", "-p", "-c", core, pid], { stdio: "ignore" });
  return { core, restore: () => execFileSync("taskset", ["-a", "-p", "-c", before, pid], { stdio: "ignore" }) };
}

export async function withBusyCore<T>(fn: () => Promise<T>): Promise<T> {
  const pinned = pinToOneCore();
  const spinners = [0, 1].map(() => spawn("taskset", ["-c", pinned.core, process.execPath, "-e", "for (;;) {}"], { stdio: "ignore" }));
  try {
    // Let the spinners start before the measured work begins.
    await new Promise((r) => setTimeout(r, 150));
    return await fn();
  } finally {
    pinned.restore();
    for (const s of spinners) s.kill("SIGKILL");
  }
}

/**
 * A host busy inside this process: this process (all its threads) on one core, and four worker
 * threads of its own spinning until `fn` ends, whether or not the main thread is free (a synchronous
 * call blocks it). What a grader does beside a call in other threads of its own process (V8's
 * background garbage collection, an isolate being freed, libuv's threads) is of this kind: CPU time
 * the process uses that is not the isolate's. Linux only (taskset).
 */
export async function withBusyThreads<T>(fn: () => Promise<T>): Promise<T> {
  const pinned = pinToOneCore();
  const spinners = [0, 1, 2, 3].map(() => new Worker("for (;;) {}", { eval: true }));
  try {
    await Promise.all(spinners.map((w) => new Promise((r) => w.once("online", r))));
    await new Promise((r) => setTimeout(r, 100));
    return await fn();
  } finally {
    await Promise.all(spinners.map((w) => w.terminate()));
    pinned.restore();
  }
}
