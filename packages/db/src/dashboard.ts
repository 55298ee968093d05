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
/** SQLite gives aggregates of DATETIME columns back as text, PostgreSQL as timestamps. */
const timestamp = z.union([z.date(), z.string()]).transform((v) => new Date(v));
const CellRow = z.object({
  user_id: z.string(),
  exercise_id: z.string(),
  attempts: count,
  best_score: z.number().nullable(),
  first_passed_at: timestamp.nullable(),
  last_submitted_at: timestamp.nullable(),
  pending: count,
});
const PitfallRow = z.object({ pitfall_id: z.string(), failing_tests: count, submissions: count, learners: count });

/** The instructor's view of a class: learners x exercises, pass rates, frequent pitfalls, checklist levels. */
export async function classDashboard(db: Database, classId: string): Promise<ClassDashboard> {
  return db.run("reading a class dashboard", async (p) => {
    const cls = await p.class.findUnique({ where: { id: classId }, select: { id: true, name: true, inviteCode: true, ownerId: true } });
    if (cls === null) throw new NotFoundError(`no class with id ${classId}`);
    const members = await p.enrolment.findMany({
      where: { classId },
      orderBy: [{ joinedAt: "asc" }, { userId: "asc" }],
      select: {
        joinedAt: true,
        user: { select: { id: true, displayName: true, email: true, role: true, progress: { select: { level: true, doneCount: true, computedAt: true } } } },
      },
    });
    const exercises = await p.exercise.findMany({ orderBy: [{ order: "asc" }, { id: "asc" }], select: { id: true, order: true, titleJa: true, titleEn: true } });
    // One pass over the class's submissions: the same numbers as four groupBy queries, in a third of the time.
    const cellRows = await p.$queryRaw(Prisma.sql`
      SELECT s.user_id AS user_id, s.exercise_id AS exercise_id,
             SUM(CASE WHEN s.counts_as_attempt THEN 1 ELSE 0 END) AS attempts,
             MAX(CASE WHEN s.counts_as_attempt THEN s.score END) AS best_score,
             MIN(CASE WHEN s.verdict = 'passed' THEN s.received_at END) AS first_passed_at,
             MAX(s.received_at) AS last_submitted_at,
             SUM(CASE WHEN s.status IN ('queued', 'grading') THEN 1 ELSE 0 END) AS pending
        FROM submissions AS s
        JOIN enrolments AS e ON e.user_id = s.user_id AND e.class_id = ${classId}
       GROUP BY s.user_id, s.exercise_id`);
    const pitfallRows = await p.$queryRaw(Prisma.sql`
      SELECT t.pitfall_id AS pitfall_id, COUNT(*) AS failing_tests, COUNT(DISTINCT t.grading_id) AS submissions, COUNT(DISTINCT s.user_id) AS learners
        FROM grading_tests AS t
        JOIN submissions AS s ON s.current_grading_id = t.grading_id
        JOIN enrolments AS e ON e.user_id = s.user_id AND e.class_id = ${classId}
       WHERE t.pitfall_id IS NOT NULL AND t.status <> 'passed'
       GROUP BY t.pitfall_id`);

    const cells = new Map<string, Map<string, DashboardCell>>();
    for (const r of z.array(CellRow).parse(cellRows)) {
      let row = cells.get(r.user_id);
      if (row === undefined) cells.set(r.user_id, (row = new Map()));
      row.set(r.exercise_id, {
        attempts: r.attempts,
        bestScore: r.best_score,
        passed: r.first_passed_at !== null,
        firstPassedAt: r.first_passed_at,
        lastSubmittedAt: r.last_submitted_at,
        pending: r.pending,
      });
    }

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
