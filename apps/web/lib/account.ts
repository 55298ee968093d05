import { randomBytes } from "node:crypto";
import { MAX_SOURCE_CHARS } from "@tfm/contract";
import { type Database, deleteUserSessions, hashPassword, hashSessionToken, isSessionToken, verifyPassword } from "@tfm/db";
import { z } from "zod";
import type { Viewer } from "./access.ts";
import { canViewLearner } from "./access.ts";

/**
 * The account's own data kept by the portal: editor drafts, password changes, and one-time reset
 * links. Queries go through Database.run like the rest of the portal (lib/access.ts).
 */

// ---- drafts ------------------------------------------------------------------------------------

export const DraftBody = z.object({ source: z.string().max(MAX_SOURCE_CHARS, `the code is longer than ${MAX_SOURCE_CHARS} characters`) }).strict();

/** This account's saved editor content for the exercise, or null (the page then shows the starter). */
export async function loadDraft(db: Database, userId: string, exerciseId: string): Promise<{ source: string; updatedAt: Date } | null> {
  return db.run("reading a draft", (p) => p.draft.findUnique({ where: { userId_exerciseId: { userId, exerciseId } }, select: { source: true, updatedAt: true } }));
}

export async function saveDraft(db: Database, userId: string, exerciseId: string, source: string): Promise<Date> {
  const row = await db.run("saving a draft", (p) =>
    p.draft.upsert({ where: { userId_exerciseId: { userId, exerciseId } }, create: { userId, exerciseId, source }, update: { source }, select: { updatedAt: true } }),
  );
  return row.updatedAt;
}

export async function deleteDraft(db: Database, userId: string, exerciseId: string): Promise<void> {
  await db.run("deleting a draft", (p) => p.draft.deleteMany({ where: { userId, exerciseId } }));
}

// ---- passwords ---------------------------------------------------------------------------------

export const NewPassword = z.string().min(8, "a password has at least 8 characters").max(200, "a password has at most 200 characters");

/** Changes the password after checking the current one; every session of the account ends. */
export async function changePassword(db: Database, userId: string, current: string, next: string): Promise<"ok" | "wrong-current"> {
  const user = await db.run("reading an account", (p) => p.user.findUnique({ where: { id: userId }, select: { passwordHash: true } }));
  if (user === null || user.passwordHash === null || !(await verifyPassword(current, user.passwordHash))) return "wrong-current";
  const passwordHash = await hashPassword(next);
  await db.run("changing a password", (p) => p.user.update({ where: { id: userId }, data: { passwordHash } }));
  await deleteUserSessions(db, userId);
  return "ok";
}

// ---- one-time reset links ----------------------------------------------------------------------

export const RESET_TTL_MS = 24 * 60 * 60_000;

/**
 * Who may issue a reset link for whom: an admin for anyone but themselves, an instructor for the
 * students of their own classes (the same rule as seeing a learner's work); never an instructor for
 * another instructor or an admin.
 */
export async function mayIssueReset(db: Database, issuer: Viewer, target: { id: string; role: string }): Promise<boolean> {
  if (issuer.id === target.id) return false;
  if (issuer.role === "admin") return true;
  if (issuer.role !== "instructor" || target.role !== "student") return false;
  return canViewLearner(db, issuer, target.id);
}

/**
 * A new link token for the account (32 random bytes, base64url; only its SHA-256 is stored). Earlier
 * unused links of the account stop working: one live link at a time.
 */
export async function issueReset(db: Database, issuerId: string, userId: string, now = new Date()): Promise<{ token: string; expiresAt: Date }> {
  const token = randomBytes(32).toString("base64url");
  const expiresAt = new Date(now.getTime() + RESET_TTL_MS);
  await db.transaction("issuing a reset link", async (tx) => {
    await tx.passwordReset.updateMany({ where: { userId, usedAt: null }, data: { usedAt: now } });
    await tx.passwordReset.create({ data: { tokenHash: hashSessionToken(token), userId, issuedById: issuerId, expiresAt } });
  });
  return { token, expiresAt };
}

/** The account a live link belongs to (for the reset page), or null when unknown, used or expired. */
export async function resetTarget(db: Database, token: string, now = new Date()): Promise<{ userId: string; email: string } | null> {
  if (!isSessionToken(token)) return null;
  const row = await db.run("reading a reset link", (p) =>
    p.passwordReset.findUnique({ where: { tokenHash: hashSessionToken(token) }, select: { userId: true, usedAt: true, expiresAt: true, user: { select: { email: true } } } }),
  );
  if (row === null || row.usedAt !== null || row.expiresAt.getTime() <= now.getTime()) return null;
  return { userId: row.userId, email: row.user.email };
}

/**
 * Sets a new password through a link: works once (the link is marked used in the same conditional
 * update that checks it, so two concurrent uses cannot both pass), ends every session of the account.
 */
export async function consumeReset(db: Database, token: string, password: string, now = new Date()): Promise<boolean> {
  if (!isSessionToken(token)) return false;
  const tokenHash = hashSessionToken(token);
  const claimed = await db.run("using a reset link", (p) => p.passwordReset.updateMany({ where: { tokenHash, usedAt: null, expiresAt: { gt: now } }, data: { usedAt: now } }));
  if (claimed.count !== 1) return false;
  const row = await db.run("reading a reset link", (p) => p.passwordReset.findUnique({ where: { tokenHash }, select: { userId: true } }));
  if (row === null) return false;
  const passwordHash = await hashPassword(password);
  await db.run("setting a password", (p) => p.user.update({ where: { id: row.userId }, data: { passwordHash } }));
  await deleteUserSessions(db, row.userId);
  return true;
}
