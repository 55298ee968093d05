import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { type Database, createClass, createUser, getSubmission, hashPassword, joinClass, submit, submitFreeText } from "@tfm/db";
import { createScratchDatabase, testProviders } from "@tfm/db/testing";
import { Database as Db, migrate } from "@tfm/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mutantIdsIn, mutantSourceIn } from "../apps/grader/src/mutants.ts";
import { startGrader } from "../apps/grader/src/server.ts";
import { Client, type Portal, ROOT, ensureWebBuild, startPortal } from "./web/harness.ts";
import { slowSolution } from "./slow-solution.ts";
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
    path.join(ROOT, "reference/src/exercises", `${EX}.ts`),
  ];
  const markers = new Set<string>();
  // Mutants are patches: the wrong solutions they make are what must not leak.
  const texts = [...files.map((f) => readFileSync(f, "utf8")), ...mutantIdsIn(dir).map((m) => mutantSourceIn(dir, m))];
  for (const text of texts) {
    for (const raw of text.split("\n")) {
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
const NOT_FOUND_POST: Expect = { status: 303, to: /^\/classes\?err=errNotFound$/ };

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
    // TFM_TRUST_PROXY=1: the sign-in throttle tests play clients at several addresses via x-forwarded-for.
    portal = await startPortal({ TFM_DATABASE_URL: scratch.url, TFM_GRADER_URL: grader.url, TFM_SUBMIT_PER_MINUTE: "1000", TFM_TRUST_PROXY: "1" });
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

  /** A redirect's Location as a path on the portal (the portal answers with absolute URLs). */
  const pathOf = (location: string | null): string => {
    const u = new URL(location ?? "/", portal.url);
    return u.pathname + u.search;
  };

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
      ["/account", signedIn],
      ["/reset?token=no-such-token", everyone(200)],
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
      [`/api/exercises/${EX}/draft`, () => json({ source: "// matrix draft" }), { ...signedIn(200), anon: 401 }],
      ["/api/account/password", () => ({ current: "not-the-password", password: "whatever-new-1" }), signedIn({ status: 303, to: /^\/account\?err=errWrongPassword/ })],
      [`/api/users/${ids.a}/reset`, () => ({}), { ...staffOfK({ status: 303, to: /^\/classes\?msg=resetIssued&ref=/ }), a: NOT_FOUND_POST, b: NOT_FOUND_POST, other: NOT_FOUND_POST }],
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
    const create = rows.find((r) => r[0] === "/api/classes/create");
    if (create === undefined) throw new Error("no create row");
    create[2].a = { status: 303, to: /^\/classes\?err=errNotFound/ };
    create[2].b = { status: 303, to: /^\/classes\?err=errNotFound/ };
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
    const created = await fresh.post("/api/auth/signup", form, { csrf: token });
    check("POST /api/auth/signup", created, { status: 303, to: /^\/signin\?msg=signUpDone&next=%2Fclasses$/ });
    // The same answer for an address that already has an account: nothing tells them apart.
    const again = await new Client(portal.url).post("/api/auth/signup", { ...form, password: "another-password" }, { csrf: null });
    expect(again.location ?? "").toContain("err=errCsrf");
    const other = new Client(portal.url);
    const taken = await other.post("/api/auth/signup", { ...form, password: "another-password" }, { csrf: await other.csrf("/signup") });
    expect(taken.status).toBe(created.status);
    expect(taken.location).toBe(created.location);
    expect(taken.body).toBe(created.body);
    expect(other.cookies.has("tfm_session")).toBe(false);
    expect((await other.get(pathOf(taken.location))).body).not.toMatch(/already|すでに登録/);
    // The new account signs in (with its own password, not the second one) and is in the class.
    const wrongPw = new Client(portal.url);
    check("POST /api/auth/signin with the second sign-up's password", await wrongPw.post("/api/auth/signin", { email: form.email, password: "another-password" }, { csrf: await wrongPw.csrf("/signin") }), { status: 303, to: /err=errBadCredentials/ });
    await fresh.signIn(form.email, form.password);
    check("GET /classes after sign-up", await fresh.get("/classes"), 200);
    expect((await fresh.get("/classes")).body).toContain("Class K");

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

  it("slows guessing per (account, address) without locking the owner out, and limits one address over many accounts", async () => {
    await createUser(db, { email: "locked@x.org", displayName: "Locked", role: "student", passwordHash: await hashPassword(PASSWORD) });
    const guesser = new Client(portal.url, { "x-forwarded-for": "203.0.113.5" });
    let refusedGuesses = 0;
    for (let i = 0; i < 10; i++) {
      const got = await guesser.post("/api/auth/signin", { email: "locked@x.org", password: `guess-${i}-guess` }, { csrf: await guesser.csrf("/signin") });
      expect(got.status).toBe(303);
      if ((got.location ?? "").includes("err=errTooManySignins")) refusedGuesses++;
    }
    // Exponential backoff: after the free failures, the guesser's attempts are refused unchecked.
    expect(refusedGuesses).toBeGreaterThan(0);
    // Even the right password waits, from the address that failed...
    check("POST /api/auth/signin right password from the guessing address", await guesser.post("/api/auth/signin", { email: "locked@x.org", password: PASSWORD }, { csrf: await guesser.csrf("/signin") }), {
      status: 303,
      to: /^\/signin\?err=errTooManySignins&minutes=\d+$/,
    });
    expect(guesser.cookies.has("tfm_session")).toBe(false);
    // ...but the owner, from an address that has not failed, signs in at once.
    const owner = new Client(portal.url, { "x-forwarded-for": "198.51.100.20" });
    check("POST /api/auth/signin owner after 10 failures elsewhere (other case)", await owner.post("/api/auth/signin", { email: "LOCKED@x.org", password: PASSWORD }, { csrf: await owner.csrf("/signin") }), { status: 303, to: /^\/exercises$/ });
    // A client cannot pick its address: with a trusted proxy only the last x-forwarded-for entry counts.
    const spoof = new Client(portal.url, { "x-forwarded-for": "198.51.100.20, 203.0.113.5" });
    check("POST /api/auth/signin with a prepended address", await spoof.post("/api/auth/signin", { email: "locked@x.org", password: PASSWORD }, { csrf: await spoof.csrf("/signin") }), {
      status: 303,
      to: /err=errTooManySignins/,
    });
    const page = await owner.get("/signin?err=errTooManySignins&minutes=15");
    expect(page.body).toContain("15 分後にもう一度お試しください");

    // Password spraying: one address, 50 different emails, one guess each; then that address is refused.
    const sprayer = new Client(portal.url, { "x-forwarded-for": "192.0.2.66" });
    for (let i = 0; i < 50; i++) {
      check(`POST /api/auth/signin spray #${i + 1}`, await sprayer.post("/api/auth/signin", { email: `spray${i}@x.org`, password: "Summer2026!" }, { csrf: await sprayer.csrf("/signin") }), {
        status: 303,
        to: /^\/signin\?err=errBadCredentials/,
      });
    }
    check("POST /api/auth/signin from the spraying address", await sprayer.post("/api/auth/signin", { email: "b@x.org", password: PASSWORD }, { csrf: await sprayer.csrf("/signin") }), { status: 303, to: /err=errTooManySignins/ });
    const elsewhere = new Client(portal.url, { "x-forwarded-for": "192.0.2.67" });
    check("POST /api/auth/signin from another address", await elsewhere.post("/api/auth/signin", { email: "b@x.org", password: PASSWORD }, { csrf: await elsewhere.csrf("/signin") }), { status: 303, to: /^\/exercises$/ });
  }, 120_000);

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

  it("after sign-in, never leaves the portal, whatever `next` says", async () => {
    const tricky = ["/\t/evil.example/", "/\r/evil.example/", "/\n/evil.example/", "/\\evil.example", "\\\\evil.example", "//evil.example", "/.//evil.example", "/%2F/evil.example", "javascript:alert(1)", "https://evil.example/", "//user:pw@evil.example/"];
    for (const next of tricky) {
      const c = new Client(portal.url);
      const got = await c.post("/api/auth/signin", { email: "a@x.org", password: PASSWORD, next }, { csrf: await c.csrf("/signin") });
      expect(got.status, JSON.stringify(next)).toBe(303);
      // As a browser reads Location: relative to the portal, with tabs and line breaks dropped.
      expect(new URL((got.location ?? "").replace(/[\t\r\n]/g, ""), portal.url).origin, JSON.stringify(next)).toBe(portal.url);
      expect(c.cookies.has("tfm_session")).toBe(true);
      // The sign-in form does not carry it either.
      const form = await new Client(portal.url).get(`/signin?next=${encodeURIComponent(next)}`);
      const hidden = /name="next" value="([^"]*)"/.exec(form.body)?.[1] ?? "/";
      expect(new URL(hidden.replace(/&amp;/g, "&"), portal.url).origin).toBe(portal.url);
    }
    const ok = new Client(portal.url);
    const local = await ok.post("/api/auth/signin", { email: "a@x.org", password: PASSWORD, next: "/checklist?x=1" }, { csrf: await ok.csrf("/signin") });
    expect(local.location).toBe(`${portal.url}/checklist?x=1`);
  });

  it("checks ids from the URL before calling the grader: no path traversal into the grader", async () => {
    const c = clients.a;
    const csrf = await c.csrf("/");
    for (const id of ["..%2F..%2Fv1%2Fgrade%3F", "..%2F..%2Fv1%2Fexercises", "qkv-analogy%2F..%2F..%2Fv1%2Fgrade", "QKV-ANALOGY", "qkv-analogy%3Fx%3D1"]) {
      const got = await c.post(`/api/free-text/${id}/answer`, { text: "x" }, { csrf });
      check(`POST /api/free-text/${id}/answer`, got, { status: 303, to: /^\/exercises\?err=errNotFound$/ });
      const run = await c.post(`/api/exercises/${id}/run`, { json: { source: A_SOURCE } }, { csrf });
      expect(run.status, `run ${id}`).toBe(404);
      const quiz = await c.post(`/api/quizzes/${id}/grade`, { seed: "1" }, { csrf });
      check(`POST /api/quizzes/${id}/grade`, quiz, { status: 303, to: /err=errNotFound/ });
      check(`GET /free-text/${id}`, await c.get(`/free-text/${id}`), 404);
    }
  });

  it("fills official messages only from keys: no text from the query, details looked up on the server", async () => {
    const alerts = (html: string) => [...html.matchAll(/<p class="msg [^"]*" role="(?:alert|status)"[^>]*>([\s\S]*?)<\/p>/g)].map((m) => m[1]).join("\n");
    const c = clients.a;
    for (const url of [
      "/classes?msg=joined&name=EVIL-TEXT-1",
      "/signin?err=errInvalidInput&detail=EVIL-TEXT-1",
      "/classes?err=errInvalidInput&detail=EVIL-TEXT-1&ref=forged",
      "/checklist?msg=joined&name=EVIL-TEXT-1&minutes=EVIL-TEXT-1",
    ]) {
      const page = await c.get(url);
      expect(page.status, url).toBe(200);
      // (The page's own URL is in Next's payload: what matters is what the message boxes say.)
      expect(alerts(page.body), url).not.toContain("EVIL-TEXT-1");
      expect(alerts(page.body), url).not.toMatch(/「」|""/);
    }
    // A real detail still shows, for the one who caused it.
    const token = await c.csrf("/");
    const joined = await c.post("/api/classes/join", { inviteCode: ids.codeK }, { csrf: token });
    expect(pathOf(joined.location)).toMatch(/^\/classes\?msg=joined&ref=[\w-]+$/);
    expect(alerts((await c.get(pathOf(joined.location))).body)).toContain("Class K");
    // The same reference means nothing to another visitor.
    const page = await clients.b.get(pathOf(joined.location));
    expect(page.body).not.toContain("参加しました");
    expect(page.body).not.toContain("You joined");
    const bad = await c.post("/api/classes/create", { name: "" }, { csrf: token });
    expect(bad.location ?? "").not.toContain("detail=");
  });

  it("limits concurrent public-test runs per user, without slowing another user", async () => {
    // A run that holds its worker ~1.5 s (an endless loop now stops at the exercise's own call limit,
    // a fraction of a second, too soon to have two in flight when the third arrives).
    const endless = slowSolution(EX, 3_000);
    const token = await clients.b.csrf("/");
    const loops = [0, 1].map(() => clients.b.post(`/api/exercises/${EX}/run`, { json: { source: endless } }, { csrf: token }));
    await new Promise((r) => setTimeout(r, 300));
    const third = await clients.b.post(`/api/exercises/${EX}/run`, { json: { source: endless } }, { csrf: token });
    expect(third.status).toBe(429);
    expect(JSON.parse(third.body)).toMatchObject({ error: "errRunBusy" });
    // The portal's limit is per user: another user's run is not refused by it.
    const other = await clients.a.post(`/api/exercises/${EX}/run`, { json: { source: A_SOURCE } }, { csrf: await clients.a.csrf("/") });
    expect(other.status, other.body).toBe(200);
    for (const l of await Promise.all(loops)) expect(l.status).toBe(200);
    // Once they are done, the user runs again.
    expect((await clients.b.post(`/api/exercises/${EX}/run`, { json: { source: A_SOURCE } }, { csrf: token })).status).toBe(200);
  }, 120_000);

  it("keeps drafts on the server per account: restored on another device, never shown to another account", async () => {
    const draft = "// my draft 7f3a9c: attention with a mask";
    const token = await clients.a.csrf("/");
    check("POST draft", await clients.a.post(`/api/exercises/${EX}/draft`, { json: { source: draft } }, { csrf: token }), 200);
    expect((await clients.a.get(`/exercises/${EX}`)).body).toContain("7f3a9c");
    const otherDevice = new Client(portal.url);
    await otherDevice.signIn("a@x.org", PASSWORD);
    expect((await otherDevice.get(`/exercises/${EX}`)).body).toContain("7f3a9c");
    expect((await clients.b.get(`/exercises/${EX}`)).body).not.toContain("7f3a9c");
    expect((await clients.teacher.get(`/exercises/${EX}`)).body).not.toContain("7f3a9c");
    const tooLong = await clients.a.post(`/api/exercises/${EX}/draft`, { json: { source: "x".repeat(200_001) } }, { csrf: token });
    expect(tooLong.status).toBe(400);
    expect((await clients.a.post("/api/exercises/no-such-exercise/draft", { json: { source: "x" } }, { csrf: token })).status).toBe(404);
    // Signing out tells the browser to drop the site's storage.
    const out = await otherDevice.post("/api/auth/signout", {}, { csrf: await otherDevice.csrf("/") });
    expect(out.status).toBe(303);
    const res = await fetch(`${portal.url}/api/auth/signout`, { method: "POST", redirect: "manual", headers: { origin: portal.url, cookie: [...clients.b.cookies].map(([k, v]) => `${k}=${v}`).join("; "), "content-type": "application/x-www-form-urlencoded" }, body: "csrf=wrong" });
    expect(res.status).toBe(303);
  });

  it("sends a nonce CSP, Permissions-Policy and cross-origin isolation headers", async () => {
    const page = await clients.a.get(`/exercises/${EX}`);
    const csp = page.headers.get("content-security-policy") ?? "";
    const nonce = /'nonce-([A-Za-z0-9+/=]+)'/.exec(csp)?.[1];
    expect(nonce).toBeDefined();
    expect(csp).toContain("script-src 'self' 'nonce-");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("object-src 'none'");
    expect(csp).not.toMatch(/script-src[^;]*unsafe-inline/);
    // Every script of the page carries this response's nonce; the next response has another.
    const scripts = [...page.body.matchAll(/<script\b[^>]*>/g)].map((m) => m[0]);
    expect(scripts.length).toBeGreaterThan(0);
    for (const tag of scripts) expect(tag, tag).toContain(`nonce="${nonce}"`);
    const again = await clients.a.get(`/exercises/${EX}`);
    expect(again.headers.get("content-security-policy")).not.toBe(csp);
    for (const url of ["/", `/exercises/${EX}`, "/signin"]) {
      const r = await clients.anon.get(url);
      expect(r.headers.get("permissions-policy") ?? "", url).toContain("camera=()");
      expect(r.headers.get("cross-origin-opener-policy"), url).toBe("same-origin");
      expect(r.headers.get("cross-origin-resource-policy"), url).toBe("same-origin");
      expect(r.headers.get("content-security-policy") ?? "", url).toContain("'nonce-");
    }
  });

  it("changes a password (other sessions end) and signs out everywhere", async () => {
    await createUser(db, { email: "pw@x.org", displayName: "Pw", role: "student", passwordHash: await hashPassword(PASSWORD) });
    const here = new Client(portal.url);
    const there = new Client(portal.url);
    await here.signIn("pw@x.org", PASSWORD);
    await there.signIn("pw@x.org", PASSWORD);
    check("POST password wrong current", await here.post("/api/account/password", { current: "nope-nope", password: "brand-new-pw-1" }, { csrf: await here.csrf("/account") }), { status: 303, to: /errWrongPassword/ });
    check("POST password too short", await here.post("/api/account/password", { current: PASSWORD, password: "short" }, { csrf: await here.csrf("/account") }), { status: 303, to: /^\/account\?err=errInvalidInput&ref=/ });
    check("POST password", await here.post("/api/account/password", { current: PASSWORD, password: "brand-new-pw-1" }, { csrf: await here.csrf("/account") }), { status: 303, to: /^\/account\?msg=passwordChanged$/ });
    check("GET /exercises here", await here.get("/exercises"), 200);
    check("GET /exercises there", await there.get("/exercises"), SIGNIN);
    const again = new Client(portal.url);
    await again.signIn("pw@x.org", "brand-new-pw-1");
    check("POST signout-all", await again.post("/api/account/signout-all", {}, { csrf: await again.csrf("/") }), { status: 303, to: /^\/signin\?msg=signedOutEverywhere$/ });
    check("GET /exercises here after signout-all", await here.get("/exercises"), SIGNIN);
  });

  it("resets a password with a one-time, expiring, hashed link issued by the student's instructor", async () => {
    const student = await createUser(db, { email: "forgot@x.org", displayName: "Forgot", role: "student", passwordHash: await hashPassword(PASSWORD) });
    await joinClass(db, { userId: student.id, inviteCode: ids.codeK });
    const issuePath = `/classes/${ids.classK}/students/${student.id}`;
    const issue = async (c: Client) => c.post(`/api/users/${student.id}/reset`, { back: issuePath }, { csrf: await c.csrf("/") });
    // Only the student's instructor and admins may issue one.
    for (const who of ["a", "b", "other"] as const) check(`POST reset as ${who}`, await issue(clients[who]), NOT_FOUND_POST);
    check("POST reset for the instructor as another instructor", await clients.other.post(`/api/users/${ids.teacher}/reset`, {}, { csrf: await clients.other.csrf("/") }), NOT_FOUND_POST);
    const issued = await issue(clients.teacher);
    check("POST reset as the instructor", issued, { status: 303, to: new RegExp(`^${issuePath}\\?msg=resetIssued&ref=`) });
    const shown = await clients.teacher.get(pathOf(issued.location));
    const link = /(http:\/\/127\.0\.0\.1:\d+\/reset\?token=[A-Za-z0-9_-]{43})/.exec(shown.body)?.[1];
    expect(link).toBeDefined();
    const token = new URL(link ?? "").searchParams.get("token") ?? "";
    // Nobody else sees the link by replaying the reference.
    expect((await clients.other.get(pathOf(issued.location))).body).not.toContain(token);
    // Stored hashed only.
    const rows = await db.run("reading resets", (p) => p.passwordReset.findMany({ where: { userId: student.id } }));
    expect(rows).toHaveLength(1);
    expect(rows[0]?.tokenHash).not.toContain(token);
    expect(rows[0]?.tokenHash).toMatch(/^[0-9a-f]{64}$/);
    const anon = new Client(portal.url);
    const form = await anon.get(`/reset?token=${token}`);
    expect(form.body).toContain("forgot@x.org");
    check("POST reset", await anon.post("/api/auth/reset", { token, password: "reset-new-pw-1" }, { csrf: await anon.csrf(`/reset?token=${token}`) }), { status: 303, to: /^\/signin\?msg=passwordResetDone$/ });
    await new Client(portal.url).signIn("forgot@x.org", "reset-new-pw-1");
    // Single use.
    check("POST reset again", await anon.post("/api/auth/reset", { token, password: "reset-new-pw-2" }, { csrf: await anon.csrf("/") }), { status: 303, to: /^\/reset\?err=errResetInvalid$/ });
    expect((await anon.get(`/reset?token=${token}`)).body).not.toContain("forgot@x.org");
    // Expiring, and a new link cancels the previous one.
    const second = await issue(clients.admin);
    const token2 = /token=([A-Za-z0-9_-]{43})/.exec((await clients.admin.get(pathOf(second.location))).body)?.[1] ?? "";
    const third = await issue(clients.teacher);
    const token3 = /token=([A-Za-z0-9_-]{43})/.exec((await clients.teacher.get(pathOf(third.location))).body)?.[1] ?? "";
    check("POST reset with a replaced link", await anon.post("/api/auth/reset", { token: token2, password: "reset-new-pw-3" }, { csrf: await anon.csrf("/") }), { status: 303, to: /errResetInvalid/ });
    await db.run("expiring a link", (p) => p.passwordReset.updateMany({ where: { userId: student.id, usedAt: null }, data: { expiresAt: new Date(Date.now() - 1000) } }));
    check("POST reset with an expired link", await anon.post("/api/auth/reset", { token: token3, password: "reset-new-pw-4" }, { csrf: await anon.csrf("/") }), { status: 303, to: /errResetInvalid/ });
    await new Client(portal.url).signIn("forgot@x.org", "reset-new-pw-1");
  });

  it("never sends reference solutions, hidden case generators, references or mutants", () => {
    expect(markers.length).toBeGreaterThan(10);
    expect(seen.length).toBeGreaterThan(100);
    for (const { what, body } of seen) {
      for (const m of markers) expect(body.includes(m), `${what} contains server-only text: ${m}`).toBe(false);
    }
  });
});
