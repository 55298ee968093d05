import { createHash, randomBytes } from "node:crypto";
import type { Database } from "./client.ts";
import { ConstraintError, NotFoundError } from "./errors.ts";
import type { UserRow } from "./accounts.ts";

/**
 * Portal sessions. The browser's cookie holds a random 32-byte token (base64url); the database holds
 * only its SHA-256, so a copy of the table cannot be turned back into cookies. A session ends at its
 * expiry or when deleted (sign-out); expired rows are removed when met and by `pruneSessions`.
 */

export const SESSION_TOKEN_BYTES = 32;
export const DEFAULT_SESSION_TTL_MS = 14 * 86_400_000;
/** lastSeenAt is refreshed at most this often, so reading pages does not write on every request. */
const TOUCH_INTERVAL_MS = 5 * 60_000;

export function hashSessionToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

/** A well-formed token: 32 random bytes in base64url (43 characters). Anything else is never looked up. */
export function isSessionToken(token: string): boolean {
  return /^[A-Za-z0-9_-]{43}$/.test(token);
}

export interface NewSession {
  /** Goes into the cookie, and nowhere else. */
  token: string;
  expiresAt: Date;
}

export async function createSession(db: Database, userId: string, options: { ttlMs?: number; now?: Date } = {}): Promise<NewSession> {
  const now = options.now ?? new Date();
  const token = randomBytes(SESSION_TOKEN_BYTES).toString("base64url");
  const expiresAt = new Date(now.getTime() + (options.ttlMs ?? DEFAULT_SESSION_TTL_MS));
  try {
    await db.run("creating a session", (p) =>
      p.session.create({ data: { tokenHash: hashSessionToken(token), userId, createdAt: now, lastSeenAt: now, expiresAt }, select: { id: true } }),
    );
  } catch (e) {
    if (e instanceof ConstraintError) throw new NotFoundError(`no user with id ${userId}`);
    throw e;
  }
  return { token, expiresAt };
}

export interface SessionUser extends UserRow {
  sessionExpiresAt: Date;
}

/** The signed-in user of a cookie token, or null (unknown, malformed or expired token). */
export async function sessionUser(db: Database, token: string, now = new Date()): Promise<SessionUser | null> {
  if (!isSessionToken(token)) return null;
  const tokenHash = hashSessionToken(token);
  const row = await db.run("looking up a session", (p) =>
    p.session.findUnique({
      where: { tokenHash },
      select: {
        expiresAt: true,
        lastSeenAt: true,
        user: { select: { id: true, email: true, displayName: true, role: true, locale: true, createdAt: true } },
      },
    }),
  );
  if (row === null) return null;
  if (row.expiresAt.getTime() <= now.getTime()) {
    await db.run("removing an expired session", (p) => p.session.deleteMany({ where: { tokenHash } }));
    return null;
  }
  if (now.getTime() - row.lastSeenAt.getTime() > TOUCH_INTERVAL_MS) {
    await db.run("touching a session", (p) => p.session.updateMany({ where: { tokenHash }, data: { lastSeenAt: now } }));
  }
  return { ...row.user, sessionExpiresAt: row.expiresAt };
}

/** Ends the session of this token (sign-out); an unknown token is not an error. */
export async function deleteSession(db: Database, token: string): Promise<void> {
  if (!isSessionToken(token)) return;
  await db.run("ending a session", (p) => p.session.deleteMany({ where: { tokenHash: hashSessionToken(token) } }));
}

/** Ends every session of a user (password change, account locked). Returns how many ended. */
export async function deleteUserSessions(db: Database, userId: string): Promise<number> {
  const { count } = await db.run("ending a user's sessions", (p) => p.session.deleteMany({ where: { userId } }));
  return count;
}

/** Removes expired sessions; returns how many. */
export async function pruneSessions(db: Database, now = new Date()): Promise<number> {
  const { count } = await db.run("removing expired sessions", (p) => p.session.deleteMany({ where: { expiresAt: { lte: now } } }));
  return count;
}

/** Stores the user's language choice (the portal's ja/en switch). */
export async function setUserLocale(db: Database, userId: string, locale: "ja" | "en"): Promise<void> {
  const { count } = await db.run("saving a language choice", (p) => p.user.updateMany({ where: { id: userId }, data: { locale } }));
  if (count === 0) throw new NotFoundError(`no user with id ${userId}`);
}
