/**
 * A busy host, made on purpose: this process (all its threads) and two spinning processes share one
 * core, so this process gets about a third of it. A call then takes about three times its CPU time in
 * wall time, which is what a deadline burst does to a grader that shares its cores with other workers,
 * the queue and the database. Linux only (taskset, from util-linux).
 */
import { execFileSync, spawn } from "node:child_process";

export async function withBusyCore<T>(fn: () => Promise<T>): Promise<T> {
  const pid = String(process.pid);
  // "pid 123's current affinity list: 0,1" -> "0,1"
  const before = execFileSync("taskset", ["-p", "-c", pid], { encoding: "utf8" }).trim().split(":").pop()?.trim() ?? "";
  if (before === "") throw new Error("withBusyCore: could not read this process's CPU affinity");
  const core = before.split(/[,-]/)[0] as string;
  const spinners = [0, 1].map(() => spawn("taskset", ["-c", core, process.execPath, "-e", "for (;;) {}"], { stdio: "ignore" }));
  try {
    execFileSync("taskset", ["-a", "-p", "-c", core, pid], { stdio: "ignore" });
    // Let the spinners start before the measured work begins.
    await new Promise((r) => setTimeout(r, 150));
    return await fn();
  } finally {
    execFileSync("taskset", ["-a", "-p", "-c", before, pid], { stdio: "ignore" });
    for (const s of spinners) s.kill("SIGKILL");
  }
}

/**
 * A host busy inside this process: this process (all its threads) on one core, and libuv's four
 * threads hashing (pbkdf2) until `fn` ends. What a grader does beside a call in other threads of its
 * own process (V8's background garbage collection, an isolate being freed, esbuild's pipe) is of this
 * kind: CPU time the process uses that is not the isolate's. Linux only (taskset).
 */
export async function withBusyThreads<T>(fn: () => Promise<T>): Promise<T> {
  const { pbkdf2 } = await import("node:crypto");
  const pid = String(process.pid);
  const before = execFileSync("taskset", ["-p", "-c", pid], { encoding: "utf8" }).trim().split(":").pop()?.trim() ?? "";
  if (before === "") throw new Error("withBusyThreads: could not read this process's CPU affinity");
  const core = before.split(/[,-]/)[0] as string;
  let running = true;
  const hashing: Promise<void>[] = [];
  const hashUntilStopped = async (): Promise<void> => {
    while (running) await new Promise<void>((resolve) => pbkdf2("pw", "salt", 20_000, 32, "sha256", () => resolve()));
  };
  try {
    execFileSync("taskset", ["-a", "-p", "-c", core, pid], { stdio: "ignore" });
    for (let i = 0; i < 4; i++) hashing.push(hashUntilStopped());
    await new Promise((r) => setTimeout(r, 100));
    return await fn();
  } finally {
    running = false;
    await Promise.all(hashing);
    execFileSync("taskset", ["-a", "-p", "-c", before, pid], { stdio: "ignore" });
  }
}
