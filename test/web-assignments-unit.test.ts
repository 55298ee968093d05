import { describe, expect, it } from "vitest";
import { type CatalogItem, assignmentFromForm, formProblem, percent } from "../apps/web/lib/assignments.ts";

/** The portal's form -> AssignmentInput step (no server needed): zones through Luxon, clear errors. */
const catalog: CatalogItem[] = [
  { kind: "exercise", itemId: "self-attention", key: "exercise:self-attention", title: { ja: "自己注意", en: "Self-attention" }, href: "/exercises/self-attention" },
  { kind: "quiz", itemId: "math-shapes", key: "quiz:math-shapes", title: { ja: "形", en: "Shapes" }, href: "/quizzes/math-shapes" },
];
const fields = {
  titleJa: "課題",
  titleEn: "Assignment",
  opensAt: "2026-10-20T09:00",
  dueAt: "2026-10-24T23:59",
  closesAt: "",
  lateKind: "per_day",
  latePercent: "10",
  lateFloor: "50",
  "weight:exercise:self-attention": "2",
  "weight:quiz:math-shapes": "0.5",
};
const form = (items: string[], extra: Record<string, string> = {}) => {
  const f = new FormData();
  for (const [k, v] of Object.entries({ ...fields, ...extra })) f.set(k, v);
  for (const i of items) f.append("item", i);
  return { f, fields: { ...fields, ...extra } };
};

describe("assignment form", () => {
  it("turns wall-clock times in the class's zone into UTC instants, with the chosen items and weights", () => {
    const { f, fields: flat } = form(["exercise:self-attention", "quiz:math-shapes"]);
    const tokyo = assignmentFromForm(f, flat, catalog, "Asia/Tokyo");
    expect(tokyo.dueAt).toEqual(new Date("2026-10-24T14:59:00.000Z"));
    expect(tokyo.closesAt).toBeNull();
    expect(tokyo.items).toEqual([
      { kind: "exercise", itemId: "self-attention", weight: 2 },
      { kind: "quiz", itemId: "math-shapes", weight: 0.5 },
    ]);
    expect(tokyo.latePolicy).toEqual({ kind: "per_day", percentPerDay: 10, floorPercent: 50 });
    // The same wall-clock time in Berlin (summer time until 25 October) is seven hours later.
    expect(assignmentFromForm(f, flat, catalog, "Europe/Berlin").dueAt).toEqual(new Date("2026-10-24T21:59:00.000Z"));
  });

  it("says what is wrong: a weight, an unknown item, a time the clocks skip", () => {
    const bad = form(["exercise:self-attention"], { "weight:exercise:self-attention": "-1" });
    expect(formProblem(catchIt(() => assignmentFromForm(bad.f, bad.fields, catalog, "Asia/Tokyo")))).toMatch(/weight of self-attention/);
    const unknown = form(["exercise:not-there"]);
    expect(formProblem(catchIt(() => assignmentFromForm(unknown.f, unknown.fields, catalog, "Asia/Tokyo")))).toMatch(/unknown item exercise:not-there/);
    const gap = form(["quiz:math-shapes"], { dueAt: "2026-03-29T02:30" });
    expect(formProblem(catchIt(() => assignmentFromForm(gap.f, gap.fields, catalog, "Europe/Berlin")))).toMatch(/does not exist in Europe\/Berlin/);
    const pct = form(["quiz:math-shapes"], { latePercent: "120" });
    expect(formProblem(catchIt(() => assignmentFromForm(pct.f, pct.fields, catalog, "Asia/Tokyo")))).toMatch(/deduction per day: between 0 and 100/);
  });

  it("prints percentages with one decimal", () => {
    expect([0, 0.9, 2 / 3, 1].map(percent)).toEqual(["0.0%", "90.0%", "66.7%", "100.0%"]);
  });
});

function catchIt(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error("expected an error");
}
