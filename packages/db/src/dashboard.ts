import type { Localized, ProgressLevel } from "@tfm/contract";
import { z } from "zod";
import type { Database } from "./client.ts";
import { NotFoundError } from "./errors.ts";
import { Prisma } from "./generated/sqlite/client.ts";
import type { Role } from "./generated/sqlite/enums.ts";

/** One learner x exercise cell of the class table. */
export interface DashboardCell {
  /** Submissions that count as attempts (not compile errors, not internal errors). */
  attempts: number;
  bestScore: number | null;
  passed: boolean;
  /** When the first passing submission was received. */
  firstPassedAt: Date | null;
  lastSubmittedAt: Date | null;
  /** Submissions still queued or being graded. */
  pending: number;
}

export interface DashboardLearner {
  userId: string;
  displayName: string;
  email: string;
  role: Role;
  joinedAt: Date;
  /** From the last saved progress snapshot; null until @tfm/progress has computed one. */
  level: ProgressLevel | null;
  doneCount: number | null;
  progressAt: Date | null;
  passedExercises: number;
  lastSubmittedAt: Date | null;
  /** exercise id -> cell; exercises the learner never submitted are absent. */
  cells: Record<string, DashboardCell>;
}

export interface DashboardExercise {
  id: string;
  order: number;
  title: Localized;
  learners: number;
  attempted: number;
  passed: number;
  /** passed / learners (0 for an empty class). */
  passRate: number;
  attempts: number;
  /** Mean of the attempted learners' best scores (null when nobody attempted). */
  meanBestScore: number | null;
}

export interface DashboardPitfall {
  pitfallId: string;
  /** Failing tests diagnosed as this pitfall, over the current grading of every submission. */
  failingTests: number;
  submissions: number;
  learners: number;
}

export interface ClassDashboard {
  class: { id: string; name: string; inviteCode: string; ownerId: string };
  exercises: DashboardExercise[];
  learners: DashboardLearner[];
  /** Most frequent first (by learners, then failing tests). */
  pitfalls: DashboardPitfall[];
  /** How many learners stand at each checklist level ("unknown": no snapshot yet). */
  levels: Record<ProgressLevel | "unknown", number>;
}

const count = z.union([z.bigint(), z.number()]).transform(Number);
const PitfallRow = z.object({ pitfall_id: z.string(), failing_tests: count, submissions: count, learners: count });

/** The instructor's view of a class: learners x exercises, pass rates, frequent pitfalls, checklist levels. */
export async function classDashboard(db: Database, classId: string): Promise<ClassDashboard> {
  return db.run("reading a class dashboard", async (p) => {
    const cls = await p.class.findUnique({ where: { id: classId }, select: { id: true, name: true, inviteCode: true, ownerId: true } });
    if (cls === null) throw new NotFoundError(`no class with id ${classId}`);
    const inClass = { user: { enrolments: { some: { classId } } } };
    const members = await p.enrolment.findMany({
      where: { classId },
      orderBy: [{ joinedAt: "asc" }, { userId: "asc" }],
      select: {
        joinedAt: true,
        user: { select: { id: true, displayName: true, email: true, role: true, progress: { select: { level: true, doneCount: true, computedAt: true } } } },
      },
    });
    const exercises = await p.exercise.findMany({ orderBy: [{ order: "asc" }, { id: "asc" }], select: { id: true, order: true, titleJa: true, titleEn: true } });
    const attempts = await p.submission.groupBy({
      by: ["userId", "exerciseId"],
      where: { ...inClass, countsAsAttempt: true },
      _count: { _all: true },
      _max: { score: true },
    });
    const passes = await p.submission.groupBy({ by: ["userId", "exerciseId"], where: { ...inClass, verdict: "passed" }, _min: { receivedAt: true } });
    const latest = await p.submission.groupBy({ by: ["userId", "exerciseId"], where: inClass, _max: { receivedAt: true } });
    const pending = await p.submission.groupBy({ by: ["userId", "exerciseId"], where: { ...inClass, status: { in: ["queued", "grading"] } }, _count: { _all: true } });
    const pitfallRows = await p.$queryRaw(Prisma.sql`
      SELECT t.pitfall_id AS pitfall_id, COUNT(*) AS failing_tests, COUNT(DISTINCT s.id) AS submissions, COUNT(DISTINCT s.user_id) AS learners
        FROM grading_tests AS t
        JOIN submissions AS s ON s.current_grading_id = t.grading_id
        JOIN enrolments AS e ON e.user_id = s.user_id AND e.class_id = ${classId}
       WHERE t.pitfall_id IS NOT NULL AND t.status <> 'passed'
       GROUP BY t.pitfall_id`);

    const cells = new Map<string, Map<string, DashboardCell>>();
    const cell = (userId: string, exerciseId: string): DashboardCell => {
      let row = cells.get(userId);
      if (row === undefined) cells.set(userId, (row = new Map()));
      let c = row.get(exerciseId);
      if (c === undefined) row.set(exerciseId, (c = { attempts: 0, bestScore: null, passed: false, firstPassedAt: null, lastSubmittedAt: null, pending: 0 }));
      return c;
    };
    for (const g of latest) cell(g.userId, g.exerciseId).lastSubmittedAt = g._max.receivedAt;
    for (const g of attempts) {
      const c = cell(g.userId, g.exerciseId);
      c.attempts = g._count._all;
      c.bestScore = g._max.score;
    }
    for (const g of passes) {
      const c = cell(g.userId, g.exerciseId);
      c.passed = true;
      c.firstPassedAt = g._min.receivedAt;
    }
    for (const g of pending) cell(g.userId, g.exerciseId).pending = g._count._all;

    const levels: ClassDashboard["levels"] = { none: 0, minimum: 0, recommended: 0, excellent: 0, unknown: 0 };
    const learners: DashboardLearner[] = members.map((m) => {
      const row = cells.get(m.user.id) ?? new Map<string, DashboardCell>();
      const progress = m.user.progress;
      levels[progress?.level ?? "unknown"]++;
      let last: Date | null = null;
      for (const c of row.values()) if (c.lastSubmittedAt !== null && (last === null || c.lastSubmittedAt > last)) last = c.lastSubmittedAt;
      return {
        userId: m.user.id,
        displayName: m.user.displayName,
        email: m.user.email,
        role: m.user.role,
        joinedAt: m.joinedAt,
        level: progress?.level ?? null,
        doneCount: progress?.doneCount ?? null,
        progressAt: progress?.computedAt ?? null,
        passedExercises: [...row.values()].filter((c) => c.passed).length,
        lastSubmittedAt: last,
        cells: Object.fromEntries(row),
      };
    });

    const summaries: DashboardExercise[] = exercises.map((e) => {
      let attempted = 0;
      let passed = 0;
      let total = 0;
      let scoreSum = 0;
      for (const l of learners) {
        const c = l.cells[e.id];
        if (c === undefined) continue;
        if (c.attempts > 0) {
          attempted++;
          scoreSum += c.bestScore ?? 0;
        }
        if (c.passed) passed++;
        total += c.attempts;
      }
      return {
        id: e.id,
        order: e.order,
        title: { ja: e.titleJa, en: e.titleEn },
        learners: learners.length,
        attempted,
        passed,
        passRate: learners.length === 0 ? 0 : passed / learners.length,
        attempts: total,
        meanBestScore: attempted === 0 ? null : scoreSum / attempted,
      };
    });

    const pitfalls = z
      .array(PitfallRow)
      .parse(pitfallRows)
      .map((r) => ({ pitfallId: r.pitfall_id, failingTests: r.failing_tests, submissions: r.submissions, learners: r.learners }))
      .sort((a, b) => b.learners - a.learners || b.failingTests - a.failingTests || a.pitfallId.localeCompare(b.pitfallId));

    return { class: cls, exercises: summaries, learners, pitfalls, levels };
  });
}
