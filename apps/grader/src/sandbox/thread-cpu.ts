/**
 * The CPU time of each thread of this process, from Linux's /proc/self/task/<tid>/schedstat (its
 * first field: nanoseconds the thread has run on a CPU; it does not advance while the thread waits
 * for a core or the process is stopped). For the CPU watch (Sandbox.withCpuBudget): while a watched
 * call runs on one of isolated-vm's threads, the thread that gained the most CPU time is the
 * isolate's, and what the process's other threads did meanwhile (V8's background garbage
 * collection, an isolate being freed, libuv's threads) is not the call's. Null where there is no
 * /proc (the watch then falls back on the process's CPU clock).
 */
import { readFileSync, readdirSync } from "node:fs";

const TASKS = "/proc/self/task";
/** At most this many threads are read per sample (a worker has ~15; the bound keeps a sample cheap). */
const MAX_THREADS = 256;

export type ThreadTimes = Map<string, number>;

let available: boolean | null = null;

export function threadCpuTimes(): ThreadTimes | null {
  if (available === false) return null;
  let tids: string[];
  try {
    tids = readdirSync(TASKS);
  } catch {
    available = false;
    return null;
  }
  const times: ThreadTimes = new Map();
  for (let i = 0; i < tids.length && i < MAX_THREADS; i++) {
    const tid = tids[i] as string;
    try {
      const ns = Number(readFileSync(`${TASKS}/${tid}/schedstat`, "latin1").split(" ", 1)[0]);
      if (Number.isFinite(ns)) times.set(tid, ns);
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  if (available === null) available = times.size > 0;
  return available ? times : null;
}

/** The most CPU time, in milliseconds, that any one thread used between two samples (a new thread counts from zero). */
export function busiestThreadMs(before: ThreadTimes, after: ThreadTimes): number {
  let most = 0;
  for (const [tid, ns] of after) {
    const d = ns - (before.get(tid) ?? 0);
    if (d > most) most = d;
  }
  return most / 1e6;
}
