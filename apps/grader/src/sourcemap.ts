import { TraceMap, originalPositionFor } from "@jridgewell/trace-mapping";

export const SUBMISSION_FILE = "submission.js";

export interface StudentPosition {
  line: number;
  column: number;
}

/** The first stack frame inside the submission, mapped back to the student's TypeScript. */
export function studentPosition(stack: string, sourceMap: string): StudentPosition | null {
  const frame = /submission\.js:(\d+):(\d+)/.exec(stack);
  if (frame === null) return null;
  const line = Number(frame[1]);
  const column = Number(frame[2]);
  try {
    const pos = originalPositionFor(new TraceMap(sourceMap), { line, column: Math.max(0, column - 1) });
    if (pos.line === null) return null;
    // With a grader-owned driver (see transpile), a frame in the driver is not a line of the student's file.
    if (pos.source !== null && /(^|\/)driver\.ts$/.test(pos.source)) return null;
    return { line: pos.line, column: pos.column + 1 };
  } catch {
    return null;
  }
}
