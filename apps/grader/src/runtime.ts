import { pathToFileURL } from "node:url";
import type { ExerciseSpec, ReferenceDef } from "@tfm/spec";
import type { CatalogEntry } from "./catalog.ts";
import { CatalogError } from "./catalog.ts";

export interface ExerciseRuntime {
  entry: CatalogEntry;
  spec: ExerciseSpec;
  reference: ReferenceDef;
}

const loaded = new Map<string, Promise<ExerciseRuntime>>();

function hasDefault<T>(mod: unknown, file: string, check: (v: unknown) => v is T): T {
  const value = (mod as { default?: unknown }).default;
  if (!check(value)) throw new CatalogError(`${file}: the default export is not valid`);
  return value;
}

const isSpec = (v: unknown): v is ExerciseSpec =>
  typeof v === "object" && v !== null && Array.isArray((v as { cases?: unknown }).cases);
const isReference = (v: unknown): v is ReferenceDef =>
  typeof v === "object" && v !== null && typeof (v as { expected?: unknown }).expected === "function";

/** Imports an exercise's spec (cases, invariants) and its reference, once per process and version. */
export function loadRuntime(entry: CatalogEntry): Promise<ExerciseRuntime> {
  const key = `${entry.meta.id}@${entry.version}`;
  let p = loaded.get(key);
  if (p === undefined) {
    p = (async () => {
      const spec = hasDefault(await import(pathToFileURL(entry.specPath).href), entry.specPath, isSpec);
      const reference = hasDefault(await import(pathToFileURL(entry.referencePath).href), entry.referencePath, isReference);
      const ids = new Set<string>();
      for (const c of [...spec.cases, ...(spec.invariants ?? [])]) {
        if (ids.has(c.id)) throw new CatalogError(`${entry.specPath}: duplicate test id '${c.id}'`);
        ids.add(c.id);
      }
      return { entry, spec, reference };
    })();
    loaded.set(key, p);
  }
  return p;
}
