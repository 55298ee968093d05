import { describe, expect, it } from "vitest";
import { busiestThreadMs, callingThreadCpuMs, threadCpuTimes } from "./thread-cpu.ts";

/** Spins this thread for `ms` of wall time (a sum the engine cannot drop). */
function spin(ms: number): void {
  const t0 = performance.now();
  let s = 0;
  while (performance.now() - t0 < ms) s += Math.sqrt(s + 1);
  expect(s).toBeGreaterThan(0);
}

describe("thread CPU times (/proc/self/task/*/schedstat)", () => {
  it("sees this thread's own work, and only the busiest thread's delta counts", () => {
    const before = threadCpuTimes();
    expect(before).not.toBeNull();
    if (before === null) return;
    const p0 = process.cpuUsage();
    spin(40);
    const after = threadCpuTimes();
    expect(after).not.toBeNull();
    if (after === null) return;
    const p = process.cpuUsage(p0);
    const busiest = busiestThreadMs(before, after);
    // At most the process's CPU time (every thread), and at least most of the spin (on a quiet core
    // it is all of it; allow a busy machine's scheduler a share).
    expect(busiest).toBeLessThanOrEqual((p.user + p.system) / 1e3 + 1);
    expect(busiest).toBeGreaterThan(10);
  });

  it("reads the calling thread's own CPU time, no more than the process's", () => {
    const m0 = callingThreadCpuMs();
    expect(m0).not.toBeNull();
    const p0 = process.cpuUsage();
    spin(40);
    const m1 = callingThreadCpuMs();
    const p = process.cpuUsage(p0);
    const used = (m1 ?? 0) - (m0 ?? 0);
    expect(used).toBeGreaterThan(10);
    expect(used).toBeLessThanOrEqual((p.user + p.system) / 1e3 + 1);
  });

  it("counts a thread that appeared between the samples from zero, and ignores one that went (or a reused id)", () => {
    const before = new Map([["1", 5e6], ["2", 9e6]]);
    const after = new Map([["1", 7e6], ["3", 4e6], ["2", 1e6]]);
    expect(busiestThreadMs(before, after)).toBe(4);
    expect(busiestThreadMs(after, after)).toBe(0);
  });
});
