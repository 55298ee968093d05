import { EXERCISE_IDS, type GradeResult, PROGRESS_LEVELS, type Verdict, countsAsAttempt } from "@tfm/contract";
import { type BulkRow, bulkInsert } from "./bulk.ts";
import { Prisma } from "./generated/sqlite/client.ts";
import { toJson } from "./catalog.ts";
import type { Database } from "./client.ts";
import { syntheticResult } from "./testing.ts";

/**
 * A generated class with a realistic shape of history, written in bulk (for the dashboard tests and
 * `npm run bench:db`). Seeded: the same options give the same class. Returns what it wrote, so tests
 * can compute the expected dashboard independently of the queries under test.
 */

export interface SyntheticClassOptions {
  students: number;
  exercises: number;
  submissionsPerExercise: number;
  testsPerGrading?: number;
  seed?: number;
  /** Prefix of every generated id, so several classes fit in one database. */
  prefix?: string;
  /** Every student submits every exercise (the benchmark's full matrix); otherwise weaker students reach fewer. */
  everyExercise?: boolean;
}

export interface GeneratedSubmission {
  id: string;
  userId: string;
  exerciseId: string;
  verdict: Verdict;
  score: number;
  receivedAt: Date;
  /** Pitfall ids of the failing tests of its grading. */
  failingPitfalls: string[];
}

export interface GeneratedClass {
  classId: string;
  instructorId: string;
  studentIds: string[];
  exerciseIds: string[];
  submissions: GeneratedSubmission[];
  levels: Map<string, (typeof PROGRESS_LEVELS)[number]>;
}

const PITFALLS = [
  "mask-inverted",
  "missing-scale",
  "softmax-wrong-axis",
  "fully-masked-nan",
  "pe-sin-cos-swapped",
  "heads-not-transposed-back",
  "softmax-overflow",
  "smiles-char-split",
  "full-attention-matrix-oom",
  "wrong-head-split",
];

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function inChunks<T>(rows: T[], size: number, write: (chunk: T[]) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < rows.length; i += size) await write(rows.slice(i, i + size));
}

export async function generateClass(db: Database, options: SyntheticClassOptions): Promise<GeneratedClass> {
  const rand = mulberry32(options.seed ?? 42);
  const prefix = options.prefix ?? "syn";
  const testsPerGrading = options.testsPerGrading ?? 4;
  const exerciseIds = EXERCISE_IDS.slice(0, options.exercises).map(String);
  const pitfallOf = new Map(exerciseIds.map((e, i) => [e, [PITFALLS[i % PITFALLS.length] ?? "missing-scale", PITFALLS[(i * 3 + 1) % PITFALLS.length] ?? "mask-inverted"]]));
  const base = Date.UTC(2026, 9, 1);

  const instructorId = `${prefix}-teacher`;
  const classId = `${prefix}-class`;
  const studentIds = Array.from({ length: options.students }, (_, i) => `${prefix}-s${String(i).padStart(4, "0")}`);
  const versionIds = new Map(exerciseIds.map((e) => [e, `${prefix}-v-${e}`]));

  await db.run("generating a class", async (p) => {
    for (const [i, e] of exerciseIds.entries()) {
      await p.exercise.upsert({ where: { id: e }, create: { id: e, order: i, area: "implementation", titleJa: e, titleEn: e }, update: {} });
      const versionId = versionIds.get(e) ?? "";
      await p.exerciseVersion.create({ data: { id: versionId, exerciseId: e, hash: `${prefix}-hash`, meta: toJson({ id: e }) } });
      await p.exercise.update({ where: { id: e }, data: { currentVersionId: versionId } });
    }
    await p.user.create({ data: { id: instructorId, email: `${prefix}-teacher@example.org`, displayName: "Teacher", role: "instructor" } });
    await p.class.create({ data: { id: classId, name: `${prefix} class`, inviteCode: `${prefix.toUpperCase()}-CODE`, ownerId: instructorId } });
    await inChunks(studentIds, 500, (ids) =>
      p.user.createMany({ data: ids.map((id, i) => ({ id, email: `${id}@example.org`, displayName: `Student ${i}`, role: "student" as const })) }),
    );
    await inChunks(studentIds, 500, (ids) => p.enrolment.createMany({ data: ids.map((userId) => ({ classId, userId })) }));
  });

  const submissions: GeneratedSubmission[] = [];
  const subRows: BulkRow[] = [];
  const gradingRows: BulkRow[] = [];
  const testRows: BulkRow[] = [];
  // One result document per verdict: the JSON column's content does not matter to the queries timed here.
  const resultJson = new Map<Verdict, GradeResult>();
  const resultFor = (verdict: Verdict, exerciseId: string) => {
    let r = resultJson.get(verdict);
    if (r === undefined) {
      r = syntheticResult({ exerciseId, exerciseVersion: `${prefix}-hash`, seed: 1, verdict, tests: [{ id: "t0", status: verdict === "passed" ? "passed" : "failed" }] });
      resultJson.set(verdict, r);
    }
    return r;
  };
  const levels = new Map<string, (typeof PROGRESS_LEVELS)[number]>();

  let n = 0;
  for (const [si, userId] of studentIds.entries()) {
    const skill = 0.15 + 0.8 * rand();
    if (rand() < 0.8) levels.set(userId, PROGRESS_LEVELS[Math.min(3, Math.floor(skill * 4))] ?? "none");
    for (const [ei, exerciseId] of exerciseIds.entries()) {
      // Weaker students reach fewer exercises.
      if (!options.everyExercise && ei > exerciseIds.length * (0.3 + skill)) continue;
      for (let k = 0; k < options.submissionsPerExercise; k++) {
        const id = `${prefix}-sub-${n++}`;
        const receivedAt = new Date(base + (si * 7919 + ei * 86_400 + k * 3_600) * 1_000);
        const roll = rand();
        const verdict: Verdict =
          roll < 0.05 ? "compile_error" : roll < 0.07 ? "internal_error" : roll < 0.12 ? "runtime_error" : rand() < skill * (0.4 + k / options.submissionsPerExercise) ? "passed" : "failed";
        const failing = verdict === "passed" ? 0 : verdict === "failed" ? 1 + Math.floor(rand() * Math.min(3, testsPerGrading)) : 0;
        const score = verdict === "passed" ? 1 : verdict === "failed" ? (testsPerGrading - failing) / testsPerGrading : 0;
        const counts = countsAsAttempt(verdict);
        const failingPitfalls: string[] = [];
        const gradingId = `${id}-g`;
        const withTests = verdict === "passed" || verdict === "failed";
        if (withTests) {
          for (let t = 0; t < testsPerGrading; t++) {
            const fails = t < failing;
            const pitfalls = pitfallOf.get(exerciseId) ?? [];
            const pitfallId = fails && rand() < 0.7 ? (pitfalls[Math.floor(rand() * pitfalls.length)] ?? null) : null;
            if (pitfallId !== null) failingPitfalls.push(pitfallId);
            testRows.push({
              id: `${gradingId}-${t}`,
              grading_id: gradingId,
              position: t,
              test_id: `case-${t}`,
              kind: t === testsPerGrading - 1 ? "hidden" : "public",
              status: fails ? "failed" : "passed",
              name_ja: `ケース ${t}`,
              name_en: `case ${t}`,
              message_ja: fails ? "値が違います" : "合格",
              message_en: fails ? "values differ" : "passed",
              pitfall_id: pitfallId,
              max_abs_error: fails ? 0.3 : 0,
              max_rel_error: fails ? 0.6 : 0,
              mismatch_count: fails ? 5 : null,
              duration_ms: 2,
            });
          }
        }
        const finishedAt = new Date(receivedAt.getTime() + 900);
        subRows.push({
          id,
          user_id: userId,
          exercise_id: exerciseId,
          exercise_version_id: versionIds.get(exerciseId) ?? "",
          source: `// submission ${k} of ${userId}\nexport function f() { return ${k}; }\n`,
          seed: BigInt(Math.floor(rand() * 0xffff_ffff)),
          scope: "all",
          lang: "ja",
          status: "done",
          priority: 0,
          pending_trigger: "submit",
          regrade_pending: false,
          received_at: receivedAt,
          queued_at: receivedAt,
          available_at: receivedAt,
          started_at: new Date(receivedAt.getTime() + 100),
          finished_at: finishedAt,
          grading_attempts: 1,
          round_attempts: 1,
          verdict,
          score,
          counts_as_attempt: counts,
        });
        gradingRows.push({
          id: gradingId,
          submission_id: id,
          exercise_version_id: versionIds.get(exerciseId) ?? "",
          trigger: "submit",
          attempt: 1,
          worker_id: "generator",
          seed: 1n,
          verdict,
          score,
          passed_tests: withTests ? testsPerGrading - failing : 0,
          total_tests: withTests ? testsPerGrading : 0,
          counts_as_attempt: counts,
          summary_ja: verdict,
          summary_en: verdict,
          backend: "cpu",
          grader_version: "generator",
          total_ms: 800,
          result: { ...resultFor(verdict, exerciseId) },
          started_at: new Date(receivedAt.getTime() + 100),
          finished_at: finishedAt,
        });
        submissions.push({ id, userId, exerciseId, verdict, score, receivedAt, failingPitfalls });
      }
    }
  }

  await bulkInsert(db.config, "submissions", subRows);
  await bulkInsert(db.config, "gradings", gradingRows);
  await bulkInsert(db.config, "grading_tests", testRows);
  await db.run("linking current gradings", (p) =>
    p.$executeRaw(Prisma.sql`UPDATE submissions SET current_grading_id = id || '-g' WHERE id LIKE ${`${prefix}-sub-%`}`),
  );
  await db.run("writing progress snapshots", (p) =>
    p.learnerProgress.createMany({
      data: [...levels].map(([userId, level]) => ({ userId, level, doneCount: PROGRESS_LEVELS.indexOf(level) * 15, total: 50, computedAt: new Date(base) })),
    }),
  );
  return { classId, instructorId, studentIds, exerciseIds, submissions, levels };
}
