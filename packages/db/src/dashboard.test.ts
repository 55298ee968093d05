import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { countsAsAttempt } from "@tfm/contract";
import type { Database } from "./client.ts";
import { classDashboard } from "./dashboard.ts";
import { NotFoundError } from "./errors.ts";
import { type GeneratedClass, generateClass } from "./synthetic-class.ts";
import { openScratchDatabase, testProviders } from "./testing.ts";

/** What the dashboard must say, computed from the generator's own record rather than from the database. */
function expected(g: GeneratedClass) {
  const cells = new Map<string, { attempts: number; bestScore: number | null; passed: boolean; firstPassedAt: Date | null; lastSubmittedAt: Date }>();
  const pitfalls = new Map<string, { failingTests: number; submissions: Set<string>; learners: Set<string> }>();
  for (const s of g.submissions) {
    const key = `${s.userId}|${s.exerciseId}`;
    const c = cells.get(key) ?? { attempts: 0, bestScore: null, passed: false, firstPassedAt: null, lastSubmittedAt: s.receivedAt };
    if (countsAsAttempt(s.verdict)) {
      c.attempts++;
      c.bestScore = Math.max(c.bestScore ?? 0, s.score);
    }
    if (s.verdict === "passed" && (c.firstPassedAt === null || s.receivedAt < c.firstPassedAt)) c.firstPassedAt = s.receivedAt;
    c.passed ||= s.verdict === "passed";
    if (s.receivedAt > c.lastSubmittedAt) c.lastSubmittedAt = s.receivedAt;
    cells.set(key, c);
    for (const p of s.failingPitfalls) {
      const e = pitfalls.get(p) ?? { failingTests: 0, submissions: new Set(), learners: new Set() };
      e.failingTests++;
      e.submissions.add(s.id);
      e.learners.add(s.userId);
      pitfalls.set(p, e);
    }
  }
  return { cells, pitfalls };
}

describe.each(testProviders())("class dashboard on %s", (provider) => {
  let db: Database;
  let close: () => Promise<void>;
  let cls: GeneratedClass;
  beforeAll(async () => {
    ({ db, close } = await openScratchDatabase(provider, "dashboard"));
    cls = await generateClass(db, { students: 14, exercises: 6, submissionsPerExercise: 5, seed: 7, prefix: "main" });
    // Another class's learners must not leak into this one's numbers.
    await generateClass(db, { students: 5, exercises: 6, submissionsPerExercise: 3, seed: 8, prefix: "other" });
  });
  afterAll(async () => close());

  it("has every learner x exercise cell: counted attempts, best score, first pass", async () => {
    const d = await classDashboard(db, cls.classId);
    const want = expected(cls);
    expect(d.learners.map((l) => l.userId)).toEqual(cls.studentIds);
    let compared = 0;
    for (const l of d.learners) {
      for (const e of cls.exerciseIds) {
        const w = want.cells.get(`${l.userId}|${e}`);
        const got = l.cells[e];
        if (w === undefined) {
          expect(got).toBeUndefined();
          continue;
        }
        expect(got).toEqual({ attempts: w.attempts, bestScore: w.bestScore, passed: w.passed, firstPassedAt: w.firstPassedAt, lastSubmittedAt: w.lastSubmittedAt, pending: 0 });
        compared++;
      }
      expect(l.passedExercises).toBe(cls.exerciseIds.filter((e) => want.cells.get(`${l.userId}|${e}`)?.passed).length);
    }
    expect(compared).toBeGreaterThan(30);
  });

  it("gives pass rates per exercise over the class's learners", async () => {
    const d = await classDashboard(db, cls.classId);
    const want = expected(cls);
    expect(d.exercises.map((e) => e.id)).toEqual(cls.exerciseIds);
    for (const e of d.exercises) {
      const passed = cls.studentIds.filter((u) => want.cells.get(`${u}|${e.id}`)?.passed).length;
      expect(e).toMatchObject({ learners: 14, passed, passRate: passed / 14 });
      expect(e.attempts).toBe(cls.studentIds.reduce((n, u) => n + (want.cells.get(`${u}|${e.id}`)?.attempts ?? 0), 0));
    }
    expect(d.exercises.some((e) => e.passRate > 0 && e.passRate < 1)).toBe(true);
  });

  it("ranks the pitfalls failing tests were diagnosed as, by learners then failing tests", async () => {
    const d = await classDashboard(db, cls.classId);
    const want = expected(cls);
    expect(d.pitfalls.length).toBe(want.pitfalls.size);
    for (const p of d.pitfalls) {
      const w = want.pitfalls.get(p.pitfallId);
      expect(p).toEqual({ pitfallId: p.pitfallId, failingTests: w?.failingTests, submissions: w?.submissions.size, learners: w?.learners.size });
    }
    for (let i = 1; i < d.pitfalls.length; i++) {
      const [a, b] = [d.pitfalls[i - 1], d.pitfalls[i]];
      if (a === undefined || b === undefined) continue;
      expect(a.learners > b.learners || (a.learners === b.learners && a.failingTests >= b.failingTests)).toBe(true);
    }
  });

  it("counts checklist levels from the progress snapshots", async () => {
    const d = await classDashboard(db, cls.classId);
    const counts = { none: 0, minimum: 0, recommended: 0, excellent: 0, unknown: 0 };
    for (const u of cls.studentIds) counts[cls.levels.get(u) ?? "unknown"]++;
    expect(d.levels).toEqual(counts);
    expect(d.learners.filter((l) => l.level === null)).toHaveLength(counts.unknown);
  });

  it("answers NotFoundError for an unknown class", async () => {
    await expect(classDashboard(db, "nope")).rejects.toBeInstanceOf(NotFoundError);
  });
});
