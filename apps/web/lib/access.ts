import type { Database } from "@tfm/db";

/**
 * Who may see what, in one place. Every page and route handler asks these functions on the server
 * before reading or changing anything:
 * - a student sees only their own work;
 * - an instructor sees the classes they own and the work of the students enrolled in them;
 * - an admin sees everything.
 * A refusal is rendered as "not found" so that ids of other people's things reveal nothing.
 */

export type Role = "student" | "instructor" | "admin";
export interface Viewer {
  id: string;
  role: Role;
}

export function isStaff(viewer: Viewer | null): viewer is Viewer {
  return viewer !== null && (viewer.role === "instructor" || viewer.role === "admin");
}

/** May the viewer manage (see the dashboard of, export, regrade, review for) this class? */
export function canManageClass(viewer: Viewer | null, cls: { ownerId: string }): boolean {
  if (viewer === null) return false;
  return viewer.role === "admin" || (viewer.role === "instructor" && cls.ownerId === viewer.id);
}

/** May the viewer see this learner's work (submissions, code, checklist)? */
export async function canViewLearner(db: Database, viewer: Viewer | null, learnerId: string): Promise<boolean> {
  if (viewer === null) return false;
  if (viewer.id === learnerId || viewer.role === "admin") return true;
  if (viewer.role !== "instructor") return false;
  const shared = await db.run("checking access to a learner", (p) =>
    p.enrolment.count({ where: { userId: learnerId, class: { ownerId: viewer.id } } }),
  );
  return shared > 0;
}

/** May the viewer see a learner's work in the context of this class (drill-down from its dashboard)? */
export async function canViewLearnerInClass(db: Database, viewer: Viewer | null, cls: { id: string; ownerId: string }, learnerId: string): Promise<boolean> {
  if (!canManageClass(viewer, cls)) return false;
  const enrolled = await db.run("checking an enrolment", (p) => p.enrolment.count({ where: { classId: cls.id, userId: learnerId } }));
  return enrolled > 0;
}

/** May the viewer review this free-text answer (its author is in a class the viewer manages)? */
export async function canReviewAnswer(db: Database, viewer: Viewer | null, answerId: string): Promise<boolean> {
  if (!isStaff(viewer)) return false;
  if (viewer.role === "admin") {
    return (await db.run("looking up an answer", (p) => p.freeTextAnswer.count({ where: { id: answerId } }))) > 0;
  }
  const n = await db.run("checking access to an answer", (p) =>
    p.freeTextAnswer.count({ where: { id: answerId, user: { enrolments: { some: { class: { ownerId: viewer.id } } } } } }),
  );
  return n > 0;
}

/** The class, if the viewer may manage it; null otherwise (unknown id included). */
export async function managedClass(db: Database, viewer: Viewer | null, classId: string): Promise<{ id: string; name: string; inviteCode: string; ownerId: string } | null> {
  if (!isStaff(viewer)) return null;
  const cls = await db.run("looking up a class", (p) => p.class.findUnique({ where: { id: classId }, select: { id: true, name: true, inviteCode: true, ownerId: true } }));
  return cls !== null && canManageClass(viewer, cls) ? cls : null;
}
