/**
 * Writes the differential suite's inputs (oracle/differential/cases.ts) to
 * oracle/cases/differential.json for `python3 -m oracle differential`. Usage:
 *
 *   node --import tsx oracle/differential/export.ts [--out FILE]
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { DIFFERENTIAL_SEED, casesSha256, differentialCases } from "./cases.ts";

const here = path.dirname(fileURLToPath(import.meta.url));

function main(argv: string[]): void {
  let out = path.join(here, "..", "cases", "differential.json");
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--out" && argv[i + 1] !== undefined) out = path.resolve(argv[++i] as string);
    else throw new Error(`unknown argument ${a} (usage: export.ts [--out FILE])`);
  }
  const cases = differentialCases();
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify({ seed: DIFFERENTIAL_SEED, sha256: casesSha256(cases), cases })}\n`);
  const families = new Map<string, number>();
  for (const c of cases) families.set(c.family, (families.get(c.family) ?? 0) + 1);
  console.log(`differential: ${cases.length} cases (${[...families].map(([f, n]) => `${f} ${n}`).join(", ")}) -> ${path.relative(process.cwd(), out)}`);
}

try {
  main(process.argv.slice(2));
} catch (e) {
  console.error(e instanceof Error ? e.message : e);
  process.exit(2);
}
