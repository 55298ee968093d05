import { describe, expect, it } from "vitest";
import {
  type AssignmentRules,
  type AttemptRecord,
  LocalTimeError,
  RuleError,
  assignmentPhase,
  daysLate,
  formatInZone,
  lateFactor,
  localToUtc,
  scoreAssignment,
  utcToLocalInput,
} from "./assignment-score.ts";

const DUE = new Date("2026-11-06T14:59:00.000Z"); // Friday 23:59 in Tokyo
const rules = (over: Partial<AssignmentRules> = {}): AssignmentRules => ({
  timeZone: "Asia/Tokyo",
  opensAt: new Date("2026-10-30T00:00:00.000Z"),
  dueAt: DUE,
  closesAt: null,
  latePolicy: { kind: "per_day", percentPerDay: 10, floorPercent: 50 },
  items: [
    { kind: "exercise", itemId: "self-attention", weight: 2 },
    { kind: "quiz", itemId: "concept-qkv-roles", weight: 1 },
    { kind: "free_text", itemId: "qkv-analogy", weight: 1 },
  ],
  ...over,
});
let n = 0;
const at = (ms: number) => new Date(DUE.getTime() + ms);
const ex = (receivedAt: Date, score: number | null, counts = true): AttemptRecord => ({ id: `a${String(++n).padStart(3, "0")}`, kind: "exercise", itemId: "self-attention", receivedAt, score, counts });
const H = 3_600_000;
const D = 24 * H;

describe("scoreAssignment: timing at the edges", () => {
  it("due - 1 ms and due itself are on time, due + 1 ms is one day late", () => {
    for (const [ms, status, days] of [[-1, "on_time", 0], [0, "on_time", 0], [1, "late", 1]] as const) {
      const s = scoreAssignment(rules(), { attempts: [ex(at(ms), 1)] });
      expect(s.items[0]).toMatchObject({ status, daysLate: days, rawScore: 1, policyScore: days === 0 ? 1 : 0.9 });
    }
  });

  it("counts days late as started calendar days in the zone, down to the floor", () => {
    expect([1, D, D + 1, 2 * D, 2 * D + 1, 10 * D].map((ms) => daysLate(DUE, at(ms), "Asia/Tokyo"))).toEqual([1, 1, 2, 2, 3, 10]);
    expect([0, 1, 2, 5, 6, 30].map((d) => lateFactor({ kind: "per_day", percentPerDay: 10, floorPercent: 50 }, d))).toEqual([1, 0.9, 0.8, 0.5, 0.5, 0.5]);
    expect(lateFactor({ kind: "none" }, 12)).toBe(1);
    const s = scoreAssignment(rules({ latePolicy: { kind: "none" } }), { attempts: [ex(at(3 * D), 0.8)] });
    expect(s.items[0]).toMatchObject({ status: "late", daysLate: 3, policyScore: 0.8 });
  });

  it("Europe/Berlin across the October change: a 25-hour day is still one day late", () => {
    // Due Saturday 2026-10-24 23:59 CEST (UTC+2); the clocks go back on Sunday 25 October at 03:00.
    const due = localToUtc("2026-10-24T23:59", "Europe/Berlin");
    expect(due.toISOString()).toBe("2026-10-24T21:59:00.000Z");
    const sundayLast = localToUtc("2026-10-25T23:59", "Europe/Berlin"); // CET (UTC+1): 25 h after due
    expect(sundayLast.toISOString()).toBe("2026-10-25T22:59:00.000Z");
    expect(sundayLast.getTime() - due.getTime()).toBe(25 * H);
    expect(daysLate(due, sundayLast, "Europe/Berlin")).toBe(1);
    expect(daysLate(due, new Date(sundayLast.getTime() + 1), "Europe/Berlin")).toBe(2);
    // The same 25 hours in a zone without DST are two days.
    expect(daysLate(due, sundayLast, "Asia/Tokyo")).toBe(2);
    const r = rules({ timeZone: "Europe/Berlin", opensAt: new Date("2026-10-01T00:00:00Z"), dueAt: due });
    expect(scoreAssignment(r, { attempts: [ex(sundayLast, 1)] }).items[0]).toMatchObject({ status: "late", daysLate: 1, policyScore: 0.9 });
    expect(scoreAssignment(r, { attempts: [ex(new Date(due.getTime() - 1), 1)] }).items[0]).toMatchObject({ status: "on_time" });
  });

  it("Europe/Berlin at the March change: a 23-hour day is one day", () => {
    const due = localToUtc("2026-03-28T12:00", "Europe/Berlin");
    const next = localToUtc("2026-03-29T12:00", "Europe/Berlin");
    expect(next.getTime() - due.getTime()).toBe(23 * H);
    expect(daysLate(due, next, "Europe/Berlin")).toBe(1);
    expect(daysLate(due, new Date(next.getTime() + 1), "Europe/Berlin")).toBe(2);
  });

  it("a grading that finishes after the close counts by its receipt time; a regrade after the close keeps on-time status", () => {
    const r = rules({ closesAt: new Date(DUE.getTime() + 2 * D) });
    const received = at(-60_000);
    // Not graded yet when the assignment closes: pending, not missing, not late.
    expect(scoreAssignment(r, { attempts: [{ ...ex(received, null), id: "s1" }] }).items[0]).toMatchObject({ status: "pending", waiting: 1, counted: 1 });
    // The grading finishes three days after the close: only the score arrives, the receipt time is unchanged.
    expect(scoreAssignment(r, { attempts: [{ ...ex(received, 0.5), id: "s1" }] }).items[0]).toMatchObject({ status: "on_time", policyScore: 0.5 });
    // A regrade after the close changes the score, never the status.
    expect(scoreAssignment(r, { attempts: [{ ...ex(received, 1), id: "s1" }] }).items[0]).toMatchObject({ status: "on_time", policyScore: 1, daysLate: 0 });
  });

  it("after the hard close nothing counts (practice); before the opening neither", () => {
    const r = rules({ closesAt: new Date(DUE.getTime() + D) });
    const s = scoreAssignment(r, { attempts: [ex(new Date(r.opensAt.getTime() - 1), 1), ex(at(D), 0.4), ex(at(D + 1), 1)] });
    expect(s.items[0]).toMatchObject({ status: "late", rawScore: 0.4, counted: 1, notCounted: 2 });
  });
});

describe("scoreAssignment: best submission, weights, extensions, overrides", () => {
  it("takes the best value after the deduction (a late full score can lose to an on-time partial)", () => {
    const s = scoreAssignment(rules(), { attempts: [ex(at(-H), 0.85), ex(at(2 * D), 1)] });
    expect(s.items[0]).toMatchObject({ status: "on_time", policyScore: 0.85 });
    const s2 = scoreAssignment(rules(), { attempts: [ex(at(-H), 0.7), ex(at(H), 1)] });
    expect(s2.items[0]).toMatchObject({ status: "late", policyScore: 0.9 });
  });

  it("ignores submissions that do not count (grader faults) and is independent of the history's order", () => {
    const list = [ex(at(-H), 0.3), ex(at(-2 * H), 0, false), ex(at(-3 * H), 0.3), ex(at(-30 * 60_000), 1, false)];
    const a = scoreAssignment(rules(), { attempts: list });
    const b = scoreAssignment(rules(), { attempts: [...list].reverse() });
    expect(a).toEqual(b);
    expect(a.items[0]).toMatchObject({ policyScore: 0.3, counted: 2, bestAttemptId: list[2]?.id });
  });

  it("weights the items and counts missing items as zero", () => {
    const quiz: AttemptRecord = { id: "q1", kind: "quiz", itemId: "concept-qkv-roles", receivedAt: at(-H), score: 0.5, counts: true };
    const s = scoreAssignment(rules(), { attempts: [ex(at(-H), 1), quiz] });
    expect(s.items.map((i) => i.status)).toEqual(["on_time", "on_time", "missing"]);
    expect(s.total).toBeCloseTo((2 * 1 + 1 * 0.5 + 0) / 4, 12);
  });

  it("an extension moves the due time (item extension over a whole one) and the close with it", () => {
    const r = rules({ closesAt: new Date(DUE.getTime() + D) });
    const whole = { kind: null, itemId: null, dueAt: at(3 * D) };
    const item = { kind: "exercise" as const, itemId: "self-attention", dueAt: at(5 * D) };
    const late = ex(at(4 * D), 1);
    expect(scoreAssignment(rules(), { attempts: [late], extensions: [whole] }).items[0]).toMatchObject({ status: "late", daysLate: 1, extended: true });
    // With a hard close the whole extension's due time is its close too: a day after it is not counted.
    expect(scoreAssignment(r, { attempts: [late], extensions: [whole] }).items[0]).toMatchObject({ status: "missing", notCounted: 1, extended: true });
    expect(scoreAssignment(r, { attempts: [late], extensions: [whole, item] }).items[0]).toMatchObject({ status: "on_time", policyScore: 1, extended: true });
    expect(scoreAssignment(r, { attempts: [late] }).items[0]).toMatchObject({ status: "missing", notCounted: 1, extended: false });
    const s = scoreAssignment(r, { attempts: [], extensions: [item] });
    expect(s.items.map((i) => i.extended)).toEqual([true, false, false]);
  });

  it("an override replaces the item's score and says so", () => {
    const o = { kind: "exercise" as const, itemId: "self-attention", score: 0.75, comment: "partial credit" };
    const s = scoreAssignment(rules(), { attempts: [ex(at(D), 0.4)], overrides: [o] });
    expect(s.items[0]).toMatchObject({ status: "late", score: 0.75, override: o });
    expect(s.items[0]?.policyScore).toBeCloseTo(0.36, 12);
    expect(s.total).toBeCloseTo((2 * 0.75) / 4, 12);
  });

  it("refuses bad rules with a clear error", () => {
    expect(() => scoreAssignment(rules({ timeZone: "Mars/Olympus" }), { attempts: [] })).toThrow(/unknown time zone/);
    expect(() => scoreAssignment(rules({ closesAt: at(-1) }), { attempts: [] })).toThrow(RuleError);
    expect(() => scoreAssignment(rules({ opensAt: at(1) }), { attempts: [] })).toThrow(/opens after/);
    expect(() => scoreAssignment(rules({ items: [{ kind: "quiz", itemId: "x", weight: 0 }] }), { attempts: [] })).toThrow(/weight/);
    expect(() => scoreAssignment(rules({ latePolicy: { kind: "per_day", percentPerDay: 120, floorPercent: 0 } }), { attempts: [] })).toThrow(/per day/);
  });
});

describe("phases and zones", () => {
  it("says not open, open, late, closed at the edges", () => {
    const r = rules({ closesAt: at(D) });
    expect(assignmentPhase(r, DUE, new Date(r.opensAt.getTime() - 1))).toBe("not_open");
    expect(assignmentPhase(r, DUE, at(-1))).toBe("open");
    expect(assignmentPhase(r, DUE, at(0))).toBe("open");
    expect(assignmentPhase(r, DUE, at(1))).toBe("late");
    expect(assignmentPhase(r, DUE, at(D + 1))).toBe("closed");
    expect(assignmentPhase(r, at(2 * D), at(D + 1))).toBe("open");
    // An extension past the hard close moves the close out to it.
    expect(assignmentPhase(r, at(2 * D), at(2 * D))).toBe("open");
    expect(assignmentPhase(r, at(2 * D), at(2 * D + 1))).toBe("closed");
    expect(assignmentPhase(rules(), at(2 * D), at(2 * D + 1))).toBe("late");
    expect(assignmentPhase(rules(), DUE, at(100 * D))).toBe("late");
  });

  it("converts wall-clock times with Luxon: Tokyo has no DST, Berlin's skipped hour is refused, the repeated hour is the second", () => {
    expect(localToUtc("2026-11-06T23:59", "Asia/Tokyo")).toEqual(DUE);
    expect(localToUtc("2026-07-06T23:59", "Asia/Tokyo").toISOString()).toBe("2026-07-06T14:59:00.000Z");
    expect(() => localToUtc("2026-03-29T02:30", "Europe/Berlin")).toThrow(LocalTimeError);
    expect(localToUtc("2026-10-25T02:30", "Europe/Berlin").toISOString()).toBe("2026-10-25T01:30:00.000Z");
    expect(() => localToUtc("2026-02-30T10:00", "Asia/Tokyo")).toThrow(/not a valid/);
    expect(() => localToUtc("tomorrow", "Asia/Tokyo")).toThrow(/YYYY-MM-DD/);
    expect(() => localToUtc("2026-02-01T10:00", "Nowhere/City")).toThrow(/unknown time zone/);
    expect(utcToLocalInput(DUE, "Asia/Tokyo")).toBe("2026-11-06T23:59");
    expect(utcToLocalInput(DUE, "Europe/Berlin")).toBe("2026-11-06T15:59");
    expect(utcToLocalInput(new Date(DUE.getTime() + 30_000), "Asia/Tokyo")).toBe("2026-11-06T23:59:30");
    expect(localToUtc("2026-11-06T23:59:30", "Asia/Tokyo")).toEqual(new Date(DUE.getTime() + 30_000));
    expect(formatInZone(DUE, "Asia/Tokyo", "en")).toMatch(/^2026-11-06 \(Fri\) 23:59 /);
    expect(formatInZone(new Date("2026-10-25T00:30:00Z"), "Europe/Berlin", "en")).toBe("2026-10-25 (Sun) 02:30 CEST");
    expect(formatInZone(new Date("2026-10-25T01:30:00Z"), "Europe/Berlin", "en")).toBe("2026-10-25 (Sun) 02:30 CET");
  });
});
