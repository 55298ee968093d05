import { type ChildProcess, spawn } from "node:child_process";
import { REPO_ROOT } from "./paths.ts";

/** A grader service (`apps/grader/src/server.ts`) in a process of its own: for tests and benchmarks that watch, load or kill it from outside. */
export interface GraderProcess {
  url: string;
  pid: number;
  child: ChildProcess;
  /** The last lines it wrote to stdout and stderr. */
  output(): string;
  /** SIGTERM, then SIGKILL after 15 s; its worker processes (its process group) go with it. */
  close(): Promise<void>;
}

const KEEP_LINES = 400;

/** Starts the service on a free port (TFM_GRADER_PORT=0 unless `env` says otherwise) and resolves once it listens. */
export function startGraderProcess(env: NodeJS.ProcessEnv, startMs = 120_000): Promise<GraderProcess> {
  const child = spawn(process.execPath, ["--no-node-snapshot", "--import", "tsx", "apps/grader/src/server.ts"], {
    cwd: REPO_ROOT,
    env: { ...process.env, TFM_GRADER_PORT: "0", ...env },
    // Its own process group, so that closing it also ends the pool's workers if the service dies first.
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: string[] = [];
  const keep = (chunk: Buffer) => {
    for (const line of chunk.toString("utf8").split("\n")) {
      if (line.length === 0) continue;
      lines.push(line);
      if (lines.length > KEEP_LINES) lines.shift();
    }
  };
  const output = () => lines.join("\n");
  child.stderr?.on("data", keep);
  child.stdout?.on("data", keep);
  const pid = child.pid ?? -1;
  const killGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-pid, signal);
    } catch {
      // gone already
    }
  };
  const close = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) {
        killGroup("SIGKILL");
        return resolve();
      }
      const hard = setTimeout(() => killGroup("SIGKILL"), 15_000);
      child.once("exit", () => {
        clearTimeout(hard);
        killGroup("SIGKILL");
        resolve();
      });
      child.kill("SIGTERM");
    });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void close();
      reject(new Error(`the grader did not start in ${startMs} ms:\n${output()}`));
    }, startMs);
    const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
      clearTimeout(timer);
      reject(new Error(`the grader exited (code ${code}, signal ${signal}) before it listened:\n${output()}`));
    };
    child.once("exit", onExit);
    child.stdout?.on("data", function listening(chunk: Buffer) {
      const m = /grader listening on (http:\/\/\S+)/.exec(chunk.toString("utf8"));
      if (m?.[1] === undefined) return;
      clearTimeout(timer);
      child.off("exit", onExit);
      child.stdout?.off("data", listening);
      resolve({ url: m[1], pid, child, output, close });
    });
  });
}
