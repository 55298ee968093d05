import type { AssignmentInput, AssignmentRow } from "@tfm/db";
import { ITEM_KINDS, type ItemKind, LocalTimeError, type ItemStatus, itemKey, localToUtc } from "@tfm/progress";
import { z } from "zod";
import { listExercises, listFreeText, listQuizzes } from "./grader.ts";
import type { Lang, MessageKey } from "./i18n.ts";

/**
 * The portal's side of assignments: the item catalog (exercises, quizzes, free-text problems) with
 * titles, and the form of the create/edit pages turned into the data layer's AssignmentInput. Times
 * arrive as the wall-clock values of <input type="datetime-local"> in the class's zone and are
 * converted to UTC by @tfm/progress (Luxon), never by offset arithmetic here.
 */

export interface CatalogItem {
  kind: ItemKind;
  itemId: string;
  key: string;
  title: { ja: string; en: string };
  /** Where a student works on it. */
  href: string;
}

export async function itemCatalog(): Promise<CatalogItem[]> {
  const [exercises, quizzes, freeText] = await Promise.all([listExercises(), listQuizzes(), listFreeText()]);
  return [
    ...exercises.map((e) => ({ kind: "exercise" as const, itemId: e.id, key: itemKey("exercise", e.id), title: { ja: `${e.order}. ${e.title.ja}`, en: `${e.order}. ${e.title.en}` }, href: `/exercises/${e.id}` })),
    ...quizzes.map((q) => ({ kind: "quiz" as const, itemId: q.id, key: itemKey("quiz", q.id), title: q.title, href: `/quizzes/${q.id}` })),
    ...freeText.map((f) => ({ kind: "free_text" as const, itemId: f.id, key: itemKey("free_text", f.id), title: f.title, href: `/free-text/${f.id}` })),
  ];
}

export function itemTitle(catalog: readonly CatalogItem[], key: string, lang: Lang): string {
  return catalog.find((c) => c.key === key)?.title[lang] ?? key;
}

export const KIND_KEYS: Record<ItemKind, MessageKey> = { exercise: "asgKindExercise", quiz: "asgKindQuiz", free_text: "asgKindFreeText" };
export const PHASE_KEYS = { not_open: "asgPhaseNotOpen", open: "asgPhaseOpen", late: "asgPhaseLate", closed: "asgPhaseClosed" } as const satisfies Record<string, MessageKey>;
export const STATUS_KEYS: Record<ItemStatus, MessageKey> = { on_time: "asgOnTime", late: "asgLate", missing: "asgMissing", pending: "asgPending" };

const Num = (what: string, min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+(\.\d+)?$/, `${what}: not a number`)
    .transform(Number)
    .refine((n) => n >= min && n <= max, `${what}: between ${min} and ${max}`);

const Form = z.object({
  titleJa: z.string(),
  titleEn: z.string(),
  opensAt: z.string().min(1, "the opening time is required"),
  dueAt: z.string().min(1, "the due time is required"),
  closesAt: z.string().default(""),
  lateKind: z.enum(["none", "per_day"]),
  latePercent: z.string().default("0"),
  lateFloor: z.string().default("0"),
});

/** Form fields (and the repeated `item` checkboxes with `weight:<key>` fields) to an AssignmentInput. */
export function assignmentFromForm(form: FormData | null, fields: Record<string, string>, catalog: readonly CatalogItem[], timeZone: string): AssignmentInput {
  const f = Form.parse(fields);
  const keys = form === null ? (fields.items ?? "").split(",").filter((k) => k !== "") : form.getAll("item").filter((v): v is string => typeof v === "string");
  const items = keys.map((key) => {
    const c = catalog.find((x) => x.key === key);
    if (c === undefined) throw new z.ZodError([{ code: "custom", path: ["item"], message: `unknown item ${key.slice(0, 100)}`, input: key }]);
    const weight = Num(`weight of ${c.itemId}`, 0.01, 1000).parse(fields[`weight:${key}`] ?? "1");
    return { kind: c.kind, itemId: c.itemId, weight };
  });
  const at = (v: string) => localToUtc(v, timeZone);
  return {
    titleJa: f.titleJa,
    titleEn: f.titleEn,
    opensAt: at(f.opensAt),
    dueAt: at(f.dueAt),
    closesAt: f.closesAt.trim() === "" ? null : at(f.closesAt),
    latePolicy: f.lateKind === "none" ? { kind: "none" } : { kind: "per_day", percentPerDay: Num("deduction per day", 0, 100).parse(f.latePercent), floorPercent: Num("floor", 0, 100).parse(f.lateFloor) },
    items,
  };
}

/** What went wrong with a form, in words for the error message (the data layer's and zod's messages). */
export function formProblem(e: unknown): string | null {
  if (e instanceof z.ZodError) return e.issues.map((i) => i.message).join("; ");
  if (e instanceof LocalTimeError) return e.message;
  return null;
}

export const percent = (x: number): string => `${(Math.round(x * 1000) / 10).toFixed(1)}%`;

export function isKind(v: string): v is ItemKind {
  return (ITEM_KINDS as readonly string[]).includes(v);
}

export function title(a: Pick<AssignmentRow, "titleJa" | "titleEn">, lang: Lang): string {
  return lang === "ja" ? a.titleJa : a.titleEn;
}
