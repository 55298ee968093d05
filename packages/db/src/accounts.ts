import { randomInt, randomBytes, scrypt, timingSafeEqual } from "node:crypto";
import { z } from "zod";
import type { Database } from "./client.ts";
import { ConflictError, ConstraintError, ForbiddenError, NotFoundError } from "./errors.ts";
import type { Role } from "./generated/sqlite/enums.ts";

export const ROLES = ["student", "instructor", "admin"] as const satisfies readonly Role[];

const Email = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.email("not a valid email address"));

export const NewUser = z
  .object({
    email: Email,
    displayName: z.string().trim().min(1, "a display name is required").max(100),
    role: z.enum(ROLES).default("student"),
    passwordHash: z.string().min(1).nullable().default(null).describe("from hashPassword(); null: no password login"),
    locale: z.enum(["ja", "en"]).default("ja"),
  })
  .strict();
export type NewUser = z.input<typeof NewUser>;

export interface UserRow {
  id: string;
  email: string;
  displayName: string;
  role: Role;
  locale: "ja" | "en";
  createdAt: Date;
}

const userSelect = { id: true, email: true, displayName: true, role: true, locale: true, createdAt: true } as const;

export async function createUser(db: Database, input: NewUser): Promise<UserRow> {
  const data = NewUser.parse(input);
  try {
    return await db.run("creating a user", (p) => p.user.create({ data, select: userSelect }));
  } catch (e) {
    if (e instanceof ConflictError) throw new ConflictError(`an account with email ${data.email} already exists`, ["email"]);
    throw e;
  }
}

export async function findUserByEmail(db: Database, email: string): Promise<(UserRow & { passwordHash: string | null }) | null> {
  const normalised = Email.parse(email);
  return db.run("looking up a user", (p) => p.user.findUnique({ where: { email: normalised }, select: { ...userSelect, passwordHash: true } }));
}

export async function getUser(db: Database, id: string): Promise<UserRow> {
  const user = await db.run("looking up a user", (p) => p.user.findUnique({ where: { id }, select: userSelect }));
  if (user === null) throw new NotFoundError(`no user with id ${id}`);
  return user;
}

// ---------------------------------------------------------------------------------------------
// Passwords: scrypt, stored as a PHC-style string so the parameters travel with the hash.

function scryptAsync(password: string, salt: Buffer, keylen: number, options: { N: number; r: number; p: number; maxmem: number }): Promise<Buffer> {
  return new Promise((resolve, reject) => scrypt(password, salt, keylen, options, (err, key) => (err ? reject(err) : resolve(key))));
}
const SCRYPT = { N: 16_384, r: 8, p: 1, keylen: 32 } as const;

/** `$scrypt$N=16384,r=8,p=1$<salt b64>$<hash b64>` */
export async function hashPassword(password: string): Promise<string> {
  if (password.length < 8) throw new RangeError("a password has at least 8 characters");
  const salt = randomBytes(16);
  const hash = await scryptAsync(password, salt, SCRYPT.keylen, { N: SCRYPT.N, r: SCRYPT.r, p: SCRYPT.p, maxmem: 64 * 1024 * 1024 });
  return `$scrypt$N=${SCRYPT.N},r=${SCRYPT.r},p=${SCRYPT.p}$${salt.toString("base64")}$${hash.toString("base64")}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const m = /^\$scrypt\$N=(\d+),r=(\d+),p=(\d+)\$([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+)$/.exec(stored);
  if (m === null) return false;
  const [, n, r, p, salt, hash] = m;
  const expected = Buffer.from(hash ?? "", "base64");
  const actual = await scryptAsync(password, Buffer.from(salt ?? "", "base64"), expected.length, {
    N: Number(n),
    r: Number(r),
    p: Number(p),
    maxmem: 256 * 1024 * 1024,
  });
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

// ---------------------------------------------------------------------------------------------
// Classes and enrolment

/** No 0/O, 1/I/L: codes are read aloud and typed from a projector. */
const INVITE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789";

export function generateInviteCode(): string {
  const chars = Array.from({ length: 8 }, () => INVITE_ALPHABET[randomInt(INVITE_ALPHABET.length)]);
  return `${chars.slice(0, 4).join("")}-${chars.slice(4).join("")}`;
}

/** Accepts what students type ("abcd efgh", "ABCD-EFGH") and returns the stored form. */
export function normaliseInviteCode(code: string): string {
  const plain = code.toUpperCase().replace(/[^A-Z0-9]/g, "");
  return plain.length === 8 ? `${plain.slice(0, 4)}-${plain.slice(4)}` : plain;
}

export interface ClassRow {
  id: string;
  name: string;
  inviteCode: string;
  ownerId: string;
  createdAt: Date;
}

export const NewClass = z
  .object({
    name: z.string().trim().min(1, "a class needs a name").max(200),
    ownerId: z.string().min(1),
    inviteCode: z.string().min(4).max(32).optional().describe("generated when omitted"),
  })
  .strict();
export type NewClass = z.input<typeof NewClass>;

export async function createClass(db: Database, input: NewClass): Promise<ClassRow> {
  const data = NewClass.parse(input);
  const owner = await getUser(db, data.ownerId);
  if (owner.role === "student") throw new ForbiddenError(`${owner.email} is a student and cannot own a class`);
  for (let tries = 0; ; tries++) {
    const inviteCode = data.inviteCode === undefined ? generateInviteCode() : normaliseInviteCode(data.inviteCode);
    try {
      return await db.run("creating a class", (p) => p.class.create({ data: { name: data.name, ownerId: data.ownerId, inviteCode } }));
    } catch (e) {
      if (!(e instanceof ConflictError)) throw e;
      if (data.inviteCode !== undefined) throw new ConflictError(`invite code ${inviteCode} is already used by another class`, ["inviteCode"]);
      if (tries >= 5) throw e;
    }
  }
}

/** Enrols a user in the class with this invite code; joining twice is not an error. */
export async function joinClass(db: Database, input: { userId: string; inviteCode: string }): Promise<ClassRow> {
  const code = normaliseInviteCode(input.inviteCode);
  const cls = await db.run("looking up an invite code", (p) => p.class.findUnique({ where: { inviteCode: code } }));
  if (cls === null || cls.archivedAt !== null) throw new NotFoundError(`no open class has invite code ${code}`);
  try {
    await db.run("joining a class", (p) =>
      p.enrolment.upsert({
        where: { classId_userId: { classId: cls.id, userId: input.userId } },
        create: { classId: cls.id, userId: input.userId },
        update: {},
      }),
    );
  } catch (e) {
    if (e instanceof ConstraintError) throw new NotFoundError(`no user with id ${input.userId}`);
    throw e;
  }
  return { id: cls.id, name: cls.name, inviteCode: cls.inviteCode, ownerId: cls.ownerId, createdAt: cls.createdAt };
}

export async function classesOf(db: Database, userId: string): Promise<ClassRow[]> {
  return db.run("listing classes", (p) =>
    p.class.findMany({
      where: { OR: [{ ownerId: userId }, { enrolments: { some: { userId } } }] },
      select: { id: true, name: true, inviteCode: true, ownerId: true, createdAt: true },
      orderBy: { createdAt: "asc" },
    }),
  );
}
