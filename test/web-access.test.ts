import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { type Database, createClass, createUser, getSubmission, hashPassword, joinClass, submit, submitFreeText } from "@tfm/db";
import { createScratchDatabase, testProviders } from "@tfm/db/testing";
import { Database as Db, migrate } from "@tfm/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGrader } from "../apps/grader/src/server.ts";
import { Client, type Portal, ROOT, ensureWebBuild, startPortal } from "./web/harness.ts";
import { type Lang, t } from "../apps/web/lib/i18n.ts";

/**
 * The access-control matrix of the portal, over every page, route handler and mutation, for six
 * callers: anonymous, student A, student B (same class), the class's instructor, another class's
 * instructor, and an admin. It runs the production build against a real grader (with its durable
 * runner) on a scratch database, and checks that no response ever carries the exercise's reference
 * solution, reference implementation, spec (hidden case generators) or mutant sources.
 */

const EX = "scaled-dot-product-attention";
const PASSWORD = "access-matrix-pw";
const A_SOURCE = `import { torch, F, type Tensor } from "@tfm/kit";
export function scaledDotProductAttention(Q: Tensor, K: Tensor, V: Tensor, mask: Tensor | null): [Tensor, Tensor] {
  let s = torch.matmul(Q, K.transpose(-2, -1));
  if (mask !== null) s = s.maskedFill(mask.eq(0), -1e9);
  const w = F.softmax(s, -1);
  return [torch.matmul(w, V), w];
}
`;

/** Lines only found in server-side files: solution, spec, mutants, reference implementation. */
function hiddenMarkers(): string[] {
  const dir = path.join(ROOT, "exercises", EX);
  const publicText = [readFileSync(path.join(dir, "starter.ts"), "utf8"), readFileSync(path.join(dir, "statement.ja.md"), "utf8"), readFileSync(path.join(dir, "statement.en.md"), "utf8"), A_SOURCE].join("\n");
  const files = [
    path.join(dir, "solution.ts"),
    path.join(dir, "spec.ts"),
    ...readdirSync(path.join(dir, "mutants")).map((f) => path.join(dir, "mutants", f)),
    path.join(ROOT, "reference/src/exercises", `${EX}.ts`),
  ];
  const markers = new Set<string>();
  for (const f of files) {
    for (const raw of readFileSync(f, "utf8").split("\n")) {
      const line = raw.trim();
      if (line.length >= 30 && !publicText.includes(line) && !line.startsWith("import ") && !line.startsWith("//") && !line.startsWith("*")) markers.add(line);
    }
  }
  return [...markers];
}

type Who = "anon" | "a" | "b" | "teacher" | "other" | "admin";
const WHO: Who[] = ["anon", "a", "b", "teacher", "other", "admin"];

/** What a cell expects: a status, and for redirects where they go. */
type Expect = number | { status: 303 | 307; to: RegExp };
const SIGNIN: Expect = { status: 307, to: /^\/signin\?next=/ };
const SIGNIN_POST: Expect = { status: 303, to: /\/signin\?next=/ };

const provider = testProviders().includes("postgresql") ? "postgresql" : "sqlite";

describe(`portal access matrix (${provider})`, () => {
  let portal: Portal;
  let grader: { url: string; close(): Promise<void> };
  let db: Database;
  let drop: () => Promise<void>;
  const clients = {} as Record<Who, Client>;
  const ids = { classK: "", classL: "", a: "", b: "", teacher: "", subA: "", answerA: "", codeK: "" };
  const markers = hiddenMarkers();
  const seen: { what: string; body: string }[] = [];

  beforeAll(async () => {
    await ensureWebBuild();
    const scratch = await createScratchDatabase(provider, "webmatrix");
    drop = scratch.drop;
    await migrate(scratch.config);
    db = await Db.connect(scratch.config);
    grader = await startGrader({ ...process.env, TFM_DATABASE_URL: scratch.url, TFM_GRADER_PORT: "0", TFM_GRADER_WORKERS: "1" });
    const hash = await hashPassword(PASSWORD);
    const mk = (email: string, role: "student" | "instructor" | "admin") => createUser(db, { email, displayName: email.split("@")[0] ?? email, role, passwordHash: hash });
    const [a, b, teacher, other] = await Promise.all([mk("a@x.org", "student"), mk("b@x.org", "student"), mk("t@x.org", "instructor"), mk("o@x.org", "instructor"), mk("admin@x.org", "admin")]);
    const k = await createClass(db, { name: "Class K", ownerId: teacher.id });
    const l = await createClass(db, { name: "Class L", ownerId: other.id });
    await joinClass(db, { userId: a.id, inviteCode: k.inviteCode });
    await joinClass(db, { userId: b.id, inviteCode: k.inviteCode });
    Object.assign(ids, { classK: k.id, classL: l.id, a: a.id, b: b.id, teacher: teacher.id, codeK: k.inviteCode });
    ids.subA = (await submit(db, { userId: a.id, exerciseId: EX, source: A_SOURCE })).id;
    ids.answerA = (await submitFreeText(db, { userId: a.id, problemId: "qkv-analogy", text: "Q asks, K advertises, V carries the content." })).id;
    // The grader's durable runner grades A's submission for real.
    for (let i = 0; i < 240 && (await getSubmission(db, ids.subA)).status !== "done"; i++) await new Promise((r) => setTimeout(r, 500));
    expect((await getSubmission(db, ids.subA)).verdict).toBe("failed");
    portal = await startPortal({ TFM_DATABASE_URL: scratch.url, TFM_GRADER_URL: grader.url, TFM_SUBMIT_PER_MINUTE: "1000" });
    for (const who of WHO) clients[who] = new Client(portal.url);
    await clients.anon.get("/");
    await clients.a.signIn("a@x.org", PASSWORD);
    await clients.b.signIn("b@x.org", PASSWORD);
    await clients.teacher.signIn("t@x.org", PASSWORD);
    await clients.other.signIn("o@x.org", PASSWORD);
    await clients.admin.signIn("admin@x.org", PASSWORD);
  }, 600_000);

  afterAll(async () => {
    await portal?.close();
    await grader?.close();
    await db?.close();
    await drop?.();
  });

  function check(what: string, got: { status: number; location: string | null; body: string }, want: Expect): void {
    seen.push({ what, body: got.body + (got.location ?? "") });
    if (typeof want === "number") {
      expect(got.status, `${what}: ${got.location ?? got.body.slice(0, 200)}`).toBe(want);
    } else {
      expect(got.status, what).toBe(want.status);
      const loc = got.location === null ? "" : new URL(got.location, portal.url).pathname + new URL(got.location, portal.url).search;
      expect(loc, what).toMatch(want.to);
    }
  }

  const pages = (): [string, Record<Who, Expect>][] => {
    const everyone = (s: Expect): Record<Who, Expect> => ({ anon: s, a: s, b: s, teacher: s, other: s, admin: s });
    const signedIn: Record<Who, Expect> = { anon: SIGNIN, a: 200, b: 200, teacher: 200, other: 200, admin: 200 };
    const authorOnly: Record<Who, Expect> = { anon: SIGNIN, a: 200, b: 404, teacher: 200, other: 404, admin: 200 };
    const classStaff: Record<Who, Expect> = { anon: SIGNIN, a: 404, b: 404, teacher: 200, other: 404, admin: 200 };
    return [
      ["/", everyone(200)],
      ["/signin", everyone(200)],
      ["/signup", everyone(200)],
      ["/exercises", signedIn],
      [`/exercises/${EX}`, signedIn],
      ["/exercises/no-such-exercise", { ...signedIn, a: 404, b: 404, teacher: 404, other: 404, admin: 404 }],
      ["/checklist", signedIn],
      ["/classes", signedIn],
      ["/quizzes/math-shapes", signedIn],
      ["/free-text/qkv-analogy", signedIn],
      [`/submissions/${ids.subA}`, authorOnly],
      ["/submissions/no-such-submission", { ...signedIn, a: 404, b: 404, teacher: 404, other: 404, admin: 404 }],
      [`/classes/${ids.classK}`, classStaff],
      [`/classes/${ids.classK}/review`, classStaff],
      [`/classes/${ids.classK}/students/${ids.a}`, classStaff],
      [`/classes/${ids.classL}/students/${ids.a}`, { anon: SIGNIN, a: 404, b: 404, teacher: 404, other: 404, admin: 404 }],
      [`/classes/${ids.classK}/export`, { ...classStaff, anon: { status: 303, to: /^\/signin/ } }],
      [`/api/submissions/${ids.subA}`, { ...authorOnly, anon: 401 }],
    ];
  };

  it("answers every page and read route per role", async () => {
    for (const [route, row] of pages()) {
      for (const who of WHO) check(`GET ${route} as ${who}`, await clients[who].get(route), row[who]);
    }
  });

  it("shows the class dashboard and CSV only to its instructor and admins, with the students' data", async () => {
    const csv = await clients.teacher.get(`/classes/${ids.classK}/export`);
    expect(csv.type).toContain("text/csv");
    // fetch's text() drops a BOM: read the bytes.
    const raw = new Uint8Array(await (await fetch(`${portal.url}/classes/${ids.classK}/export`, { headers: { cookie: [...clients.teacher.cookies].map(([k, v]) => `${k}=${v}`).join("; ") } })).arrayBuffer());
    expect([...raw.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(csv.body).toContain("a@x.org");
    expect(csv.body).toContain("b@x.org");
    const dash = await clients.admin.get(`/classes/${ids.classK}`);
    expect(dash.body).toContain("a@x.org".split("@")[0]);
    const sub = await clients.teacher.get(`/submissions/${ids.subA}`);
    expect(sub.body).toContain("s.maskedFill(mask.eq(0), -1e9)");
  });

  it("answers every mutation per role, and refuses each without the CSRF token or from another origin", async () => {
    const k = ids.classK;
    const json = (o: unknown) => ({ json: o });
    type Row = [string, () => Record<string, string> | { json: unknown }, Record<Who, Expect>];
    const signedIn = (ok: Expect): Record<Who, Expect> => ({ anon: SIGNIN_POST, a: ok, b: ok, teacher: ok, other: ok, admin: ok });
    const staffOfK = (ok: Expect): Record<Who, Expect> => ({ anon: SIGNIN_POST, a: 404, b: 404, teacher: ok, other: 404, admin: ok });
    const rows: Row[] = [
      [`/api/exercises/${EX}/run`, () => json({ source: A_SOURCE }), { ...signedIn(200), anon: 401 }],
      [`/api/exercises/${EX}/submit`, () => json({ source: A_SOURCE }), { ...signedIn(202), anon: 401 }],
      ["/api/classes/join", () => ({ inviteCode: "ZZZZ-ZZZZ" }), signedIn({ status: 303, to: /^\/classes\?err=errInviteUnknown/ })],
      ["/api/classes/create", () => ({ name: "New class" }), { anon: SIGNIN_POST, a: 303, b: 303, teacher: { status: 303, to: /^\/classes\/\w+$/ }, other: { status: 303, to: /^\/classes\/\w+$/ }, admin: { status: 303, to: /^\/classes\/\w+$/ } }],
      [`/api/classes/${k}/regrade`, () => ({ exerciseId: EX }), staffOfK({ status: 303, to: new RegExp(`^/classes/${k}\\?msg=regradeDone`) })],
      [`/api/classes/${k}/review`, () => ({ answerId: ids.answerA, c_query: "1" }), staffOfK({ status: 303, to: /review\?/ })],
      ["/api/checklist/self", () => ({ itemId: "theory-read-transformer-paper", checked: "true" }), signedIn({ status: 303, to: /^\/checklist/ })],
      ["/api/quizzes/math-shapes/grade", () => ({ seed: "7", "q_qk-fixed": "(2, 3)" }), signedIn({ status: 303, to: /^\/quizzes\/math-shapes\?attempt=/ })],
      ["/api/free-text/qkv-analogy/answer", () => ({ text: "Queries ask, keys answer, values carry." }), signedIn({ status: 303, to: /^\/free-text\/qkv-analogy\?msg=freeTextSubmitted/ })],
      ["/api/lang", () => ({ lang: "en" }), { anon: 303, a: 303, b: 303, teacher: 303, other: 303, admin: 303 }],
    ];
    // A student asking to create a class gets the same answer as for a missing page.
    rows[3]![2].a = { status: 303, to: /^\/classes\?err=errNotFound/ };
    rows[3]![2].b = { status: 303, to: /^\/classes\?err=errNotFound/ };
    for (const [route, body, row] of rows) {
      for (const who of WHO) {
        const c = clients[who];
        const token = await c.csrf("/");
        check(`POST ${route} as ${who}`, await c.post(route, body(), { csrf: token }), row[who]);
        // Without the token, with a wrong one, or from another site: refused before anything happens.
        for (const [label, opts] of [
          ["no csrf", { csrf: null }],
          ["wrong csrf", { csrf: `${token.slice(0, -2)}xx` }],
          ["foreign origin", { csrf: token, origin: "http://evil.example" }],
          ["no origin", { csrf: token, origin: null }],
        ] as const) {
          const got = await c.post(route, body(), opts);
          const refused = got.status === 403 || (got.status === 303 && (got.location ?? "").includes("err=errCsrf"));
          expect(refused, `POST ${route} as ${who} with ${label}: ${got.status} ${got.location}`).toBe(true);
        }
      }
    }
  });

  it("regrades only the class's own submissions", async () => {
    const outsider = await createUser(db, { email: "z@x.org", displayName: "Z" });
    const s = await submit(db, { userId: outsider.id, exerciseId: EX, source: A_SOURCE });
    for (let i = 0; i < 240 && (await getSubmission(db, s.id)).status !== "done"; i++) await new Promise((r) => setTimeout(r, 500));
    const before = (await getSubmission(db, s.id)).history.length;
    const token = await clients.teacher.csrf("/");
    const res = await clients.teacher.post(`/api/classes/${ids.classK}/regrade`, { exerciseId: EX }, { csrf: token });
    expect(res.status).toBe(303);
    const after = await getSubmission(db, s.id);
    expect(after.status).toBe("done");
    expect(after.history.length).toBe(before);
  });

  it("signs up only with the CSRF token, refuses a wrong password, and signing out ends the session on the server", async () => {
    const fresh = new Client(portal.url);
    const token = await fresh.csrf("/signup");
    const form = { displayName: "New", email: "new@x.org", password: "new-password-1", inviteCode: ids.codeK };
    const refused = await fresh.post("/api/auth/signup", form, { csrf: null });
    expect(refused.location ?? "").toContain("err=errCsrf");
    check("POST /api/auth/signup", await fresh.post("/api/auth/signup", form, { csrf: token }), { status: 303, to: /^\/classes\?msg=joined/ });
    expect(fresh.cookies.has("tfm_session")).toBe(true);
    check("GET /classes after sign-up", await fresh.get("/classes"), 200);
    check("POST /api/auth/signup again", await fresh.post("/api/auth/signup", form, { csrf: await fresh.csrf("/signup") }), { status: 303, to: /err=errEmailTaken/ });

    const wrong = new Client(portal.url);
    check("POST /api/auth/signin wrong password", await wrong.post("/api/auth/signin", { email: "a@x.org", password: "not-the-password" }, { csrf: await wrong.csrf("/signin") }), {
      status: 303,
      to: /^\/signin\?err=errBadCredentials/,
    });
    expect(wrong.cookies.has("tfm_session")).toBe(false);

    const session = fresh.cookies.get("tfm_session") ?? "";
    check("POST /api/auth/signout", await fresh.post("/api/auth/signout", {}, { csrf: await fresh.csrf("/") }), { status: 303, to: /^\/$/ });
    // The old cookie, replayed, no longer signs anyone in.
    const replay = new Client(portal.url);
    replay.cookies.set("tfm_session", session);
    check("GET /exercises with a signed-out cookie", await replay.get("/exercises"), SIGNIN);
  });

  it("stops password guessing: after 10 failed sign-ins an email is refused, even with the right password; other emails are not", async () => {
    await createUser(db, { email: "locked@x.org", displayName: "Locked", role: "student", passwordHash: await hashPassword(PASSWORD) });
    const guesser = new Client(portal.url);
    for (let i = 0; i < 10; i++) {
      check(`POST /api/auth/signin wrong password #${i + 1}`, await guesser.post("/api/auth/signin", { email: "locked@x.org", password: `guess-${i}-guess` }, { csrf: await guesser.csrf("/signin") }), {
        status: 303,
        to: /^\/signin\?err=errBadCredentials/,
      });
    }
    const owner = new Client(portal.url);
    check("POST /api/auth/signin after 10 failures (right password, other case)", await owner.post("/api/auth/signin", { email: "LOCKED@x.org", password: PASSWORD }, { csrf: await owner.csrf("/signin") }), {
      status: 303,
      to: /^\/signin\?err=errTooManySignins&minutes=15$/,
    });
    expect(owner.cookies.has("tfm_session")).toBe(false);
    const page = await owner.get("/signin?err=errTooManySignins&minutes=15");
    expect(page.body).toContain("15 分後にもう一度お試しください");
    const other = new Client(portal.url);
    check("POST /api/auth/signin for another email", await other.post("/api/auth/signin", { email: "a@x.org", password: PASSWORD }, { csrf: await other.csrf("/signin") }), { status: 303, to: /^\/exercises$/ });
  });

  it("pages a large roster by 100 while the class-wide figures cover every student", async () => {
    const big = await createClass(db, { name: "Class M", ownerId: ids.teacher });
    const learners = [];
    for (let i = 0; i < 105; i++) learners.push(await createUser(db, { email: `m${String(i).padStart(3, "0")}@x.org`, displayName: `M${i}` }));
    for (const l of learners) await joinClass(db, { userId: l.id, inviteCode: big.inviteCode });
    const rowsOf = (body: string) => [...body.matchAll(/data-learner="([^"]+)"/g)].map((m) => m[1]);
    const first = await clients.teacher.get(`/classes/${big.id}`);
    check("GET big class page 1", first, 200);
    expect(rowsOf(first.body)).toEqual(learners.slice(0, 100).map((l) => l.email));
    const langOf = (body: string) => (/<html lang="(ja|en)"/.exec(body)?.[1] ?? "none") as Lang;
    expect(first.body).toContain(t(langOf(first.body), "rosterRange", { from: 1, to: 100, total: 105 }));
    expect(first.body).toContain(`/classes/${big.id}?page=2#roster`);
    const second = await clients.teacher.get(`/classes/${big.id}?page=2`);
    expect(rowsOf(second.body)).toEqual(learners.slice(100).map((l) => l.email));
    expect(second.body).toContain(`/classes/${big.id}?page=1#roster`);
    expect(second.body).toContain(t(langOf(second.body), "rosterRange", { from: 101, to: 105, total: 105 }));
    // Out of range or garbage: the nearest page, never an error.
    expect(rowsOf((await clients.teacher.get(`/classes/${big.id}?page=99`)).body)).toHaveLength(5);
    expect(rowsOf((await clients.teacher.get(`/classes/${big.id}?page=-3`)).body)).toHaveLength(100);
    expect(rowsOf((await clients.teacher.get(`/classes/${big.id}?page=abc`)).body)).toHaveLength(100);
    check("GET big class as another instructor", await clients.other.get(`/classes/${big.id}?page=2`), 404);
  });

  it("never sends reference solutions, hidden case generators, references or mutants", () => {
    expect(markers.length).toBeGreaterThan(10);
    expect(seen.length).toBeGreaterThan(100);
    for (const { what, body } of seen) {
      for (const m of markers) expect(body.includes(m), `${what} contains server-only text: ${m}`).toBe(false);
    }
  });
});
