/**
 * CPU time thread by thread, from Linux's schedstat files (their first field: nanoseconds the thread
 * has run on a CPU; it does not advance while the thread waits for a core or the process is stopped),
 * so that a stopped or watched call is judged by its own thread's time and not by what the process's
 * other threads did meanwhile (V8's background garbage collection, an isolate being freed, libuv's
 * threads). A synchronous call (the fast path) runs on the calling thread: callingThreadCpuMs. A
 * watched call runs on one of isolated-vm's threads, which gives no thread id: the thread that gained
 * the most CPU time is the isolate's (threadCpuTimes, busiestThreadMs). A running thread's figure is
 * updated at scheduler ticks (1-4 ms here), so these decide limits (100 ms and more), not the cost of
 * a short call. Null where there is no /proc (the caller then falls back on the process's CPU clock).
 */
import { openSync, readFileSync, readSync, readdirSync } from "node:fs";

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

/** The calling thread's schedstat, opened once by the thread that first asks (each worker thread has its own module state). */
let own: number | null | undefined;
const ownBuffer = Buffer.alloc(128);

/** CPU time of the calling thread, in milliseconds (~1.5 us: one read of a file kept open), or null without /proc. */
export function callingThreadCpuMs(): number | null {
  if (own === undefined) {
    try {
      own = openSync("/proc/thread-self/schedstat", "r");
    } catch {
      own = null;
    }
  }
  if (own === null) return null;
  try {
    const n = readSync(own, ownBuffer, 0, ownBuffer.length, 0);
    const ns = Number(ownBuffer.toString("latin1", 0, n).split(" ", 1)[0]);
    return Number.isFinite(ns) ? ns / 1e6 : null;
  } catch {
    return null;
  }
}

/** The calling thread's CPU time since `start` (a callingThreadCpuMs reading), in ms; Infinity when either reading is missing. */
export function callingThreadSinceMs(start: number | null): number {
  const now = start === null ? null : callingThreadCpuMs();
  return start === null || now === null ? Number.POSITIVE_INFINITY : now - start;
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
