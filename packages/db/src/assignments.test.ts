import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClass, createUser, joinClass } from "./accounts.ts";
import {
  type Actor,
  type AssignmentInput,
  ScoreChangeError,
  assignmentScores,
  assignmentsWithItem,
  auditLog,
  createAssignment,
  deadlineBurst,
  deleteAssignment,
  getAssignment,
  grantExtension,
  overrideScore,
  revokeExtension,
  setClassTimeZone,
  setPublished,
  studentAssignment,
  studentAssignments,
  updateAssignment,
} from "./assignments.ts";
import { syncExercises, syncQuizzes } from "./catalog.ts";
import type { Database } from "./client.ts";
import { ConstraintError, ForbiddenError, NotFoundError } from "./errors.ts";
import { recordQuizAttempt, reviewFreeText, submitFreeText } from "./learner.ts";
import { claimNext, completeGrading, regradeSubmission, submit } from "./queue.ts";
import { openScratchDatabase, syntheticResult, testProviders } from "./testing.ts";

const EX = "self-attention";
const QZ = "concept-qkv-roles";
const FT = "qkv-analogy";
const DUE = new Date("2026-11-06T14:59:00.000Z"); // Friday 23:59 Asia/Tokyo
const DAY = 86_400_000;

describe.each(testProviders())("assignments on %s", (provider) => {
  let db: Database;
  let close: () => Promise<void>;
  let teacher: Actor;
  let other: Actor;
  let classId: string;
  let early: string; // submits at due - 1 ms
  let late: string; // submits at due + 1 ms
  let slow: string; // submits on time, graded after the close, regraded after the close
  let outsider: string;

  const input = (over: Partial<AssignmentInput> = {}): AssignmentInput => ({
    titleJa: "第1回 課題",
    titleEn: "Assignment 1",
    opensAt: new Date(DUE.getTime() - 7 * DAY),
    dueAt: DUE,
    closesAt: new Date(DUE.getTime() + 2 * DAY),
    latePolicy: { kind: "per_day", percentPerDay: 10, floorPercent: 50 },
    items: [
      { kind: "exercise", itemId: EX, weight: 2 },
      { kind: "quiz", itemId: QZ, weight: 1 },
      { kind: "free_text", itemId: FT, weight: 1 },
    ],
    ...over,
  });

  /** A submission received at `at`, graded at `gradedAt` with `score` (the durable queue's real path). */
  async function graded(userId: string, at: Date, gradedAt: Date, score: number): Promise<string> {
    const s = await submit(db, { userId, exerciseId: EX, source: `// ${score}`, receivedAt: at }, at);
    const job = await claimNext(db, { workerId: "w", leaseMs: 60_000, now: gradedAt });
    if (job === null || job.submissionId !== s.id) throw new Error("claim order");
    await completeGrading(db, job, syntheticResult({ exerciseId: EX, exerciseVersion: "sa1", seed: job.seed, verdict: score === 1 ? "passed" : "failed", score }), { now: gradedAt });
    return s.id;
  }

  beforeAll(async () => {
    ({ db, close } = await openScratchDatabase(provider, "assignments"));
    await syncExercises(db, [{ id: EX, version: "sa1", order: 1, area: "implementation", title: { ja: "自己注意", en: "Self-attention" }, meta: {} }]);
    await syncQuizzes(db, [{ id: QZ, version: "q1", title: { ja: "QKV", en: "QKV" }, questionCount: 4 }]);
    const t = await createUser(db, { email: "sensei@example.org", displayName: "Sensei", role: "instructor" });
    teacher = { id: t.id, role: "instructor", displayName: t.displayName, email: t.email };
    const o = await createUser(db, { email: "other@example.org", displayName: "Other", role: "instructor" });
    other = { id: o.id, role: "instructor", displayName: o.displayName, email: o.email };
    const cls = await createClass(db, { name: "c", ownerId: t.id });
    classId = cls.id;
    const student = async (name: string) => {
      const u = await createUser(db, { email: `${name}@example.org`, displayName: name });
      await joinClass(db, { userId: u.id, inviteCode: cls.inviteCode });
      return u.id;
    };
    early = await student("early");
    late = await student("late");
    slow = await student("slow");
    outsider = (await createUser(db, { email: "outsider@example.org", displayName: "outsider" })).id;
  });
  afterAll(async () => close());

  it("creates a draft, refuses bad rules and unknown items clearly, and students see only published work", async () => {
    await expect(createAssignment(db, teacher, classId, input({ items: [{ kind: "exercise", itemId: "no-such-exercise", weight: 1 }] }))).rejects.toThrow(NotFoundError);
    await expect(createAssignment(db, teacher, classId, input({ closesAt: new Date(DUE.getTime() - 1) }))).rejects.toThrow(/hard close is before/);
    await expect(createAssignment(db, teacher, classId, input({ items: [] }))).rejects.toThrow(/at least one item/);
    const student: Actor = { id: early, role: "student", displayName: "early", email: "early@example.org" };
    await expect(createAssignment(db, student, classId, input())).rejects.toThrow(ForbiddenError);
    const a = await createAssignment(db, teacher, classId, input());
    expect(a).toMatchObject({ publishedAt: null, revision: 1, timeZone: "Asia/Tokyo", items: input().items });
    expect(await studentAssignments(db, early)).toEqual([]);
    await expect(studentAssignment(db, early, a.id)).rejects.toThrow(NotFoundError);
    await setPublished(db, teacher, a.id, true, new Date(DUE.getTime() - 7 * DAY));
    expect((await studentAssignments(db, early)).map((v) => v.assignment.id)).toEqual([a.id]);
    await expect(studentAssignment(db, outsider, a.id)).rejects.toThrow(NotFoundError);
    expect(await assignmentsWithItem(db, early, "exercise", EX)).toEqual([{ assignment: expect.objectContaining({ id: a.id }), dueAt: DUE }]);
    await deleteAssignment(db, teacher, a.id);
    await expect(getAssignment(db, a.id)).rejects.toThrow(NotFoundError);
  });

  it("scores by receipt time at the edges: due - 1 ms on time, due + 1 ms late; grading and regrade after the close change nothing but the score", async () => {
    const a = await createAssignment(db, teacher, classId, input());
    await setPublished(db, teacher, a.id, true);
    await graded(early, new Date(DUE.getTime() - 1), new Date(DUE.getTime() + 5), 1);
    await graded(late, new Date(DUE.getTime() + 1), new Date(DUE.getTime() + 5), 1);
    // Received a minute before the due time, graded three days later (after the hard close).
    const slowId = await graded(slow, new Date(DUE.getTime() - 60_000), new Date(DUE.getTime() + 3 * DAY), 0.5);
    let { students } = await assignmentScores(db, a.id);
    const item = (u: string) => students.find((s) => s.userId === u)?.score.items[0];
    expect(item(early)).toMatchObject({ status: "on_time", policyScore: 1 });
    expect(item(late)).toMatchObject({ status: "late", daysLate: 1, policyScore: 0.9 });
    expect(item(slow)).toMatchObject({ status: "on_time", policyScore: 0.5 });
    // Regrade after the close: the same receipt, a new score, still on time.
    await regradeSubmission(db, slowId, new Date(DUE.getTime() + 4 * DAY));
    ({ students } = await assignmentScores(db, a.id));
    expect(item(slow)).toMatchObject({ status: "on_time", policyScore: 0.5 }); // the current grading stays while queued
    const job = await claimNext(db, { workerId: "w", leaseMs: 60_000, now: new Date(DUE.getTime() + 4 * DAY + 1) });
    if (job === null) throw new Error("no regrade job");
    await completeGrading(db, job, syntheticResult({ exerciseId: EX, exerciseVersion: "sa1", seed: job.seed, verdict: "passed", score: 1 }), { now: new Date(DUE.getTime() + 4 * DAY + 2) });
    ({ students } = await assignmentScores(db, a.id));
    expect(item(slow)).toMatchObject({ status: "on_time", policyScore: 1, daysLate: 0 });
    // After the close a new submission is practice: not counted.
    await graded(late, new Date(DUE.getTime() + 2 * DAY + 1), new Date(DUE.getTime() + 2 * DAY + 2), 1);
    ({ students } = await assignmentScores(db, a.id));
    expect(item(late)).toMatchObject({ status: "late", counted: 1, notCounted: 1 });

    // Quiz attempts and reviewed free-text answers count by their stored time.
    await recordQuizAttempt(db, { userId: early, quizId: QZ, quizVersion: "q1", seed: 1, answers: {}, verdict: "passed", score: 0.75, correct: 3, total: 4, at: new Date(DUE.getTime() - 1) });
    const answer = await submitFreeText(db, { userId: early, problemId: FT, text: "図書館の検索", at: new Date(DUE.getTime() + DAY + 1) });
    ({ students } = await assignmentScores(db, a.id));
    expect(students.find((s) => s.userId === early)?.score.items.map((i) => i.status)).toEqual(["on_time", "on_time", "pending"]);
    await reviewFreeText(db, { answerId: answer.id, reviewerId: teacher.id, criteria: { a: 4 }, maxPoints: 4, passPoints: 3 });
    ({ students } = await assignmentScores(db, a.id));
    const e = students.find((s) => s.userId === early)?.score;
    expect(e?.items[2]).toMatchObject({ status: "late", daysLate: 2, policyScore: 0.8 });
    expect(e?.total).toBeCloseTo((2 * 1 + 0.75 + 0.8) / 4, 12);
    await deleteAssignment(db, teacher, a.id);
  });

  it("extensions: per student and per item, never ending before the original due, reasons only in the instructor's view", async () => {
    const a = await createAssignment(db, teacher, classId, input({ titleEn: "Extensions" }));
    await setPublished(db, teacher, a.id, true);
    await expect(grantExtension(db, teacher, a.id, { userId: late, dueAt: new Date(DUE.getTime() - 1), reason: "ill" })).rejects.toThrow(ConstraintError);
    await expect(grantExtension(db, teacher, a.id, { userId: late, dueAt: DUE, reason: "ill" })).rejects.toThrow(/not after the original due/);
    await expect(grantExtension(db, teacher, a.id, { userId: late, dueAt: new Date(DUE.getTime() + DAY), reason: " " })).rejects.toThrow(/reason/);
    await expect(grantExtension(db, teacher, a.id, { userId: outsider, dueAt: new Date(DUE.getTime() + DAY), reason: "x" })).rejects.toThrow(NotFoundError);
    await expect(grantExtension(db, teacher, a.id, { userId: late, itemKey: "quiz:not-in-it", dueAt: new Date(DUE.getTime() + DAY), reason: "x" })).rejects.toThrow(NotFoundError);
    await grantExtension(db, teacher, a.id, { userId: late, dueAt: new Date(DUE.getTime() + DAY), reason: "medical certificate" });
    await grantExtension(db, teacher, a.id, { userId: slow, itemKey: `exercise:${EX}`, dueAt: new Date(DUE.getTime() + 3 * DAY), reason: "family" });
    const { students } = await assignmentScores(db, a.id);
    const of = (u: string) => students.find((s) => s.userId === u);
    expect(of(late)?.score.items[0]).toMatchObject({ status: "on_time", extended: true, policyScore: 1 });
    expect(of(late)?.extensions[0]?.reason).toBe("medical certificate");
    expect(of(slow)?.score.items.map((i) => i.extended)).toEqual([true, false, false]);
    const own = await studentAssignment(db, late, a.id);
    expect(own.extensions).toEqual([{ itemKey: "", dueAt: new Date(DUE.getTime() + DAY) }]);
    expect(JSON.stringify(own)).not.toContain("medical");
    await revokeExtension(db, teacher, a.id, late, "");
    expect((await studentAssignment(db, late, a.id)).score.items[0]).toMatchObject({ status: "late", extended: false });
    await deleteAssignment(db, teacher, a.id);
  });

  it("overrides replace a score, are shown as such and kept in history; the audit log has who, what, when, before and after", async () => {
    const a = await createAssignment(db, teacher, classId, input({ titleEn: "Overrides" }));
    await setPublished(db, teacher, a.id, true);
    await expect(overrideScore(db, teacher, a.id, { userId: late, itemKey: `exercise:${EX}`, score: 1.5, comment: "x" })).rejects.toThrow(/between 0 and 100/);
    await expect(overrideScore(db, teacher, a.id, { userId: late, itemKey: `exercise:${EX}`, score: 1, comment: "" })).rejects.toThrow(/comment/);
    await overrideScore(db, teacher, a.id, { userId: late, itemKey: `exercise:${EX}`, score: 1, comment: "grader outage on Friday" });
    await overrideScore(db, teacher, a.id, { userId: late, itemKey: `exercise:${EX}`, score: 0.95, comment: "corrected" });
    let mine = await studentAssignment(db, late, a.id);
    expect(mine.score.items[0]).toMatchObject({ status: "late", policyScore: 0.9, score: 0.95, override: { score: 0.95, comment: "corrected" } });
    expect(mine.overrides.map((o) => o.score)).toEqual([1, 0.95]);
    await overrideScore(db, teacher, a.id, { userId: late, itemKey: `exercise:${EX}`, score: null, comment: "back to computed" });
    mine = await studentAssignment(db, late, a.id);
    expect(mine.score.items[0]).toMatchObject({ score: 0.9, override: null });
    const log = await auditLog(db, classId);
    const mineLog = log.filter((e) => e.targetId === a.id);
    expect(mineLog.map((e) => e.action)).toEqual(["override.clear", "override.set", "override.set", "assignment.publish", "assignment.create"]);
    expect(mineLog[1]).toMatchObject({ actorEmail: "sensei@example.org", before: { score: 1, comment: "grader outage on Friday" }, after: { score: 0.95, comment: "corrected" } });
    await deleteAssignment(db, teacher, a.id);
    expect((await auditLog(db, classId, { limit: 1 }))[0]).toMatchObject({ action: "assignment.delete", before: expect.objectContaining({ titleEn: "Overrides", overrides: expect.any(Array) }) });
  });

  it("a published assignment's edit that changes scores says so and needs a confirmation; the history keeps both versions", async () => {
    const a = await createAssignment(db, teacher, classId, input({ titleEn: "Edits" }));
    // A draft changes freely.
    await updateAssignment(db, teacher, a.id, input({ titleEn: "Edits", latePolicy: { kind: "none" } }));
    await setPublished(db, teacher, a.id, true);
    // The title alone changes no score.
    expect((await updateAssignment(db, teacher, a.id, input({ titleEn: "Edits v2", latePolicy: { kind: "none" } }))).affectedStudents).toBe(0);
    const heavier = input({ titleEn: "Edits v2", latePolicy: { kind: "none" }, items: [{ kind: "exercise", itemId: EX, weight: 5 }, { kind: "quiz", itemId: QZ, weight: 1 }] });
    const err = await updateAssignment(db, teacher, a.id, heavier).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ScoreChangeError);
    expect((err as ScoreChangeError).affectedStudents).toBeGreaterThan(0);
    expect((await getAssignment(db, a.id)).items).toHaveLength(3);
    const done = await updateAssignment(db, teacher, a.id, heavier, { confirmScoreChange: true });
    expect(done.assignment).toMatchObject({ revision: 4, items: heavier.items });
    const edit = (await auditLog(db, classId)).find((e) => e.action === "assignment.edit" && e.targetId === a.id);
    expect(edit).toMatchObject({ before: { items: input().items }, after: { items: heavier.items, affectedStudents: (err as ScoreChangeError).affectedStudents } });
    await deleteAssignment(db, teacher, a.id);
  });

  it("the class's time zone: Europe/Berlin across the October change counts calendar days; an unknown zone is refused", async () => {
    await expect(setClassTimeZone(db, teacher, classId, "Mars/Olympus")).rejects.toThrow(/unknown time zone/);
    await setClassTimeZone(db, teacher, classId, "Europe/Berlin");
    const due = new Date("2026-10-24T21:59:00.000Z"); // Sat 23:59 CEST
    const a = await createAssignment(db, teacher, classId, input({ titleEn: "Berlin", opensAt: new Date("2026-10-01T00:00:00Z"), dueAt: due, closesAt: null, items: [{ kind: "quiz", itemId: QZ, weight: 1 }] }));
    // Sun 23:59 CET: 25 hours after the due time, one calendar day.
    await recordQuizAttempt(db, { userId: slow, quizId: QZ, quizVersion: "q1", seed: 1, answers: {}, verdict: "passed", score: 1, correct: 4, total: 4, at: new Date("2026-10-25T22:59:00.000Z") });
    let { students, assignment } = await assignmentScores(db, a.id);
    expect(assignment.timeZone).toBe("Europe/Berlin");
    expect(students.find((s) => s.userId === slow)?.score.items[0]).toMatchObject({ status: "late", daysLate: 1, policyScore: 0.9 });
    await setClassTimeZone(db, teacher, classId, "Asia/Tokyo");
    ({ students } = await assignmentScores(db, a.id));
    expect(students.find((s) => s.userId === slow)?.score.items[0]).toMatchObject({ daysLate: 2 });
    expect((await auditLog(db, classId, { limit: 1 }))[0]).toMatchObject({ action: "class.time_zone", before: { timeZone: "Europe/Berlin" }, after: { timeZone: "Asia/Tokyo" } });
    await deleteAssignment(db, teacher, a.id);
  });

  it("the deadline burst counts the class's submissions per minute over the last hour and the queue now", async () => {
    const now = new Date("2026-12-01T10:00:00.000Z");
    await submit(db, { userId: early, exerciseId: EX, source: "//1", receivedAt: new Date(now.getTime() - 30_000) }, now);
    await submit(db, { userId: late, exerciseId: EX, source: "//2", receivedAt: new Date(now.getTime() - 45_000) }, now);
    await submit(db, { userId: late, exerciseId: EX, source: "//3", receivedAt: new Date(now.getTime() - 59 * 60_000 - 30_000) }, now);
    await submit(db, { userId: outsider, exerciseId: EX, source: "//4", receivedAt: new Date(now.getTime() - 10_000) }, now);
    await submit(db, { userId: late, exerciseId: EX, source: "//5", receivedAt: new Date(now.getTime() - 61 * 60_000) }, now);
    const b = await deadlineBurst(db, classId, now);
    expect(b.perMinute).toHaveLength(60);
    expect(b.perMinute.at(-1)?.count).toBe(2);
    expect(b.perMinute[0]?.count).toBe(1);
    expect(b.perMinute.reduce((s, m) => s + m.count, 0)).toBe(3);
    expect(b.classQueue).toBe(4);
    expect(b.queueDepth).toBe(5);
    void other;
  });
});
