import type { TestProject } from "vitest/node";
import { startGrader } from "../../apps/grader/src/server.ts";

declare module "vitest" {
  export interface ProvidedContext {
    graderUrl: string;
  }
}

/**
 * One real grader service (HTTP + worker pool) for every suite that grades through the API. Its limits
 * are the committed ones (TFM_LIMIT_SCALE=1), whatever the machine: the suites check the limits that
 * results and pages state; calibration.test.ts checks the calibration.
 */
export default async function setup(project: TestProject) {
  const grader = await startGrader({ ...process.env, TFM_GRADER_PORT: "0", TFM_GRADER_WORKERS: "2", TFM_LIMIT_SCALE: "1" });
  project.provide("graderUrl", grader.url);
  return async () => {
    await grader.close();
  };
}
