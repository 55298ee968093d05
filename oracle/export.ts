/**
 * Writes the inputs of every case of every exercise to oracle/cases/<id>.json for the PyTorch
 * oracle (python3 -m oracle). Usage:
 *
 *   node --import tsx oracle/export.ts [--out DIR] [exercise-id ...]
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { loadCatalog } from "@tfm/grader/catalog";
import { encodeWire, oracleCases } from "./cases.ts";

const here = path.dirname(fileURLToPath(import.meta.url));

async function main(argv: string[]): Promise<void> {
  let out = path.join(here, "cases");
  const ids: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === "--out") {
      const v = argv[++i];
      if (v === undefined) throw new Error("--out needs a directory");
      out = path.resolve(v);
    } else if (a.startsWith("-")) {
      throw new Error(`unknown option ${a} (usage: export.ts [--out DIR] [exercise-id ...])`);
    } else {
      ids.push(a);
    }
  }
  const catalog = loadCatalog();
  if (catalog.problems.length > 0) throw new Error(`catalog problems: ${catalog.problems.map((p) => p.message).join("; ")}`);
  for (const id of ids) if (!catalog.exercises.has(id)) throw new Error(`unknown exercise '${id}'`);
  mkdirSync(out, { recursive: true });
  let total = 0;
  for (const entry of catalog.exercises.values()) {
    if (ids.length > 0 && !ids.includes(entry.meta.id)) continue;
    const cases = await oracleCases(entry);
    const doc = {
      exercise: entry.meta.id,
      entry: entry.meta.entry,
      tolerance: entry.meta.tolerance,
      cases: cases.map((c) => ({ id: c.id, kind: c.kind, seed: c.seed, sha256: c.sha256, args: c.args.map(encodeWire) })),
    };
    writeFileSync(path.join(out, `${entry.meta.id}.json`), `${JSON.stringify(doc)}\n`);
    total += cases.length;
    console.log(`${entry.meta.id}: ${cases.length} case instances`);
  }
  console.log(`wrote ${total} case instances to ${path.relative(process.cwd(), out) || "."}`);
}

main(process.argv.slice(2)).catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(2);
});
