import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";

/**
 * The token that closes the grader's code-running routes (POST /v1/grade, /v1/submissions) to every
 * local process but the portal: made on first start (32 random bytes, base64url) and kept in
 * `<dataDir>/grader-token`, readable by the owner only (mode 600). A file with looser permissions is
 * tightened; an unusable one (empty, too short) is replaced.
 */
export function ensureGraderToken(dataDir: string): { token: string; file: string; created: boolean } {
  const file = path.join(dataDir, "grader-token");
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  if (existsSync(file)) {
    const token = readFileSync(file, "utf8").trim();
    if (/^[A-Za-z0-9_-]{16,200}$/.test(token)) {
      if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
      return { token, file, created: false };
    }
  }
  const token = randomBytes(32).toString("base64url");
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return { token, file, created: true };
}
