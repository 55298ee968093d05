import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createUser, getUser } from "./accounts.ts";
import type { Database } from "./client.ts";
import { NotFoundError } from "./errors.ts";
import { createSession, deleteSession, deleteUserSessions, hashSessionToken, isSessionToken, pruneSessions, sessionUser, setUserLocale } from "./sessions.ts";
import { openScratchDatabase, testProviders } from "./testing.ts";

describe.each(testProviders())("sessions on %s", (provider) => {
  let db: Database;
  let close: () => Promise<void>;
  let userId: string;
  beforeAll(async () => {
    ({ db, close } = await openScratchDatabase(provider, "sessions"));
    userId = (await createUser(db, { email: "s@example.org", displayName: "S" })).id;
  });
  afterAll(async () => close());

  it("stores only the token's hash and finds the user by the token", async () => {
    const { token, expiresAt } = await createSession(db, userId);
    expect(isSessionToken(token)).toBe(true);
    expect(expiresAt.getTime()).toBeGreaterThan(Date.now());
    const rows = await db.run("t", (p) => p.session.findMany({ where: { userId } }));
    expect(rows.map((r) => r.tokenHash)).toContain(hashSessionToken(token));
    expect(JSON.stringify(rows)).not.toContain(token);
    const user = await sessionUser(db, token);
    expect(user?.id).toBe(userId);
    expect(user?.email).toBe("s@example.org");
  });

  it("rejects unknown, malformed and expired tokens, and removes the expired row", async () => {
    const { token } = await createSession(db, userId);
    const other = token.slice(0, 42) + (token.endsWith("A") ? "B" : "A");
    expect(await sessionUser(db, other)).toBeNull();
    expect(await sessionUser(db, "short")).toBeNull();
    expect(await sessionUser(db, `${token}x`)).toBeNull();
    const past = new Date(Date.now() - 10_000);
    const expired = await createSession(db, userId, { ttlMs: 1_000, now: past });
    expect(await sessionUser(db, expired.token)).toBeNull();
    expect(await db.run("t", (p) => p.session.count({ where: { tokenHash: hashSessionToken(expired.token) } }))).toBe(0);
  });

  it("signs out one session, all of a user's, and prunes expired ones", async () => {
    const a = await createSession(db, userId);
    const b = await createSession(db, userId);
    await deleteSession(db, a.token);
    expect(await sessionUser(db, a.token)).toBeNull();
    expect((await sessionUser(db, b.token))?.id).toBe(userId);
    await createSession(db, userId, { ttlMs: 1, now: new Date(Date.now() - 60_000) });
    expect(await pruneSessions(db)).toBeGreaterThanOrEqual(1);
    expect((await sessionUser(db, b.token))?.id).toBe(userId);
    expect(await deleteUserSessions(db, userId)).toBeGreaterThanOrEqual(1);
    expect(await sessionUser(db, b.token)).toBeNull();
  });

  it("refuses a session for a missing user and saves the language choice", async () => {
    await expect(createSession(db, "nobody")).rejects.toBeInstanceOf(NotFoundError);
    await setUserLocale(db, userId, "en");
    expect((await getUser(db, userId)).locale).toBe("en");
    await expect(setUserLocale(db, "nobody", "en")).rejects.toBeInstanceOf(NotFoundError);
  });
});
