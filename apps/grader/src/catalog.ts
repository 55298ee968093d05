import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { ExerciseMeta, type Localized, Pitfall } from "@tfm/contract";
import { DEFAULT_EXERCISES_DIR, DEFAULT_REFERENCE_DIR } from "./paths.ts";

export interface CatalogEntry {
  meta: ExerciseMeta;
  dir: string;
  /** Content hash of everything that decides a grade: a changed exercise is a new version. */
  version: string;
  statement: Localized;
  starter: string;
  specPath: string;
  referencePath: string;
  solutionPath: string;
  mutantsDir: string;
  /**
   * The grader's own driver (driver.ts), when the statement gives the student code to "keep as it
   * is": it is the module the grader calls, and it imports the student's module, so the student's
   * copy of that code has no effect on what is checked.
   */
  driver: string | null;
}

export interface Catalog {
  root: string;
  exercises: Map<string, CatalogEntry>;
  pitfalls: Map<string, Pitfall>;
  /** Exercise folders that failed validation: reported and left out, the others keep working. */
  problems: { folder: string; message: string }[];
}

export class CatalogError extends Error {
  override name = "CatalogError";
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    throw new CatalogError(`${file}: ${(e as Error).message}`);
  }
}

function formatIssues(file: string, issues: readonly { path: PropertyKey[]; message: string }[]): string {
  return `${file}:\n${issues.map((i) => `  ${i.path.map(String).join(".") || "(root)"}: ${i.message}`).join("\n")}`;
}

/** Loads and validates every exercise folder's metadata (no code is imported here). */
export function loadCatalog(root = DEFAULT_EXERCISES_DIR, referenceDir = DEFAULT_REFERENCE_DIR): Catalog {
  // One file per pitfall (exercises/pitfalls/<id>.json), so exercises can add theirs independently.
  const pitfallsDir = path.join(root, "pitfalls");
  const pitfalls = new Map<string, Pitfall>();
  for (const file of readdirSync(pitfallsDir).filter((f) => f.endsWith(".json")).sort()) {
    const full = path.join(pitfallsDir, file);
    const parsed = Pitfall.safeParse(readJson(full));
    if (!parsed.success) throw new CatalogError(formatIssues(full, parsed.error.issues));
    if (`${parsed.data.id}.json` !== file) throw new CatalogError(`${full}: id '${parsed.data.id}' must equal the file name`);
    pitfalls.set(parsed.data.id, parsed.data);
  }

  const exercises = new Map<string, CatalogEntry>();
  const problems: Catalog["problems"] = [];
  for (const name of readdirSync(root).sort()) {
    const dir = path.join(root, name);
    if (!statSync(dir).isDirectory() || name === "node_modules" || name === "pitfalls" || name.startsWith(".")) continue;
    const metaFile = path.join(dir, "exercise.json");
    if (!existsSync(metaFile)) continue;
    try {
      exercises.set(name, loadEntry(name, dir, metaFile, pitfalls, pitfallsDir, referenceDir));
    } catch (e) {
      if (!(e instanceof CatalogError)) throw e;
      problems.push({ folder: name, message: e.message });
    }
  }
  const ordered = [...exercises.values()].sort((a, b) => a.meta.order - b.meta.order || a.meta.id.localeCompare(b.meta.id));
  return { root, exercises: new Map(ordered.map((e) => [e.meta.id, e])), pitfalls, problems };
}

function loadEntry(
  name: string,
  dir: string,
  metaFile: string,
  pitfalls: Map<string, Pitfall>,
  pitfallsDir: string,
  referenceDir: string,
): CatalogEntry {
  {
    const parsed = ExerciseMeta.safeParse(readJson(metaFile));
    if (!parsed.success) throw new CatalogError(formatIssues(metaFile, parsed.error.issues));
    const meta = parsed.data;
    if (meta.id !== name) throw new CatalogError(`${metaFile}: id '${meta.id}' must equal the folder name '${name}'`);
    for (const p of meta.pitfalls) {
      if (!pitfalls.has(p)) throw new CatalogError(`${metaFile}: pitfall '${p}' has no file in ${pitfallsDir}`);
    }
    const read = (file: string): string => {
      const full = path.join(dir, file);
      if (!existsSync(full)) throw new CatalogError(`${dir}: missing ${file}`);
      return readFileSync(full, "utf8");
    };
    const statement = { ja: read("statement.ja.md"), en: read("statement.en.md") };
    const starter = read("starter.ts");
    const specPath = path.join(dir, "spec.ts");
    const referencePath = path.join(referenceDir, `${name}.ts`);
    if (!existsSync(specPath)) throw new CatalogError(`${dir}: missing spec.ts`);
    if (!existsSync(referencePath)) throw new CatalogError(`${dir}: missing reference ${referencePath}`);
    const driverPath = path.join(dir, "driver.ts");
    const driver = existsSync(driverPath) ? readFileSync(driverPath, "utf8") : null;
    const hash = createHash("sha256");
    for (const part of [readFileSync(metaFile), statement.ja, statement.en, starter, readFileSync(specPath), readFileSync(referencePath), ...(driver === null ? [] : [driver])]) {
      hash.update(part);
      hash.update("\0");
    }
    return {
      meta,
      dir,
      version: hash.digest("hex").slice(0, 16),
      statement,
      starter,
      specPath,
      referencePath,
      solutionPath: path.join(dir, "solution.ts"),
      mutantsDir: path.join(dir, "mutants"),
      driver,
    };
  }
}

/**
 * For a command line's `--exercise` list: the catalog, or (ids it lacks) a bilingual message naming
 * them on stderr and exit status 2.
 */
export function loadCatalogForCommand(ids: readonly string[] | undefined): Catalog {
  const catalog = loadCatalog();
  const unknown = (ids ?? []).filter((id) => !catalog.exercises.has(id));
  if (unknown.length > 0) {
    console.error(`unknown exercise: ${unknown.join(", ")} / 存在しない演習です: ${unknown.join(", ")}`);
    process.exit(2);
  }
  return catalog;
}
