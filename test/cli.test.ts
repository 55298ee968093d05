import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { GradeResult } from "@tfm/contract";
import { describe, expect, it } from "vitest";
import { mutantSourceIn } from "../apps/grader/src/mutants.ts";

const root = fileURLToPath(new URL("../", import.meta.url));
const cli = (...args: string[]) =>
  spawnSync(process.execPath, ["--no-node-snapshot", "--import", "tsx", "apps/grader/src/cli.ts", ...args], {
    cwd: root,
    encoding: "utf8",
    timeout: 120_000,
    env: { ...process.env, TFM_GRADER_WORKERS: "1" },
  });
const exercise = (id: string, file: string) => path.join(root, "exercises", id, file);
/** A pitfall mutant is a patch: the CLI grades a file, so the patched source is written to one. */
const mutantFile = (id: string, pitfall: string): string => {
  const file = path.join(mkdtempSync(path.join(tmpdir(), "tfm-mutant-")), `${pitfall}.ts`);
  writeFileSync(file, mutantSourceIn(path.join(root, "exercises", id), pitfall));
  return file;
};

describe("npm run grade (CLI)", () => {
  it("exits 0 and prints a Japanese report for a passing solution", () => {
    const r = cli("scaled-dot-product-attention", exercise("scaled-dot-product-attention", "solution.ts"));
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/判定: 合格/);
    expect(r.stdout).toMatch(/sdpa-basic/);
  });

  it("exits 1 and names the pitfall in English for a mutant", () => {
    const r = cli("scaled-dot-product-attention", mutantFile("scaled-dot-product-attention", "mask-inverted"), "--lang", "en");
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/Verdict: Failed/);
    expect(r.stdout).toMatch(/Pitfall \[mask-inverted\]/);
  });

  it("prints the result JSON with --json and replays the seed", () => {
    const a = cli("positional-encoding", exercise("positional-encoding", "solution.ts"), "--json", "--seed", "123");
    const b = cli("positional-encoding", exercise("positional-encoding", "solution.ts"), "--json", "--seed", "123");
    expect(a.status).toBe(0);
    const ra = GradeResult.parse(JSON.parse(a.stdout));
    const rb = GradeResult.parse(JSON.parse(b.stdout));
    expect(ra.seed).toBe(123);
    expect(ra.tests.map((t) => [t.id, t.status])).toEqual(rb.tests.map((t) => [t.id, t.status]));
  });

  it("reports a compile error with the student's line and column, exit 1", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "tfm-cli-"));
    const file = path.join(dir, "broken.ts");
    writeFileSync(file, 'import { torch } from "@tfm/kit";\n\nexport function positionalEncoding(x) {\n  return x.add(;\n}\n');
    const r = cli("positional-encoding", file, "--json");
    expect(r.status).toBe(1);
    const result = GradeResult.parse(JSON.parse(r.stdout));
    expect(result.verdict).toBe("compile_error");
    expect(result.compileErrors[0]).toMatchObject({ line: 4, column: 16 });
  });

  it.each([
    [["scaled-dot-product-attention"], /missing/],
    [["no-such-exercise", exercise("positional-encoding", "solution.ts")], /unknown exercise/],
    [["positional-encoding", "/no/such/file.ts"], /cannot read/],
    [["positional-encoding", exercise("positional-encoding", "solution.ts"), "--seed", "-4"], /--seed/],
    [["positional-encoding", exercise("positional-encoding", "solution.ts"), "--lang", "fr"], /lang/],
    [["positional-encoding", exercise("positional-encoding", "solution.ts"), "--frobnicate"], /Unknown option/],
  ])("exits 2 on bad usage %j", (args, message) => {
    const r = cli(...args);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toMatch(/usage: npm run grade/);
  });
});
