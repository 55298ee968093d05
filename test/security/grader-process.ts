import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));

export interface GraderProcess {
  url: string;
  pid: number;
  child: ChildProcess;
  /** What the process wrote to stdout and stderr so far. */
  output(): string;
  close(): Promise<void>;
}

/**
 * A real grader service in its own process (`node --no-node-snapshot --import tsx apps/grader/src/server.ts`),
 * so that its memory, its workers and its death can be observed from outside.
 */
export async function startGraderProcess(env: Record<string, string>, startMs = 90_000): Promise<GraderProcess> {
  const child = spawn(process.execPath, ["--no-node-snapshot", "--import", "tsx", "apps/grader/src/server.ts"], {
    cwd: ROOT,
    env: { ...process.env, TFM_GRADER_PORT: "0", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout?.on("data", (d: Buffer) => (out += d.toString("utf8")));
  child.stderr?.on("data", (d: Buffer) => (out += d.toString("utf8")));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the grader did not start in ${startMs} ms:\n${out}`)), startMs);
    const check = () => {
      const m = /grader listening on (http:\/\/[^\s]+)/.exec(out);
      if (m?.[1] !== undefined) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    child.stdout?.on("data", check);
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`the grader exited (code ${code}, signal ${signal}) before listening:\n${out}`));
    });
  });
  return {
    url,
    pid: child.pid ?? -1,
    child,
    output: () => out,
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const kill = setTimeout(() => child.kill("SIGKILL"), 15_000);
        child.once("exit", () => {
          clearTimeout(kill);
          resolve();
        });
        child.kill("SIGTERM");
      }),
  };
}

/** Resident set size of a process in kB (VmRSS of /proc/<pid>/status); 0 when it is gone. */
export function rssKb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m?.[1] === undefined ? 0 : Number(m[1]);
  } catch {
    return 0;
  }
}

/** Direct children of a process, from the parent field of /proc/<pid>/stat. */
export function childPids(parent: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === parent) out.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

export async function waitFor<T>(read: () => Promise<T | undefined> | T | undefined, ms = 60_000, what = "a condition"): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await read();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
