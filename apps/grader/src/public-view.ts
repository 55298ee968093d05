import type { PublicExercise } from "@tfm/contract";
import type { Catalog, CatalogEntry } from "./catalog.ts";
import { loadRuntime } from "./runtime.ts";

/** What a student may see of an exercise: never cases' inputs, references, hidden tests or mutants. */
export async function publicExercise(entry: CatalogEntry, catalog: Catalog): Promise<PublicExercise> {
  const { spec } = await loadRuntime(entry);
  const m = entry.meta;
  return {
    id: m.id,
    version: entry.version,
    order: m.order,
    title: m.title,
    summary: m.summary,
    area: m.area,
    chapterSection: m.chapterSection,
    checklist: m.checklist,
    entry: m.entry,
    withheld: m.withheld,
    limits: m.limits,
    tolerance: m.tolerance,
    statement: entry.statement,
    starter: entry.starter,
    publicTests: spec.cases
      .filter((c) => c.kind !== "hidden")
      .map((c) => ({ id: c.id, name: c.name, kind: c.kind === "pitfall" ? ("pitfall" as const) : ("public" as const) })),
    hiddenTestCount: spec.cases.filter((c) => c.kind === "hidden").length + (spec.invariants?.length ?? 0),
    pitfalls: m.pitfalls.flatMap((id) => {
      const p = catalog.pitfalls.get(id);
      return p === undefined ? [] : [p];
    }),
  };
}
