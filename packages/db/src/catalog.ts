import { z } from "zod";
import type { Database, Tx } from "./client.ts";
import type { Prisma } from "./generated/sqlite/client.ts";

/**
 * Exercise and quiz versions, synced from the exercises tree by content hash. The tree stays the
 * source of truth: callers (the grader's durable runner, the portal, the seed) pass what their
 * catalog loaded; a hash not seen before becomes a new version and the exercise's current one.
 */

export const ExerciseVersionInput = z
  .object({
    id: z.string().min(1),
    version: z.string().min(1).describe("content hash (apps/grader/src/catalog.ts)"),
    order: z.number().int(),
    area: z.string().min(1),
    title: z.object({ ja: z.string(), en: z.string() }).strict(),
    meta: z.record(z.string(), z.unknown()).describe("the validated exercise.json"),
  })
  .strict();
export type ExerciseVersionInput = z.infer<typeof ExerciseVersionInput>;

export const QuizVersionInput = z
  .object({
    id: z.string().min(1),
    version: z.string().min(1).describe("RenderedQuiz.version"),
    title: z.object({ ja: z.string(), en: z.string() }).strict(),
    questionCount: z.number().int().nonnegative(),
  })
  .strict();
export type QuizVersionInput = z.infer<typeof QuizVersionInput>;

export interface SyncReport {
  created: string[];
  unchanged: string[];
}

/** Any JSON-compatible object, as Prisma's Json input wants it. */
export function toJson(value: unknown): Prisma.InputJsonValue {
  const parsed = z.json().parse(JSON.parse(JSON.stringify(value)));
  if (parsed === null) throw new TypeError("a JSON column here holds an object, not null");
  return parsed;
}

export async function syncExercises(db: Database, inputs: readonly ExerciseVersionInput[]): Promise<SyncReport> {
  const list = z.array(ExerciseVersionInput).parse(inputs);
  return db.transaction("syncing exercise versions", async (tx) => {
    const report: SyncReport = { created: [], unchanged: [] };
    for (const e of list) {
      const exercise = await tx.exercise.upsert({
        where: { id: e.id },
        create: { id: e.id, order: e.order, area: e.area, titleJa: e.title.ja, titleEn: e.title.en },
        update: { order: e.order, area: e.area, titleJa: e.title.ja, titleEn: e.title.en },
        select: { currentVersionId: true },
      });
      const existing = await tx.exerciseVersion.findUnique({ where: { exerciseId_hash: { exerciseId: e.id, hash: e.version } }, select: { id: true } });
      const version = existing ?? (await tx.exerciseVersion.create({ data: { exerciseId: e.id, hash: e.version, meta: toJson(e.meta) }, select: { id: true } }));
      if (exercise.currentVersionId !== version.id) await tx.exercise.update({ where: { id: e.id }, data: { currentVersionId: version.id } });
      (existing === null ? report.created : report.unchanged).push(`${e.id}@${e.version}`);
    }
    return report;
  });
}

export async function syncQuizzes(db: Database, inputs: readonly QuizVersionInput[]): Promise<SyncReport> {
  const list = z.array(QuizVersionInput).parse(inputs);
  return db.transaction("syncing quiz versions", async (tx) => {
    const report: SyncReport = { created: [], unchanged: [] };
    for (const q of list) {
      const quiz = await tx.quiz.upsert({
        where: { id: q.id },
        create: { id: q.id, titleJa: q.title.ja, titleEn: q.title.en },
        update: { titleJa: q.title.ja, titleEn: q.title.en },
        select: { currentVersionId: true },
      });
      const existing = await tx.quizVersion.findUnique({ where: { quizId_hash: { quizId: q.id, hash: q.version } }, select: { id: true } });
      const version = existing ?? (await tx.quizVersion.create({ data: { quizId: q.id, hash: q.version, questionCount: q.questionCount }, select: { id: true } }));
      if (quiz.currentVersionId !== version.id) await tx.quiz.update({ where: { id: q.id }, data: { currentVersionId: version.id } });
      (existing === null ? report.created : report.unchanged).push(`${q.id}@${q.version}`);
    }
    return report;
  });
}

/**
 * The row of an exercise version a grading result names. A grader whose tree is newer than the last
 * sync still has its result kept: the version is recorded (without metadata) on first sight.
 */
export async function resolveExerciseVersion(tx: Tx, exerciseId: string, hash: string): Promise<string> {
  const found = await tx.exerciseVersion.findUnique({ where: { exerciseId_hash: { exerciseId, hash } }, select: { id: true } });
  if (found !== null) return found.id;
  const created = await tx.exerciseVersion.upsert({
    where: { exerciseId_hash: { exerciseId, hash } },
    create: { exerciseId, hash, meta: toJson({ unsynced: true }) },
    update: {},
    select: { id: true },
  });
  return created.id;
}
