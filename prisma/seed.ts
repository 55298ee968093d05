import { existsSync, readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { computeProgress, localToUtc, utcToLocalInput } from "@tfm/progress";
import { type CatalogEntry, loadCatalog } from "../apps/grader/src/catalog.ts";
import { loadConfig } from "../apps/grader/src/config.ts";
import { DurableRunner, catalogVersions } from "../apps/grader/src/durable/runner.ts";
import { loadMutant, mutantIds } from "../apps/grader/src/mutants.ts";
import { GraderPool } from "../apps/grader/src/pool.ts";
import { answerKey } from "../apps/grader/src/quiz/answer-key.ts";
import { loadQuizCatalog } from "../apps/grader/src/quiz/catalog.ts";
import { gradeQuiz } from "../apps/grader/src/quiz/grade.ts";
import {
  Database,
  classDashboard,
  createAssignment,
  createClass,
  createUser,
  describeConfig,
  grantExtension,
  findUserByEmail,
  hashPassword,
  joinClass,
  learnerEvidence,
  loadDbConfig,
  migrate,
  quizOutcome,
  recordQuizAttempt,
  recordSelfAssessment,
  reviewFreeText,
  saveProgress,
  setPublished,
  submit,
  submitFreeText,
  syncExercises,
  syncQuizzes,
} from "../packages/db/src/index.ts";

/**
 * `npm run db:seed`: a demo class with a living dashboard. Migrates the database of TFM_DATABASE_URL
 * (default: the embedded SQLite file), then creates an instructor, a class with invite code DEMO-2026
 * and six students whose histories are made of the course's own files: each exercise's starter (fails),
 * its pitfall mutants (fail, naming the pitfall), a syntax error (compile error) and its solution
 * (passes). Every submission is graded for real by the durable runner on the grader pool, and every
 * quiz attempt by the quiz grader, so the stored results are genuine GradeResults. Self-assessments,
 * reviewed free-text answers and @tfm/progress's checklist levels complete the picture. Running it
 * again does nothing (the instructor exists).
 */

const ROOT = path.resolve(import.meta.dirname, "..");
const INSTRUCTOR = { email: "sensei@example.org", password: "transformer-demo", displayName: "山田 先生 (Yamada-sensei)" };
const INVITE = "DEMO-2026";
const DAY = 86_400_000;

type Step = "starter" | "mutant" | "compile" | "solution";
interface Persona {
  email: string;
  displayName: string;
  /** Share of the exercises (in course order) the student has reached. */
  reach: number;
  /** What they submit for each exercise, in order. */
  steps: Step[];
  quizzesPassed: number;
  selfChecked: number;
  freeText: boolean;
}

const PERSONAS: Persona[] = [
  { email: "aiko@example.org", displayName: "佐藤 愛子", reach: 1, steps: ["solution"], quizzesPassed: 18, selfChecked: 4, freeText: true },
  { email: "kenji@example.org", displayName: "鈴木 健二", reach: 0.9, steps: ["starter", "solution"], quizzesPassed: 16, selfChecked: 3, freeText: true },
  { email: "maria@example.org", displayName: "Maria Garcia", reach: 0.75, steps: ["mutant", "mutant", "solution"], quizzesPassed: 14, selfChecked: 2, freeText: true },
  { email: "takumi@example.org", displayName: "高橋 拓海", reach: 0.5, steps: ["compile", "mutant", "solution"], quizzesPassed: 9, selfChecked: 1, freeText: false },
  { email: "li@example.org", displayName: "Li Wei", reach: 0.35, steps: ["starter", "mutant"], quizzesPassed: 5, selfChecked: 0, freeText: true },
  { email: "yui@example.org", displayName: "伊藤 結衣", reach: 0.15, steps: ["compile", "starter"], quizzesPassed: 1, selfChecked: 0, freeText: false },
];

function sourceFor(entry: CatalogEntry, step: Step, k: number): string {
  if (step === "solution") return readFileSync(entry.solutionPath, "utf8");
  if (step === "starter") return entry.starter;
  if (step === "compile") return `${entry.starter}\nexport function broken( {\n`;
  const mutants = mutantIds(entry);
  const pitfall = mutants[k % Math.max(1, mutants.length)];
  return pitfall === undefined ? entry.starter : loadMutant(entry, pitfall).source;
}

async function main(): Promise<void> {
  const dbConfig = loadDbConfig();
  await migrate(dbConfig);
  const db = await Database.connect(dbConfig);
  try {
    const existing = await findUserByEmail(db, INSTRUCTOR.email);
    if (existing !== null) {
      console.log(`${describeConfig(dbConfig)} is already seeded (instructor ${INSTRUCTOR.email}, invite code ${INVITE}); nothing to do`);
      return;
    }
    const graderConfig = loadConfig(process.env);
    const catalog = loadCatalog(graderConfig.TFM_EXERCISES_DIR, graderConfig.TFM_REFERENCE_DIR);
    await syncExercises(db, catalogVersions(catalog));
    const quizCatalog = loadQuizCatalog(graderConfig.TFM_EXERCISES_DIR);
    const checklist = quizCatalog.checklist;
    await syncQuizzes(
      db,
      [...quizCatalog.quizzes.values()].map(({ quiz, version }) => ({ id: quiz.id, version, title: quiz.title, questionCount: quiz.questions.length })),
    );

    const teacher = await createUser(db, { email: INSTRUCTOR.email, displayName: INSTRUCTOR.displayName, role: "instructor", passwordHash: await hashPassword(INSTRUCTOR.password) });
    const cls = await createClass(db, { name: "Transformer 入門 2026 (demo)", ownerId: teacher.id, inviteCode: INVITE });
    const now = Date.now();
    const exercises = [...catalog.exercises.values()];
    const students: { id: string; persona: Persona }[] = [];
    let submitted = 0;
    for (const [pi, persona] of PERSONAS.entries()) {
      const student = await createUser(db, { email: persona.email, displayName: persona.displayName, passwordHash: await hashPassword(INSTRUCTOR.password) });
      await joinClass(db, { userId: student.id, inviteCode: INVITE });
      students.push({ id: student.id, persona });
      const reached = exercises.slice(0, Math.max(1, Math.round(exercises.length * persona.reach)));
      for (const [ei, entry] of reached.entries()) {
        for (const [k, step] of persona.steps.entries()) {
          // Two weeks of history: exercises in course order, a few hours between tries.
          const at = new Date(now - 14 * DAY + ei * (12 * DAY) / exercises.length + k * 3 * 3_600_000 + pi * 1_800_000);
          await submit(db, { userId: student.id, exerciseId: entry.meta.id, source: sourceFor(entry, step, pi + k), seed: (pi * 1000 + ei * 10 + k) >>> 0, receivedAt: at }, at);
          submitted++;
        }
      }
    }
    console.log(`grading ${submitted} submissions for real (${describeConfig(dbConfig)}) ...`);
    const pool = new GraderPool({ size: graderConfig.TFM_GRADER_WORKERS, catalog, env: process.env });
    await pool.start();
    const runner = new DurableRunner({ db, grader: pool, workerId: "seed", loops: graderConfig.TFM_GRADER_WORKERS, pollMs: 50, log: () => {} });
    runner.start();
    await runner.drain();
    await runner.stop();
    await pool.close();
    // Graded just now, received over two weeks: date each grading a few seconds after its submission.
    await db.transaction("dating the demo gradings", async (tx) => {
      const subs = await tx.submission.findMany({ where: { user: { enrolments: { some: { classId: cls.id } } } }, select: { id: true, receivedAt: true } });
      for (const s of subs) {
        const started = new Date(s.receivedAt.getTime() + 1_500);
        const finished = new Date(s.receivedAt.getTime() + 3_500);
        await tx.submission.update({ where: { id: s.id }, data: { queuedAt: s.receivedAt, startedAt: started, finishedAt: finished } });
        await tx.grading.updateMany({ where: { submissionId: s.id }, data: { startedAt: started, finishedAt: finished } });
      }
    });

    const quizOrder = [...quizCatalog.quizzes.values()];
    const selfItems = checklist.items.filter((i) => i.evidence.kind === "self").map((i) => i.id);
    for (const [pi, { id, persona }] of students.entries()) {
      for (const [qi, entry] of quizOrder.entries()) {
        const passes = qi < persona.quizzesPassed;
        if (!passes && qi > persona.quizzesPassed + 2) continue;
        // Real quiz gradings: the answer key for this seed, with the last answer left out for a fail.
        const seed = pi * 100 + qi;
        const key = answerKey(entry.quiz, seed);
        const answers = passes ? key : Object.fromEntries(Object.entries(key).slice(0, -1));
        const result = gradeQuiz({ quizId: entry.quiz.id, answers, seed, lang: "ja" }, quizCatalog);
        await recordQuizAttempt(db, {
          userId: id,
          quizId: entry.quiz.id,
          quizVersion: entry.version,
          seed,
          answers,
          ...quizOutcome(result),
          at: new Date(now - 10 * DAY + qi * 6 * 3_600_000 + pi * 600_000),
        });
      }
      for (const itemId of selfItems.slice(0, persona.selfChecked)) await recordSelfAssessment(db, { userId: id, itemId, checked: true, at: new Date(now - 3 * DAY + pi * 3_600_000) });
      if (persona.freeText) {
        const a = await submitFreeText(db, {
          userId: id,
          problemId: "qkv-analogy",
          text: "Query は図書館で探している本のテーマ、Key は各本の背表紙の分類ラベル、Value は本の中身。テーマとラベルの一致度で、どの本をどれだけ読むかが決まる。",
          lang: "ja",
          at: new Date(now - 6 * DAY + pi * 3_600_000),
        });
        // The first three are reviewed; the others wait in the instructor's queue.
        if (pi < 3) await reviewFreeText(db, { answerId: a.id, reviewerId: teacher.id, criteria: { analogy: 2, roles: pi === 2 ? 0 : 2 }, maxPoints: 4, passPoints: 3, comment: pi === 2 ? "Value の役割をもう少し具体的に" : "よくできています" });
        await submitFreeText(db, { userId: id, problemId: "ethanol-attention", text: "C-O の組が最も強い注意を受けると考える。別のヘッドは C-C の骨格を捉えるかもしれない。", lang: "ja", at: new Date(now - 2 * DAY) });
      }
      await saveProgress(db, id, computeProgress(checklist, await learnerEvidence(db, id)));
    }

    // Two assignments (issue 18): one due in the past, where 鈴木 健二's solution of the third exercise
    // came in after the deadline (late) and 高橋 拓海 has an extension, and one due next week.
    const actor = { id: teacher.id, role: "instructor" as const, displayName: teacher.displayName, email: teacher.email };
    const zone = "Asia/Tokyo";
    const third = now - 14 * DAY + (2 * (12 * DAY)) / exercises.length; // 佐藤 愛子's submission of the third exercise
    // HH:59 in Tokyo of the hour after it: her work and 鈴木 健二's first try are on time, his solution (3.5 h later) is late.
    const pastDue = localToUtc(`${utcToLocalInput(new Date(third + 3_600_000), zone).slice(0, 14)}59`, zone);
    const past = await createAssignment(db, actor, cls.id, {
      titleJa: "第1回 課題: アテンションの基礎",
      titleEn: "Assignment 1: attention basics",
      opensAt: new Date(now - 15 * DAY),
      dueAt: pastDue,
      closesAt: new Date(pastDue.getTime() + 7 * DAY),
      latePolicy: { kind: "per_day", percentPerDay: 10, floorPercent: 50 },
      items: [
        ...exercises.slice(0, 3).map((e) => ({ kind: "exercise" as const, itemId: e.meta.id, weight: 2 })),
        ...quizOrder.slice(0, 1).map((q) => ({ kind: "quiz" as const, itemId: q.quiz.id, weight: 1 })),
        { kind: "free_text" as const, itemId: "qkv-analogy", weight: 1 },
      ],
    });
    await setPublished(db, actor, past.id, true, new Date(now - 15 * DAY));
    const takumi = students.find((s) => s.persona.email === "takumi@example.org");
    if (takumi !== undefined) {
      await grantExtension(db, actor, past.id, { userId: takumi.id, dueAt: new Date(pastDue.getTime() + 3 * DAY), reason: "体調不良 (診断書あり) / illness, certificate received" });
    }
    const nextWeek = new Date(now + 7 * DAY);
    const upcoming = await createAssignment(db, actor, cls.id, {
      titleJa: "第2回 課題: マルチヘッドと位置符号化",
      titleEn: "Assignment 2: multi-head attention and positions",
      opensAt: new Date(now - DAY),
      dueAt: localToUtc(`${utcToLocalInput(nextWeek, zone).slice(0, 10)}T23:59`, zone),
      closesAt: null,
      latePolicy: { kind: "per_day", percentPerDay: 20, floorPercent: 40 },
      items: [
        ...exercises.slice(3, 6).map((e) => ({ kind: "exercise" as const, itemId: e.meta.id, weight: 1 })),
        ...quizOrder.slice(1, 3).map((q) => ({ kind: "quiz" as const, itemId: q.quiz.id, weight: 0.5 })),
      ],
    });
    await setPublished(db, actor, upcoming.id, true);

    const d = await classDashboard(db, cls.id);
    console.log(`\nseeded ${describeConfig(dbConfig)}`);
    console.log(`  instructor: ${INSTRUCTOR.email} / password ${INSTRUCTOR.password}`);
    console.log(`  class: ${d.class.name}, invite code ${d.class.inviteCode}, ${d.learners.length} students (password ${INSTRUCTOR.password})`);
    console.log(`  levels: ${Object.entries(d.levels).map(([k, v]) => `${k} ${v}`).join(", ")}`);
    console.log(`  pass rates: ${d.exercises.filter((e) => e.attempted > 0).map((e) => `${e.id} ${Math.round(e.passRate * 100)}%`).join(", ")}`);
    console.log(`  assignments: "${past.titleEn}" (due ${pastDue.toISOString()}, one extension) and "${upcoming.titleEn}" (due next week)`);
    console.log(`  frequent pitfalls: ${d.pitfalls.slice(0, 5).map((p) => `${p.pitfallId} (${p.learners} learners)`).join(", ") || "none"}`);
  } finally {
    await db.close();
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? `${e.name}: ${e.message}` : e);
  process.exit(1);
});
