import type { ChecklistItem, Progress } from "@tfm/contract";
import type { Lang } from "./i18n.ts";

/**
 * How a checklist item is shown wherever it appears (exercise list, exercise page, checklist): how
 * many of the things it needs are done ("1 of 2 done"), and what is still needed as titles with links
 * (never raw ids).
 */
export interface Catalog {
  exercises: readonly { id: string; title: Record<Lang, string> }[];
  quizzes: readonly { id: string; title: Record<Lang, string> }[];
  freeText: readonly { id: string; title: Record<Lang, string> }[];
}

export interface ItemView {
  id: string;
  text: string;
  done: boolean;
  /** Parts of the evidence: the exercises an "exercise" item needs, or 1 for a quiz or self item. */
  total: number;
  doneParts: number;
  pending: { id: string; title: string; href: string }[];
}

export function linkFor(catalog: Catalog, id: string, lang: Lang): { id: string; title: string; href: string } {
  const ex = catalog.exercises.find((e) => e.id === id);
  if (ex !== undefined) return { id, title: ex.title[lang], href: `/exercises/${id}` };
  const quiz = catalog.quizzes.find((q) => q.id === id);
  if (quiz !== undefined) return { id, title: quiz.title[lang], href: `/quizzes/${id}` };
  const ft = catalog.freeText.find((f) => f.id === id);
  if (ft !== undefined) return { id, title: ft.title[lang], href: `/free-text/${id}` };
  return { id, title: id, href: "/exercises" };
}

export function itemView(item: ChecklistItem, progress: Progress | null, catalog: Catalog, lang: Lang): ItemView {
  const p = progress?.items.find((i) => i.id === item.id);
  const done = p?.done === true;
  const total = item.evidence.kind === "exercise" ? item.evidence.exercises.length : 1;
  const pendingIds = done ? [] : (p?.pending ?? (item.evidence.kind === "exercise" ? item.evidence.exercises : item.evidence.kind === "quiz" ? [item.evidence.quiz] : []));
  // A quiz item may also be completed by a free-text review: the quiz is the one to point at.
  const pending = (item.evidence.kind === "quiz" ? pendingIds.slice(0, 1) : pendingIds).map((id) => linkFor(catalog, id, lang));
  const doneParts = done ? total : item.evidence.kind === "exercise" ? Math.max(0, total - pendingIds.length) : 0;
  return { id: item.id, text: item.text[lang], done, total, doneParts, pending };
}
