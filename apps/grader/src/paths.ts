import { fileURLToPath } from "node:url";

/** Repository root, from this file's location (apps/grader/src). */
export const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));
export const DEFAULT_EXERCISES_DIR = fileURLToPath(new URL("../../../exercises/", import.meta.url));
export const DEFAULT_REFERENCE_DIR = fileURLToPath(new URL("../../../reference/src/exercises/", import.meta.url));
