import {
  type AssignmentRules,
  type AssignmentScore,
  type AttemptRecord,
  type ExtensionRecord,
  ITEM_KINDS,
  type ItemKind,
  type OverrideRecord,
  RuleError,
  checkRules,
  isValidZone,
  itemKey,
  scoreAssignment,
} from "@tfm/progress";
import { z } from "zod";
import { toJson } from "./catalog.ts";
import type { Database, Tx } from "./client.ts";
import { ConflictError, ConstraintError, ForbiddenError, NotFoundError } from "./errors.ts";
import { Prisma } from "./generated/sqlite/client.ts";

/**
 * Assignments of a class (issue 18): rules, extensions, score overrides and the audit log. Scores are
 * never stored: they are computed by @tfm/progress's scoreAssignment from the rules and the evidence
 * tables, with each piece of work dated by its RECEIPT (Submission.receivedAt, written before
 * grading; QuizAttempt.submittedAt; FreeTextAnswer.submittedAt), so a late grading or a regrade never
 * moves it across the deadline. Who may call what is decided by the portal (apps/web/lib/access.ts);
 * here an actor must at least not be a student, and every change writes an audit entry in the same
 * transaction.
 */

export interface Actor {
  id: string;
  role: "student" | "instructor" | "admin";
  displayName: string;
  email: string;
}

function staffOnly(actor: Actor): void {
  if (actor.role === "student") throw new ForbiddenError(`${actor.email} is a student and cannot manage assignments`);
}

const ItemId = z.string().regex(/^[a-z0-9][a-z0-9-]{0,99}$/, "not an item id");
export const AssignmentItemInput = z.object({ kind: z.enum(ITEM_KINDS as [ItemKind, ...ItemKind[]]), itemId: ItemId, weight: z.number().positive("a weight must be positive").max(1000) }).strict();

export const LatePolicyInput = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("none") }).strict(),
  z.object({ kind: z.literal("per_day"), percentPerDay: z.number().min(0).max(100), floorPercent: z.number().min(0).max(100) }).strict(),
]);

export const AssignmentInput = z
  .object({
    titleJa: z.string().trim().min(1, "a Japanese title is required").max(200),
    titleEn: z.string().trim().min(1, "an English title is required").max(200),
    opensAt: z.date(),
    dueAt: z.date(),
    closesAt: z.date().nullable(),
    latePolicy: LatePolicyInput,
    items: z.array(AssignmentItemInput).min(1, "an assignment needs at least one item").max(100),
  })
  .strict();
export type AssignmentInput = z.input<typeof AssignmentInput>;

/** The state of an assignment as the audit log and the history keep it. */
export interface AssignmentSnapshot {
  titleJa: string;
  titleEn: string;
  opensAt: string;
  dueAt: string;
  closesAt: string | null;
  latePolicy: AssignmentRules["latePolicy"];
  items: { kind: ItemKind; itemId: string; weight: number }[];
  published: boolean;
  revision: number;
}

export interface AssignmentRow {
  id: string;
  classId: string;
  titleJa: string;
  titleEn: string;
  opensAt: Date;
  dueAt: Date;
  closesAt: Date | null;
  latePolicy: AssignmentRules["latePolicy"];
  items: { kind: ItemKind; itemId: string; weight: number }[];
  publishedAt: Date | null;
  revision: number;
  /** The class's zone. */
  timeZone: string;
  createdAt: Date;
  updatedAt: Date;
}

const assignmentInclude = { items: { orderBy: { position: "asc" } }, class: { select: { timeZone: true } } } as const;
type AssignmentDbRow = Prisma.AssignmentGetPayload<{ include: typeof assignmentInclude }>;

function toRow(a: AssignmentDbRow): AssignmentRow {
  return {
    id: a.id,
    classId: a.classId,
    titleJa: a.titleJa,
    titleEn: a.titleEn,
    opensAt: a.opensAt,
    dueAt: a.dueAt,
    closesAt: a.closesAt,
    latePolicy: a.latePolicy === "none" ? { kind: "none" } : { kind: "per_day", percentPerDay: a.latePercentPerDay, floorPercent: a.lateFloorPercent },
    items: a.items.map((i) => ({ kind: i.kind, itemId: i.itemId, weight: i.weight })),
    publishedAt: a.publishedAt,
    revision: a.revision,
    timeZone: a.class.timeZone,
    createdAt: a.createdAt,
    updatedAt: a.updatedAt,
  };
}

export function rulesOf(a: Pick<AssignmentRow, "timeZone" | "opensAt" | "dueAt" | "closesAt" | "latePolicy" | "items">): AssignmentRules {
  return { timeZone: a.timeZone, opensAt: a.opensAt, dueAt: a.dueAt, closesAt: a.closesAt, latePolicy: a.latePolicy, items: a.items };
}

function snapshot(a: AssignmentRow): AssignmentSnapshot {
  return {
    titleJa: a.titleJa,
    titleEn: a.titleEn,
    opensAt: a.opensAt.toISOString(),
    dueAt: a.dueAt.toISOString(),
    closesAt: a.closesAt?.toISOString() ?? null,
    latePolicy: a.latePolicy,
    items: a.items,
    published: a.publishedAt !== null,
    revision: a.revision,
  };
}

async function audit(
  tx: Tx,
  entry: { classId: string; actor: Actor; action: string; targetType: string; targetId: string; before?: unknown; after?: unknown; at?: Date },
): Promise<void> {
  await tx.auditEntry.create({
    data: {
      classId: entry.classId,
      actorId: entry.actor.id,
      actorName: entry.actor.displayName,
      actorEmail: entry.actor.email,
      action: entry.action,
      targetType: entry.targetType,
      targetId: entry.targetId,
      before: entry.before === undefined || entry.before === null ? Prisma.DbNull : toJson(entry.before),
      after: entry.after === undefined || entry.after === null ? Prisma.DbNull : toJson(entry.after),
      ...(entry.at === undefined ? {} : { at: entry.at }),
    },
  });
}

function parseInput(input: AssignmentInput, timeZone: string): z.output<typeof AssignmentInput> {
  const data = AssignmentInput.parse(input);
  try {
    checkRules({ ...data, timeZone });
  } catch (e) {
    if (e instanceof RuleError) throw new ConstraintError(e.message);
    throw e;
  }
  return data;
}

/**
 * Exercises must exist in the catalog table (the grader syncs it at start). Quizzes are synced on their
 * first attempt and free-text problems are files: the portal checks those against the grader's catalog.
 */
async function checkItemsExist(tx: Tx, items: readonly { kind: ItemKind; itemId: string }[]): Promise<void> {
  const exercises = items.filter((i) => i.kind === "exercise").map((i) => i.itemId);
  const found = new Set((await tx.exercise.findMany({ where: { id: { in: exercises } }, select: { id: true } })).map((e) => e.id));
  const missing = exercises.filter((e) => !found.has(e));
  if (missing.length > 0) throw new NotFoundError(`unknown exercises: ${missing.join(", ")}`);
}

function ruleColumns(data: z.output<typeof AssignmentInput>) {
  return {
    titleJa: data.titleJa,
    titleEn: data.titleEn,
    opensAt: data.opensAt,
    dueAt: data.dueAt,
    closesAt: data.closesAt,
    latePolicy: data.latePolicy.kind,
    latePercentPerDay: data.latePolicy.kind === "per_day" ? data.latePolicy.percentPerDay : 0,
    lateFloorPercent: data.latePolicy.kind === "per_day" ? data.latePolicy.floorPercent : 0,
  };
}

export async function getAssignment(db: Database, assignmentId: string): Promise<AssignmentRow> {
  const a = await db.run("reading an assignment", (p) => p.assignment.findUnique({ where: { id: assignmentId }, include: assignmentInclude }));
  if (a === null) throw new NotFoundError(`no assignment with id ${assignmentId}`);
  return toRow(a);
}

export async function listAssignments(db: Database, classId: string): Promise<AssignmentRow[]> {
  const rows = await db.run("listing assignments", (p) => p.assignment.findMany({ where: { classId }, include: assignmentInclude, orderBy: [{ dueAt: "asc" }, { id: "asc" }] }));
  return rows.map(toRow);
}

/** The class's time zone (IANA); a zone Luxon does not know is refused. */
export async function setClassTimeZone(db: Database, actor: Actor, classId: string, timeZone: string): Promise<void> {
  staffOnly(actor);
  if (!isValidZone(timeZone)) throw new ConstraintError(`unknown time zone "${timeZone.slice(0, 64)}"`);
  await db.transaction("setting a class's time zone", async (tx) => {
    const cls = await tx.class.findUnique({ where: { id: classId }, select: { timeZone: true } });
    if (cls === null) throw new NotFoundError(`no class with id ${classId}`);
    if (cls.timeZone === timeZone) return;
    await tx.class.update({ where: { id: classId }, data: { timeZone } });
    await audit(tx, { classId, actor, action: "class.time_zone", targetType: "class", targetId: classId, before: { timeZone: cls.timeZone }, after: { timeZone } });
  });
}

export async function createAssignment(db: Database, actor: Actor, classId: string, input: AssignmentInput, now = new Date()): Promise<AssignmentRow> {
  staffOnly(actor);
  const cls = await db.run("reading a class", (p) => p.class.findUnique({ where: { id: classId }, select: { timeZone: true } }));
  if (cls === null) throw new NotFoundError(`no class with id ${classId}`);
  // Validated outside the transaction: the data layer's error translation is for database errors.
  const data = parseInput(input, cls.timeZone);
  const id = await db.transaction("creating an assignment", async (tx) => {
    await checkItemsExist(tx, data.items);
    const a = await tx.assignment.create({
      data: {
        classId,
        ...ruleColumns(data),
        createdById: actor.id,
        createdAt: now,
        items: { create: data.items.map((i, position) => ({ kind: i.kind, itemId: i.itemId, weight: i.weight, position })) },
      },
      include: assignmentInclude,
    });
    await audit(tx, { classId, actor, action: "assignment.create", targetType: "assignment", targetId: a.id, after: snapshot(toRow(a)), at: now });
    return a.id;
  });
  return getAssignment(db, id);
}

/** A published assignment's edit that changes someone's score, made without saying it is meant. */
export class ScoreChangeError extends ConflictError {
  constructor(
    readonly affectedStudents: number,
    message: string,
  ) {
    super(message, ["confirmScoreChange"]);
  }
}

/**
 * Changes the rules and items. On a published assignment the scores of every student are computed
 * before and after: when any differ the edit is refused with a ScoreChangeError unless
 * `confirmScoreChange` is set, and the audit entry records how many students it affected (before and
 * after kept in the log: the history).
 */
export async function updateAssignment(
  db: Database,
  actor: Actor,
  assignmentId: string,
  input: AssignmentInput,
  options: { confirmScoreChange?: boolean; now?: Date } = {},
): Promise<{ assignment: AssignmentRow; affectedStudents: number }> {
  staffOnly(actor);
  const before = await getAssignment(db, assignmentId);
  const data = parseInput(input, before.timeZone);
  const after: AssignmentRow = { ...before, ...ruleColumnsToRow(data) };
  let affected = 0;
  if (before.publishedAt !== null) {
    const [old, next] = await Promise.all([computeScores(db, before), computeScores(db, after)]);
    affected = old.filter((s, i) => !sameScore(s.score, next[i]?.score)).length;
    if (affected > 0 && options.confirmScoreChange !== true) {
      throw new ScoreChangeError(affected, `this edit changes the scores of ${affected} student(s) of a published assignment; confirm to save it`);
    }
  }
  const changed = JSON.stringify(snapshot(before)) !== JSON.stringify(snapshot({ ...after, revision: before.revision }));
  if (!changed) return { assignment: before, affectedStudents: 0 };
  await db.transaction("editing an assignment", async (tx) => {
    await checkItemsExist(tx, data.items);
    await tx.assignmentItem.deleteMany({ where: { assignmentId } });
    const a = await tx.assignment.update({
      where: { id: assignmentId, revision: before.revision },
      data: {
        ...ruleColumns(data),
        revision: { increment: 1 },
        items: { create: data.items.map((i, position) => ({ kind: i.kind, itemId: i.itemId, weight: i.weight, position })) },
      },
      include: assignmentInclude,
    });
    await audit(tx, {
      classId: before.classId,
      actor,
      action: "assignment.edit",
      targetType: "assignment",
      targetId: assignmentId,
      before: snapshot(before),
      after: { ...snapshot(toRow(a)), affectedStudents: affected },
      ...(options.now === undefined ? {} : { at: options.now }),
    });
  });
  return { assignment: await getAssignment(db, assignmentId), affectedStudents: affected };
}

function ruleColumnsToRow(data: z.output<typeof AssignmentInput>): Partial<AssignmentRow> {
  return { titleJa: data.titleJa, titleEn: data.titleEn, opensAt: data.opensAt, dueAt: data.dueAt, closesAt: data.closesAt, latePolicy: data.latePolicy, items: data.items };
}

function sameScore(a: AssignmentScore, b: AssignmentScore | undefined): boolean {
  if (b === undefined || a.items.length !== b.items.length) return false;
  const close = (x: number, y: number) => Math.abs(x - y) < 1e-12;
  if (!close(a.total, b.total)) return false;
  return a.items.every((i, k) => {
    const j = b.items[k];
    return j !== undefined && i.kind === j.kind && i.itemId === j.itemId && i.status === j.status && close(i.score, j.score) && i.weight === j.weight;
  });
}

export async function setPublished(db: Database, actor: Actor, assignmentId: string, published: boolean, now = new Date()): Promise<AssignmentRow> {
  staffOnly(actor);
  await db.transaction(published ? "publishing an assignment" : "unpublishing an assignment", async (tx) => {
    const a = await tx.assignment.findUnique({ where: { id: assignmentId }, include: assignmentInclude });
    if (a === null) throw new NotFoundError(`no assignment with id ${assignmentId}`);
    if ((a.publishedAt !== null) === published) return;
    const updated = await tx.assignment.update({ where: { id: assignmentId }, data: { publishedAt: published ? now : null }, include: assignmentInclude });
    await audit(tx, {
      classId: a.classId,
      actor,
      action: published ? "assignment.publish" : "assignment.unpublish",
      targetType: "assignment",
      targetId: assignmentId,
      before: snapshot(toRow(a)),
      after: snapshot(toRow(updated)),
      at: now,
    });
  });
  return getAssignment(db, assignmentId);
}

/** Deletes the assignment with its extensions and overrides; the audit log keeps what it was. */
export async function deleteAssignment(db: Database, actor: Actor, assignmentId: string): Promise<void> {
  staffOnly(actor);
  await db.transaction("deleting an assignment", async (tx) => {
    const a = await tx.assignment.findUnique({ where: { id: assignmentId }, include: { ...assignmentInclude, extensions: true, overrides: true } });
    if (a === null) throw new NotFoundError(`no assignment with id ${assignmentId}`);
    await tx.assignment.delete({ where: { id: assignmentId } });
    await audit(tx, {
      classId: a.classId,
      actor,
      action: "assignment.delete",
      targetType: "assignment",
      targetId: assignmentId,
      before: {
        ...snapshot(toRow(a)),
        extensions: a.extensions.map((e) => ({ userId: e.userId, itemKey: e.itemKey, dueAt: e.dueAt.toISOString(), reason: e.reason })),
        overrides: a.overrides.map((o) => ({ userId: o.userId, itemKey: o.itemKey, score: o.score, comment: o.comment, at: o.createdAt.toISOString() })),
      },
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Extensions and overrides

const ItemKeyInput = z.string().regex(/^(exercise|quiz|free_text):[a-z0-9][a-z0-9-]{0,99}$/, "not an item of the assignment");

export const ExtensionInput = z
  .object({
    userId: z.string().min(1),
    /** "" or omitted: the whole assignment; "kind:itemId": one item. */
    itemKey: z.union([z.literal(""), ItemKeyInput]).default(""),
    dueAt: z.date(),
    reason: z.string().trim().min(1, "a reason is required").max(1000),
  })
  .strict();

async function enrolledIn(tx: Tx, classId: string, userId: string): Promise<void> {
  const n = await tx.enrolment.count({ where: { classId, userId } });
  if (n === 0) throw new NotFoundError(`no student ${userId} in this class`);
}

function itemOf(a: AssignmentRow, key: string): void {
  if (key !== "" && !a.items.some((i) => itemKey(i.kind, i.itemId) === key)) throw new NotFoundError(`${key} is not an item of this assignment`);
}

/**
 * Gives one student (for the whole assignment or one item) a new due time. An extension that ends
 * at or before the original due time is refused: it would take time away, not give it.
 */
export async function grantExtension(db: Database, actor: Actor, assignmentId: string, input: z.input<typeof ExtensionInput>, now = new Date()): Promise<{ id: string }> {
  staffOnly(actor);
  const data = ExtensionInput.parse(input);
  const a = await getAssignment(db, assignmentId);
  itemOf(a, data.itemKey);
  if (data.dueAt.getTime() <= a.dueAt.getTime()) {
    throw new ConstraintError(`the extension ends at ${data.dueAt.toISOString()}, not after the original due time ${a.dueAt.toISOString()}`);
  }
  return db.transaction("granting an extension", async (tx) => {
    await enrolledIn(tx, a.classId, data.userId);
    const key = { assignmentId_userId_itemKey: { assignmentId, userId: data.userId, itemKey: data.itemKey } };
    const old = await tx.assignmentExtension.findUnique({ where: key });
    const row = await tx.assignmentExtension.upsert({
      where: key,
      create: { assignmentId, userId: data.userId, itemKey: data.itemKey, dueAt: data.dueAt, reason: data.reason, grantedById: actor.id, createdAt: now },
      update: { dueAt: data.dueAt, reason: data.reason, grantedById: actor.id, createdAt: now },
    });
    const view = (e: { userId: string; itemKey: string; dueAt: Date; reason: string }) => ({ userId: e.userId, itemKey: e.itemKey, dueAt: e.dueAt.toISOString(), reason: e.reason });
    await audit(tx, { classId: a.classId, actor, action: "extension.grant", targetType: "assignment", targetId: assignmentId, before: old === null ? null : view(old), after: view(row), at: now });
    return { id: row.id };
  });
}

export async function revokeExtension(db: Database, actor: Actor, assignmentId: string, userId: string, key: string, now = new Date()): Promise<void> {
  staffOnly(actor);
  const a = await getAssignment(db, assignmentId);
  await db.transaction("revoking an extension", async (tx) => {
    const old = await tx.assignmentExtension.findUnique({ where: { assignmentId_userId_itemKey: { assignmentId, userId, itemKey: key } } });
    if (old === null) throw new NotFoundError("no such extension");
    await tx.assignmentExtension.delete({ where: { id: old.id } });
    await audit(tx, {
      classId: a.classId,
      actor,
      action: "extension.revoke",
      targetType: "assignment",
      targetId: assignmentId,
      before: { userId, itemKey: key, dueAt: old.dueAt.toISOString(), reason: old.reason },
      at: now,
    });
  });
}

export const OverrideInput = z
  .object({
    userId: z.string().min(1),
    itemKey: ItemKeyInput,
    /** 0..1; null removes the override (back to the computed score). */
    score: z.number().min(0, "a score is between 0 and 100%").max(1, "a score is between 0 and 100%").nullable(),
    comment: z.string().trim().min(1, "a comment is required").max(2000),
  })
  .strict();

/** Sets (or, with score null, removes) an instructor's score for one student's item; every change is kept. */
export async function overrideScore(db: Database, actor: Actor, assignmentId: string, input: z.input<typeof OverrideInput>, now = new Date()): Promise<{ id: string }> {
  staffOnly(actor);
  const data = OverrideInput.parse(input);
  const a = await getAssignment(db, assignmentId);
  itemOf(a, data.itemKey);
  return db.transaction("overriding a score", async (tx) => {
    await enrolledIn(tx, a.classId, data.userId);
    const old = await tx.scoreOverride.findFirst({ where: { assignmentId, userId: data.userId, itemKey: data.itemKey }, orderBy: [{ createdAt: "desc" }, { id: "desc" }] });
    const row = await tx.scoreOverride.create({
      data: { assignmentId, userId: data.userId, itemKey: data.itemKey, score: data.score, comment: data.comment, byId: actor.id, byName: actor.displayName, createdAt: now },
    });
    const view = (o: { userId: string; itemKey: string; score: number | null; comment: string }) => ({ userId: o.userId, itemKey: o.itemKey, score: o.score, comment: o.comment });
    await audit(tx, {
      classId: a.classId,
      actor,
      action: data.score === null ? "override.clear" : "override.set",
      targetType: "assignment",
      targetId: assignmentId,
      before: old === null ? null : view(old),
      after: view(row),
      at: now,
    });
    return { id: row.id };
  });
}

// ---------------------------------------------------------------------------------------------
// Scores

export interface ExtensionView {
  itemKey: string;
  dueAt: Date;
  /** Instructors only: never handed to a student's page. */
  reason: string;
  createdAt: Date;
}

export interface OverrideHistoryEntry {
  itemKey: string;
  score: number | null;
  comment: string;
  byName: string;
  at: Date;
}

export interface StudentAssignmentScore {
  userId: string;
  displayName: string;
  email: string;
  extensions: ExtensionView[];
  /** Every override ever made for this student, oldest first (the latest per item decides). */
  overrideHistory: OverrideHistoryEntry[];
  score: AssignmentScore;
}

const parseKey = (key: string): { kind: ItemKind; itemId: string } | null => {
  const i = key.indexOf(":");
  const kind = key.slice(0, i);
  return i > 0 && (ITEM_KINDS as readonly string[]).includes(kind) ? { kind: kind as ItemKind, itemId: key.slice(i + 1) } : null;
};

/** The evidence of these students for the assignment's items, as the scoring module's AttemptRecords. */
async function attemptsOf(p: Tx, a: Pick<AssignmentRow, "items">, userIds: readonly string[]): Promise<Map<string, AttemptRecord[]>> {
  const ids = (kind: ItemKind) => a.items.filter((i) => i.kind === kind).map((i) => i.itemId);
  const [subs, quizzes, answers] = await Promise.all([
    p.submission.findMany({
      where: { userId: { in: [...userIds] }, exerciseId: { in: ids("exercise") } },
      select: { id: true, userId: true, exerciseId: true, receivedAt: true, score: true, countsAsAttempt: true, currentGradingId: true },
    }),
    p.quizAttempt.findMany({ where: { userId: { in: [...userIds] }, quizId: { in: ids("quiz") } }, select: { id: true, userId: true, quizId: true, submittedAt: true, score: true } }),
    p.freeTextAnswer.findMany({
      where: { userId: { in: [...userIds] }, problemId: { in: ids("free_text") } },
      select: { id: true, userId: true, problemId: true, submittedAt: true, reviews: { orderBy: [{ createdAt: "desc" }, { id: "desc" }], take: 1, select: { points: true, maxPoints: true } } },
    }),
  ]);
  const out = new Map<string, AttemptRecord[]>(userIds.map((u) => [u, []]));
  for (const s of subs) {
    out.get(s.userId)?.push({
      id: s.id,
      kind: "exercise",
      itemId: s.exerciseId,
      receivedAt: s.receivedAt,
      // The current grading's score stays while a regrade is queued; a never-graded submission waits.
      score: s.currentGradingId === null ? null : s.score,
      // A grader fault never costs an attempt (the queue also marks a first grading it gave up on so);
      // a regrade that failed keeps the earlier grading, which still counts.
      counts: s.countsAsAttempt !== false,
    });
  }
  for (const q of quizzes) out.get(q.userId)?.push({ id: q.id, kind: "quiz", itemId: q.quizId, receivedAt: q.submittedAt, score: q.score, counts: true });
  for (const f of answers) {
    const r = f.reviews[0];
    out.get(f.userId)?.push({ id: f.id, kind: "free_text", itemId: f.problemId, receivedAt: f.submittedAt, score: r === undefined ? null : r.points / r.maxPoints, counts: true });
  }
  return out;
}

async function computeScores(db: Database, a: AssignmentRow, onlyUserId?: string): Promise<StudentAssignmentScore[]> {
  return db.run("computing assignment scores", async (p) => {
    const students = await p.enrolment.findMany({
      where: { classId: a.classId, ...(onlyUserId === undefined ? {} : { userId: onlyUserId }) },
      select: { user: { select: { id: true, displayName: true, email: true } } },
      orderBy: [{ user: { displayName: "asc" } }, { userId: "asc" }],
    });
    const userIds = students.map((s) => s.user.id);
    const attempts = await attemptsOf(p, a, userIds);
    const extensions = await p.assignmentExtension.findMany({ where: { assignmentId: a.id, userId: { in: userIds } }, orderBy: { createdAt: "asc" } });
    const overrides = await p.scoreOverride.findMany({ where: { assignmentId: a.id, userId: { in: userIds } }, orderBy: [{ createdAt: "asc" }, { id: "asc" }] });
    const rules = rulesOf(a);
    return students.map(({ user }) => {
      const ext = extensions.filter((e) => e.userId === user.id);
      const hist = overrides.filter((o) => o.userId === user.id);
      const latest = new Map<string, (typeof hist)[number]>();
      for (const o of hist) latest.set(o.itemKey, o);
      const current: OverrideRecord[] = [...latest.values()].flatMap((o) => {
        const k = parseKey(o.itemKey);
        return o.score === null || k === null ? [] : [{ ...k, score: o.score, comment: o.comment }];
      });
      const extRecords: ExtensionRecord[] = ext.map((e) => {
        const k = e.itemKey === "" ? null : parseKey(e.itemKey);
        return { kind: k?.kind ?? null, itemId: k?.itemId ?? null, dueAt: e.dueAt };
      });
      return {
        userId: user.id,
        displayName: user.displayName,
        email: user.email,
        extensions: ext.map((e) => ({ itemKey: e.itemKey, dueAt: e.dueAt, reason: e.reason, createdAt: e.createdAt })),
        overrideHistory: hist.map((o) => ({ itemKey: o.itemKey, score: o.score, comment: o.comment, byName: o.byName, at: o.createdAt })),
        score: scoreAssignment(rules, { attempts: attempts.get(user.id) ?? [], extensions: extRecords, overrides: current }),
      };
    });
  });
}

/** Every enrolled student's score for the assignment (the instructor's view and the CSV). */
export async function assignmentScores(db: Database, assignmentId: string): Promise<{ assignment: AssignmentRow; students: StudentAssignmentScore[] }> {
  const assignment = await getAssignment(db, assignmentId);
  return { assignment, students: await computeScores(db, assignment) };
}

/** What a student may see of their own score: no extension reasons, no other students. */
export interface OwnAssignmentView {
  assignment: AssignmentRow;
  /** Their own due times per item key ("" for the whole assignment); reasons left out. */
  extensions: { itemKey: string; dueAt: Date }[];
  overrides: { itemKey: string; score: number | null; comment: string; at: Date }[];
  score: AssignmentScore;
}

/** The published assignments of the student's classes, each with their own score. */
export async function studentAssignments(db: Database, userId: string): Promise<OwnAssignmentView[]> {
  const rows = await db.run("listing a student's assignments", (p) =>
    p.assignment.findMany({
      where: { publishedAt: { not: null }, class: { enrolments: { some: { userId } } } },
      include: assignmentInclude,
      orderBy: [{ dueAt: "asc" }, { id: "asc" }],
    }),
  );
  const out: OwnAssignmentView[] = [];
  for (const r of rows) out.push(await ownView(db, toRow(r), userId));
  return out;
}

async function ownView(db: Database, assignment: AssignmentRow, userId: string): Promise<OwnAssignmentView> {
  const [mine] = await computeScores(db, assignment, userId);
  if (mine === undefined) throw new NotFoundError(`no assignment with id ${assignment.id}`);
  return {
    assignment,
    extensions: mine.extensions.map((e) => ({ itemKey: e.itemKey, dueAt: e.dueAt })),
    overrides: mine.overrideHistory.map((o) => ({ itemKey: o.itemKey, score: o.score, comment: o.comment, at: o.at })),
    score: mine.score,
  };
}

/** One published assignment of a class the student is in; NotFoundError otherwise (drafts included). */
export async function studentAssignment(db: Database, userId: string, assignmentId: string): Promise<OwnAssignmentView> {
  const a = await db.run("reading an assignment", (p) =>
    p.assignment.findFirst({ where: { id: assignmentId, publishedAt: { not: null }, class: { enrolments: { some: { userId } } } }, include: assignmentInclude }),
  );
  if (a === null) throw new NotFoundError(`no assignment with id ${assignmentId}`);
  return ownView(db, toRow(a), userId);
}

/**
 * The published assignments of the student's classes that contain this item, with the student's own
 * due time for it: the exercise, quiz and free-text pages say when work there no longer counts.
 */
export async function assignmentsWithItem(db: Database, userId: string, kind: ItemKind, itemId: string): Promise<{ assignment: AssignmentRow; dueAt: Date }[]> {
  const rows = await db.run("finding assignments of an item", (p) =>
    p.assignment.findMany({
      where: { publishedAt: { not: null }, class: { enrolments: { some: { userId } } }, items: { some: { kind, itemId } } },
      include: { ...assignmentInclude, extensions: { where: { userId, itemKey: { in: ["", itemKey(kind, itemId)] } } } },
      orderBy: { dueAt: "asc" },
      take: 20,
    }),
  );
  return rows.map((r) => {
    const forItem = r.extensions.find((e) => e.itemKey !== "");
    const whole = r.extensions.find((e) => e.itemKey === "");
    return { assignment: toRow(r), dueAt: (forItem ?? whole)?.dueAt ?? r.dueAt };
  });
}

// ---------------------------------------------------------------------------------------------
// The deadline burst and the audit log

export interface Burst {
  /** 60 one-minute buckets ending at `now` (oldest first): submissions received from the class's students. */
  perMinute: { start: Date; count: number }[];
  /** Submissions of the class's students queued or being graded now. */
  classQueue: number;
  /** The whole grading queue now (every class and self-learner). */
  queueDepth: number;
}

export async function deadlineBurst(db: Database, classId: string, now = new Date()): Promise<Burst> {
  const start = now.getTime() - 60 * 60_000;
  return db.run("reading the deadline burst", async (p) => {
    const rows = await p.submission.findMany({
      where: { receivedAt: { gt: new Date(start), lte: now }, user: { enrolments: { some: { classId } } } },
      select: { receivedAt: true },
      // Bounded: a class's hour of submissions, at most this many rows read.
      take: 100_000,
    });
    const perMinute = Array.from({ length: 60 }, (_, i) => ({ start: new Date(start + i * 60_000), count: 0 }));
    for (const r of rows) {
      const k = Math.min(59, Math.floor((r.receivedAt.getTime() - start - 1) / 60_000));
      const bucket = perMinute[Math.max(0, k)];
      if (bucket !== undefined) bucket.count++;
    }
    const classQueue = await p.submission.count({ where: { status: { in: ["queued", "grading"] }, user: { enrolments: { some: { classId } } } } });
    const queueDepth = await p.submission.count({ where: { status: { in: ["queued", "grading"] } } });
    return { perMinute, classQueue, queueDepth };
  });
}

export interface AuditView {
  id: string;
  actorName: string;
  actorEmail: string;
  action: string;
  targetType: string;
  targetId: string;
  before: unknown;
  after: unknown;
  at: Date;
}

/** The class's audit log, newest first, a page at a time. */
export async function auditLog(db: Database, classId: string, options: { limit?: number; before?: string } = {}): Promise<AuditView[]> {
  const limit = Math.min(Math.max(options.limit ?? 100, 1), 500);
  const rows = await db.run("reading the audit log", (p) =>
    p.auditEntry.findMany({
      where: { classId },
      orderBy: [{ at: "desc" }, { id: "desc" }],
      take: limit,
      ...(options.before === undefined ? {} : { cursor: { id: options.before }, skip: 1 }),
    }),
  );
  return rows.map((r) => ({ id: r.id, actorName: r.actorName, actorEmail: r.actorEmail, action: r.action, targetType: r.targetType, targetId: r.targetId, before: r.before, after: r.after, at: r.at }));
}

export interface ClassExtension {
  assignmentId: string;
  titleJa: string;
  titleEn: string;
  timeZone: string;
  userId: string;
  displayName: string;
  itemKey: string;
  dueAt: Date;
  reason: string;
}

/** Every extension in the class (the instructor's dashboard), by due time; bounded. */
export async function classExtensions(db: Database, classId: string, limit = 200): Promise<ClassExtension[]> {
  const rows = await db.run("listing a class's extensions", (p) =>
    p.assignmentExtension.findMany({
      where: { assignment: { classId } },
      orderBy: [{ dueAt: "asc" }, { id: "asc" }],
      take: Math.min(Math.max(limit, 1), 1000),
      select: {
        assignmentId: true,
        userId: true,
        itemKey: true,
        dueAt: true,
        reason: true,
        user: { select: { displayName: true } },
        assignment: { select: { titleJa: true, titleEn: true, class: { select: { timeZone: true } } } },
      },
    }),
  );
  return rows.map((r) => ({
    assignmentId: r.assignmentId,
    titleJa: r.assignment.titleJa,
    titleEn: r.assignment.titleEn,
    timeZone: r.assignment.class.timeZone,
    userId: r.userId,
    displayName: r.user.displayName,
    itemKey: r.itemKey,
    dueAt: r.dueAt,
    reason: r.reason,
  }));
}
