import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  classesOf,
  createClass,
  createUser,
  findUserByEmail,
  generateInviteCode,
  hashPassword,
  joinClass,
  normaliseInviteCode,
  verifyPassword,
} from "./accounts.ts";
import type { Database } from "./client.ts";
import { ConflictError, ForbiddenError, NotFoundError } from "./errors.ts";
import { openScratchDatabase, testProviders } from "./testing.ts";

describe("passwords and invite codes", () => {
  it("hashes with scrypt and verifies only the right password", async () => {
    const hash = await hashPassword("correct horse");
    expect(hash).toMatch(/^\$scrypt\$N=16384,r=8,p=1\$/);
    expect(await verifyPassword("correct horse", hash)).toBe(true);
    expect(await verifyPassword("wrong horse", hash)).toBe(false);
    expect(await verifyPassword("correct horse", "plain")).toBe(false);
    await expect(hashPassword("short")).rejects.toThrow(/at least 8/);
  });

  it("makes readable codes and accepts them as students type them", () => {
    const code = generateInviteCode();
    expect(code).toMatch(/^[A-HJKMNP-Z2-9]{4}-[A-HJKMNP-Z2-9]{4}$/);
    expect(normaliseInviteCode(code.toLowerCase().replace("-", " "))).toBe(code);
  });
});

describe.each(testProviders())("accounts and classes on %s", (provider) => {
  let db: Database;
  let close: () => Promise<void>;
  beforeAll(async () => {
    ({ db, close } = await openScratchDatabase(provider, "accounts"));
  });
  afterAll(async () => close());

  it("stores users with a role and a unique, case-insensitive email", async () => {
    const u = await createUser(db, { email: "  Hanako@Example.JP ", displayName: "花子", role: "instructor", passwordHash: await hashPassword("transformer") });
    expect(u).toMatchObject({ email: "hanako@example.jp", role: "instructor", locale: "ja" });
    const found = await findUserByEmail(db, "HANAKO@example.jp");
    expect(found?.id).toBe(u.id);
    expect(await verifyPassword("transformer", found?.passwordHash ?? "")).toBe(true);
    const dup = createUser(db, { email: "hanako@example.jp", displayName: "again" });
    await expect(dup).rejects.toBeInstanceOf(ConflictError);
    await expect(dup).rejects.toThrow(/already exists/);
    await expect(createUser(db, { email: "not-an-email", displayName: "x" })).rejects.toThrow(/not a valid email/);
  });

  it("lets instructors open classes that students join by invite code", async () => {
    const teacher = await createUser(db, { email: "teacher@example.org", displayName: "Teacher", role: "instructor" });
    const student = await createUser(db, { email: "student@example.org", displayName: "Student" });
    const cls = await createClass(db, { name: "Transformers 2026", ownerId: teacher.id });
    const joined = await joinClass(db, { userId: student.id, inviteCode: ` ${cls.inviteCode.toLowerCase()} ` });
    expect(joined.id).toBe(cls.id);
    await joinClass(db, { userId: student.id, inviteCode: cls.inviteCode });
    expect((await classesOf(db, student.id)).map((c) => c.id)).toEqual([cls.id]);
    expect((await classesOf(db, teacher.id)).map((c) => c.id)).toEqual([cls.id]);
    await expect(joinClass(db, { userId: student.id, inviteCode: "ZZZZ-ZZZZ" })).rejects.toBeInstanceOf(NotFoundError);
    await expect(joinClass(db, { userId: "ghost", inviteCode: cls.inviteCode })).rejects.toThrow(/no user with id ghost/);
    await expect(createClass(db, { name: "mine", ownerId: student.id })).rejects.toBeInstanceOf(ForbiddenError);
    await expect(createClass(db, { name: "copy", ownerId: teacher.id, inviteCode: cls.inviteCode })).rejects.toThrow(/already used/);
  });
});
