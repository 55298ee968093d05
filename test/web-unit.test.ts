import { createClass, createUser, joinClass, submit, submitFreeText, syncExercises } from "@tfm/db";
import { openScratchDatabase, testProviders } from "@tfm/db/testing";
import { describe, expect, it } from "vitest";
import { canManageClass, canReviewAnswer, canViewLearner, canViewLearnerInClass, managedClass } from "../apps/web/lib/access.ts";
import { submissionTimeline, withEmptyDays } from "../apps/web/lib/class-stats.ts";
import { BOM, csvCell, toCsv } from "../apps/web/lib/csv.ts";
import { dictionaries, sectionLabel, t } from "../apps/web/lib/i18n.ts";
import { MISSING, diffColour, excess } from "../apps/web/lib/heatmap-scale.ts";
import { itemView } from "../apps/web/lib/checklist-view.ts";
import { SignInThrottle, clientAddress, forwardedFor } from "../apps/web/lib/signin-throttle.ts";
import { BoundedCache, CATALOG_ID, graderPath } from "../apps/web/lib/grader-path.ts";
import { FlashStore, numericVars } from "../apps/web/lib/flash.ts";
import { RunLimiter } from "../apps/web/lib/run-limit.ts";
import { ensureGraderToken } from "../scripts/grader-token.ts";
import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { cookieOptions, csrfMatches, csrfTokenFor, newPresessionToken, safeNext, sameOrigin } from "../apps/web/lib/security.ts";

describe("i18n dictionaries", () => {
  it("have the same keys in Japanese and English, none empty, with the same placeholders", () => {
    const ja = dictionaries.ja;
    const en = dictionaries.en;
    expect(Object.keys(en).sort()).toEqual(Object.keys(ja).sort());
    for (const key of Object.keys(ja) as (keyof typeof ja)[]) {
      expect(ja[key].trim(), `ja.${key}`).not.toBe("");
      expect(en[key].trim(), `en.${key}`).not.toBe("");
      const vars = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
      expect(vars(en[key]), `placeholders of ${key}`).toEqual(vars(ja[key]));
    }
  });

  it("fills placeholders and leaves unknown ones visible", () => {
    expect(t("en", "testsPassed", { passed: 3, total: 8 })).toBe("3 / 8 tests passed");
    expect(t("ja", "testsPassed", { passed: 3, total: 8 })).toBe("3 / 8 テスト合格");
    expect(t("en", "testsPassed", { passed: 1 })).toBe("1 / {total} tests passed");
  });
});

describe("CSV", () => {
  it("quotes commas, quotes and line breaks, and keeps Japanese as is", () => {
    expect(csvCell("佐藤 愛子")).toBe("佐藤 愛子");
    expect(csvCell('say "hi", ok')).toBe('"say ""hi"", ok"');
    expect(csvCell("two\nlines")).toBe('"two\nlines"');
    expect(csvCell(" padded")).toBe('" padded"');
    expect(csvCell(0.5)).toBe("0.5");
    expect(csvCell(Number.NaN)).toBe("");
    expect(csvCell(null)).toBe("");
    expect(csvCell(true)).toBe("true");
  });

  it("defuses spreadsheet formulas in text cells", () => {
    expect(csvCell("=HYPERLINK(\"http://x\")")).toBe('"\'=HYPERLINK(""http://x"")"');
    expect(csvCell("+1")).toBe("'+1");
    expect(csvCell("-2")).toBe("'-2");
    expect(csvCell("@cmd")).toBe("'@cmd");
    expect(csvCell(-2)).toBe("-2");
  });

  it("starts with a BOM and ends rows with CRLF", () => {
    const text = toCsv([["a", "b"], [1, "x,y"]]);
    expect(text.startsWith(BOM)).toBe(true);
    expect(text.slice(1)).toBe('a,b\r\n1,"x,y"\r\n');
  });
});

describe("session and CSRF helpers", () => {
  const req = (url: string, headers: Record<string, string>) => ({ url, headers: new Headers(headers) });

  it("derives a CSRF token from the cookie token that only that cookie matches", () => {
    const a = newPresessionToken();
    const b = newPresessionToken();
    expect(a).not.toBe(b);
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(csrfMatches(a, csrfTokenFor(a))).toBe(true);
    expect(csrfMatches(b, csrfTokenFor(a))).toBe(false);
    expect(csrfMatches(a, "")).toBe(false);
    expect(csrfMatches(a, null)).toBe(false);
    expect(csrfMatches(undefined, csrfTokenFor(a))).toBe(false);
    expect(csrfMatches(a, `${csrfTokenFor(a)}x`)).toBe(false);
  });

  it("accepts a POST only from the portal's own origin", () => {
    const url = "http://127.0.0.1:3000/api/x";
    expect(sameOrigin(req(url, { host: "127.0.0.1:3000", origin: "http://127.0.0.1:3000" }))).toBe(true);
    expect(sameOrigin(req(url, { host: "127.0.0.1:3000", origin: "http://evil.example" }))).toBe(false);
    expect(sameOrigin(req(url, { host: "127.0.0.1:3000", origin: "null" }))).toBe(false);
    expect(sameOrigin(req(url, { host: "127.0.0.1:3000", referer: "http://127.0.0.1:3000/exercises" }))).toBe(true);
    expect(sameOrigin(req(url, { host: "127.0.0.1:3000", referer: "http://127.0.0.1:3001/" }))).toBe(false);
    expect(sameOrigin(req(url, { host: "127.0.0.1:3000" }))).toBe(false);
    expect(sameOrigin(req(url, { host: "portal.example", "x-forwarded-proto": "https", origin: "https://portal.example" }))).toBe(true);
  });

  it("sets httpOnly, SameSite=Lax cookies, Secure over https or when forced", () => {
    const plain = cookieOptions(req("http://127.0.0.1:3000/", {}), {});
    expect(plain).toMatchObject({ httpOnly: true, sameSite: "lax", secure: false, path: "/" });
    expect(cookieOptions(req("http://127.0.0.1:3000/", { "x-forwarded-proto": "https" }), {}).secure).toBe(true);
    expect(cookieOptions(req("https://portal.example/", {}), {}).secure).toBe(true);
    expect(cookieOptions(req("http://127.0.0.1:3000/", {}), { TFM_COOKIE_SECURE: "1" }).secure).toBe(true);
    expect(cookieOptions(req("https://portal.example/", {}), { TFM_COOKIE_SECURE: "0" }).secure).toBe(false);
    expect(cookieOptions(req("http://x/", {}), {}, 60).maxAge).toBe(60);
  });

  it("redirects after sign-in only to local paths", () => {
    expect(safeNext("/checklist")).toBe("/checklist");
    expect(safeNext("//evil.example/x")).toBe("/exercises");
    expect(safeNext("https://evil.example")).toBe("/exercises");
    expect(safeNext("/\\evil.example")).toBe("/exercises");
    expect(safeNext(undefined, "/classes")).toBe("/classes");
  });

  // Each of these, after a successful sign-in, must land on the portal: the answer is either the
  // fallback or a path that a browser resolves to the portal's own origin.
  it.each([
    ["/\t/evil.example/", "tab after the first slash"],
    ["/\r/evil.example", "CR after the first slash"],
    ["/\n/evil.example", "LF after the first slash"],
    ["/\t\t/evil.example", "two tabs"],
    ["\t//evil.example", "leading tab"],
    ["/\\evil.example", "backslash"],
    ["\\\\evil.example", "two backslashes"],
    ["/\\/evil.example", "slash backslash slash"],
    ["//evil.example", "protocol-relative"],
    ["///evil.example", "three slashes"],
    ["/.//evil.example", "dot segment then two slashes"],
    ["/%2F/evil.example", "encoded slash (stays a path)"],
    ["/%5C/evil.example", "encoded backslash (stays a path)"],
    ["javascript:alert(1)", "javascript: URL"],
    ["/javascript:alert(1)", "javascript: as a path (stays a path)"],
    ["https://evil.example", "absolute URL"],
    ["https:evil.example", "scheme without slashes"],
    ["/@evil.example", "at sign as a path"],
    ["//user:pw@evil.example/", "userinfo"],
    ["/ /evil.example", "space"],
    ["/\u0000/evil.example", "NUL"],
    ["", "empty"],
  ])("keeps %j on the portal (%s)", (input) => {
    const got = safeNext(input);
    const base = "https://portal.example";
    expect(got.startsWith("/")).toBe(true);
    expect(got.startsWith("//")).toBe(false);
    // How a browser reads the Location header: relative to the page, control characters stripped.
    expect(new URL(got, base).origin).toBe(base);
    expect(new URL(got.replace(/[\t\r\n]/g, ""), base).origin).toBe(base);
  });

  it("keeps ordinary local paths with their query and fragment", () => {
    expect(safeNext("/exercises/x?tab=2#top")).toBe("/exercises/x?tab=2#top");
    expect(safeNext("/classes/abc/students/def")).toBe("/classes/abc/students/def");
    expect(safeNext("/signin?next=%2Fchecklist")).toBe("/signin?next=%2Fchecklist");
  });
});

describe.each(testProviders())("access rules on %s", (provider) => {
  it("students see only their own work; instructors their classes' students; admins everything", async () => {
    const { db, close } = await openScratchDatabase(provider, "webaccess");
    try {
      const [a, b, outsider, teacher, other, admin] = await Promise.all([
        createUser(db, { email: "a@x.org", displayName: "A" }),
        createUser(db, { email: "b@x.org", displayName: "B" }),
        createUser(db, { email: "c@x.org", displayName: "C" }),
        createUser(db, { email: "t@x.org", displayName: "T", role: "instructor" }),
        createUser(db, { email: "o@x.org", displayName: "O", role: "instructor" }),
        createUser(db, { email: "adm@x.org", displayName: "Adm", role: "admin" }),
      ]);
      const cls = await createClass(db, { name: "K", ownerId: teacher.id });
      const otherCls = await createClass(db, { name: "L", ownerId: other.id });
      await joinClass(db, { userId: a.id, inviteCode: cls.inviteCode });
      await joinClass(db, { userId: b.id, inviteCode: cls.inviteCode });
      await joinClass(db, { userId: outsider.id, inviteCode: otherCls.inviteCode });
      const answer = await submitFreeText(db, { userId: a.id, problemId: "qkv-analogy", text: "an answer" });
      const v = (u: { id: string; role: "student" | "instructor" | "admin" }) => ({ id: u.id, role: u.role });

      expect(await canViewLearner(db, v(a), a.id)).toBe(true);
      expect(await canViewLearner(db, v(b), a.id)).toBe(false);
      expect(await canViewLearner(db, null, a.id)).toBe(false);
      expect(await canViewLearner(db, v(teacher), a.id)).toBe(true);
      expect(await canViewLearner(db, v(teacher), outsider.id)).toBe(false);
      expect(await canViewLearner(db, v(other), a.id)).toBe(false);
      expect(await canViewLearner(db, v(admin), outsider.id)).toBe(true);

      expect(canManageClass(v(teacher), cls)).toBe(true);
      expect(canManageClass(v(other), cls)).toBe(false);
      expect(canManageClass(v(a), cls)).toBe(false);
      expect(canManageClass({ id: teacher.id, role: "student" }, cls)).toBe(false);
      expect(canManageClass(v(admin), cls)).toBe(true);
      expect((await managedClass(db, v(teacher), cls.id))?.id).toBe(cls.id);
      expect(await managedClass(db, v(other), cls.id)).toBeNull();
      expect(await managedClass(db, v(a), cls.id)).toBeNull();
      expect(await managedClass(db, v(admin), "no-such-class")).toBeNull();

      expect(await canViewLearnerInClass(db, v(teacher), cls, a.id)).toBe(true);
      expect(await canViewLearnerInClass(db, v(teacher), cls, outsider.id)).toBe(false);
      expect(await canViewLearnerInClass(db, v(other), cls, a.id)).toBe(false);

      expect(await canReviewAnswer(db, v(teacher), answer.id)).toBe(true);
      expect(await canReviewAnswer(db, v(other), answer.id)).toBe(false);
      expect(await canReviewAnswer(db, v(a), answer.id)).toBe(false);
      expect(await canReviewAnswer(db, v(admin), answer.id)).toBe(true);
      expect(await canReviewAnswer(db, v(admin), "nope")).toBe(false);
    } finally {
      await close();
    }
  });
});

describe.each(testProviders())("class submission timeline on %s", (provider) => {
  it("counts a class's submissions per Japan day (UTC+9), and only its own students'", async () => {
    const { db, close } = await openScratchDatabase(provider, "webtimeline");
    try {
      await syncExercises(db, [{ id: "positional-encoding", version: "pe1", order: 7, area: "implementation", title: { ja: "位置符号化", en: "PE" }, meta: {} }]);
      const [a, outsider, teacher] = await Promise.all([
        createUser(db, { email: "a@x.org", displayName: "A" }),
        createUser(db, { email: "c@x.org", displayName: "C" }),
        createUser(db, { email: "t@x.org", displayName: "T", role: "instructor" }),
      ]);
      const cls = await createClass(db, { name: "K", ownerId: teacher.id });
      const other = await createClass(db, { name: "L", ownerId: teacher.id });
      await joinClass(db, { userId: a.id, inviteCode: cls.inviteCode });
      await joinClass(db, { userId: outsider.id, inviteCode: other.inviteCode });
      const at = (iso: string, userId = a.id) => submit(db, { userId, exerciseId: "positional-encoding", source: "export {};", seed: 1, receivedAt: new Date(iso) });
      await at("2026-12-05T14:59:00Z"); // 23:59 on the 5th in Tokyo
      await at("2026-12-05T15:00:00Z"); // 00:00 on the 6th in Tokyo
      await at("2026-12-06T03:00:00Z"); // noon on the 6th in Tokyo
      await at("2026-12-06T03:00:00Z", outsider.id); // another class
      const timeline = await submissionTimeline(db, cls.id, 30, new Date("2026-12-07T00:00:00Z"));
      expect(timeline).toEqual([
        { day: "2026-12-05", count: 1 },
        { day: "2026-12-06", count: 2 },
      ]);
    } finally {
      await close();
    }
  });
});

describe("sign-in throttle", () => {
  const opts = { freeFailures: 3, baseDelayMs: 1_000, maxDelayMs: 60_000, forgetAfterMs: 3_600_000, addressMaxFailures: 8, addressWindowMs: 60_000, maxTracked: 100 };
  const t0 = 1_000_000;

  it("backs off exponentially per (account, address) after the free failures; success clears the pair", () => {
    const th = new SignInThrottle(opts);
    for (let i = 0; i < 3; i++) th.recordFailure(i === 0 ? "A@x.org" : "a@x.org ", "10.0.0.1", t0);
    expect(th.retryAfterSeconds("a@x.org", "10.0.0.1", t0)).toBe(1);
    th.recordFailure("a@x.org", "10.0.0.1", t0 + 1_000);
    expect(th.retryAfterSeconds("a@x.org", "10.0.0.1", t0 + 1_000)).toBe(2);
    th.recordFailure("a@x.org", "10.0.0.1", t0 + 3_000);
    expect(th.retryAfterSeconds("a@x.org", "10.0.0.1", t0 + 3_000)).toBe(4);
    expect(th.retryAfterSeconds("a@x.org", "10.0.0.1", t0 + 6_999)).toBe(1);
    expect(th.retryAfterSeconds("a@x.org", "10.0.0.1", t0 + 7_000)).toBe(0);
    th.recordSuccess("A@X.ORG", "10.0.0.1");
    expect(th.retryAfterSeconds("a@x.org", "10.0.0.1", t0 + 7_000)).toBe(0);
  });

  it("never slows the owner at an address that has not failed (no lockout by a stranger)", () => {
    const th = new SignInThrottle(opts);
    for (let i = 0; i < 7; i++) th.recordFailure("owner@x.org", "203.0.113.9", t0 + i);
    expect(th.retryAfterSeconds("owner@x.org", "203.0.113.9", t0 + 10)).toBeGreaterThan(0);
    expect(th.retryAfterSeconds("owner@x.org", "10.0.0.2", t0 + 10)).toBe(0);
  });

  it("caps the delay", () => {
    const th = new SignInThrottle({ ...opts, addressMaxFailures: 1000 });
    for (let i = 0; i < 40; i++) th.recordFailure("a@x.org", "10.0.0.1", t0);
    expect(th.retryAfterSeconds("a@x.org", "10.0.0.1", t0)).toBe(60);
  });

  it("limits failures per address over many accounts (password spraying), until the oldest leaves the window", () => {
    const th = new SignInThrottle(opts);
    for (let i = 0; i < 8; i++) th.recordFailure(`user${i}@x.org`, "198.51.100.7", t0 + i * 1_000);
    // A ninth account, never tried, is refused from that address, but not from another.
    expect(th.retryAfterSeconds("user99@x.org", "198.51.100.7", t0 + 8_000)).toBe(52);
    expect(th.retryAfterSeconds("user99@x.org", "198.51.100.8", t0 + 8_000)).toBe(0);
    expect(th.retryAfterSeconds("user99@x.org", "198.51.100.7", t0 + 60_000)).toBe(0);
  });

  it("tracks a bounded number of pairs and addresses (the oldest go first)", () => {
    const th = new SignInThrottle({ ...opts, freeFailures: 1, maxTracked: 2 });
    th.recordFailure("1@x.org", "a", 0);
    th.recordFailure("2@x.org", "b", 0);
    th.recordFailure("3@x.org", "c", 0);
    expect(th.tracked).toEqual({ pairs: 2, addresses: 2 });
    expect(th.retryAfterSeconds("1@x.org", "a", 1)).toBe(0);
    expect(th.retryAfterSeconds("3@x.org", "c", 1)).toBe(1);
  });

  it("reads the client address the portal's server recorded, never a value the client prepended", () => {
    expect(clientAddress(new Headers({ "x-forwarded-for": "127.0.0.1" }))).toBe("127.0.0.1");
    expect(clientAddress(new Headers({ "x-forwarded-for": "6.6.6.6, 10.1.2.3" }))).toBe("10.1.2.3");
    expect(clientAddress(new Headers())).toBe("unknown");
    // The server replaces what the client sent with the socket's peer, unless told to trust a proxy.
    expect(forwardedFor("6.6.6.6", "10.1.2.3", false)).toBe("10.1.2.3");
    expect(forwardedFor(["6.6.6.6", "7.7.7.7"], "10.1.2.3", false)).toBe("10.1.2.3");
    expect(forwardedFor("6.6.6.6, 192.0.2.1", "10.9.9.9", true)).toBe("192.0.2.1");
    expect(forwardedFor(undefined, "10.9.9.9", true)).toBe("10.9.9.9");
  });
});

describe("grader URLs and the exercise cache", () => {
  it("encodes every id as one path segment (no traversal, query or fragment from an id)", () => {
    expect(graderPath(["v1", "free-text", "qkv-analogy", "answer"])).toBe("/v1/free-text/qkv-analogy/answer");
    const evil = graderPath(["v1", "free-text", "../../v1/grade?", "answer"]);
    expect(evil).toBe("/v1/free-text/..%2F..%2Fv1%2Fgrade%3F/answer");
    // Resolved against the grader's origin it stays under /v1/free-text/, with no query.
    const url = new URL(evil, "http://127.0.0.1:4010");
    expect(url.pathname.startsWith("/v1/free-text/")).toBe(true);
    expect(url.search).toBe("");
    for (const dots of ["..", ".", "%2e%2e", ".%2E", ""]) expect(() => graderPath(["v1", "free-text", dots, "answer"])).toThrow("not a grader path segment");
    expect(graderPath(["v1", "quizzes", "math-shapes"], { seed: 7 })).toBe("/v1/quizzes/math-shapes?seed=7");
    expect(CATALOG_ID.test("../x")).toBe(false);
    expect(CATALOG_ID.test("scaled-dot-product-attention")).toBe(true);
  });

  it("keeps a bounded number of entries, the least recently used going first, and drops failures", async () => {
    const c = new BoundedCache(3, 60_000);
    let loads = 0;
    const load = (v: string) => () => {
      loads++;
      return Promise.resolve(v);
    };
    for (let i = 0; i < 1000; i++) await c.get(`k${i}`, load(`v${i}`), 0);
    expect(c.size).toBe(3);
    expect(loads).toBe(1000);
    await c.get("k997", load("again"), 1);
    expect(loads).toBe(1000);
    await c.get("k1000", load("new"), 2);
    // k997 was used last, so k998 went first.
    expect(await c.get("k997", load("x"), 3)).toBe("v997");
    expect(loads).toBe(1001);
    await expect(c.get("bad", () => Promise.reject(new Error("down")), 4)).rejects.toThrow("down");
    expect(await c.get("bad", load("up"), 5)).toBe("up");
    // Expired entries are loaded again.
    expect(await c.get("k997", load("fresh"), 60_004)).toBe("fresh");
  });
});

describe("messages after a form post", () => {
  it("looks details up on the server, only for the cookie that made them", () => {
    const store = new FlashStore({ maxEntries: 3, ttlMs: 1_000 });
    const ref = store.put("cookie-a", { detail: "the code is empty" }, 0);
    expect(store.get("cookie-a", ref, 10)).toEqual({ detail: "the code is empty" });
    expect(store.get("cookie-b", ref, 10)).toBeNull();
    expect(store.get(undefined, ref, 10)).toBeNull();
    expect(store.get("cookie-a", "forged-reference", 10)).toBeNull();
    expect(store.get("cookie-a", ref, 1_001)).toBeNull();
    for (let i = 0; i < 10; i++) store.put("cookie-a", { detail: String(i) }, 0);
    expect(store.size).toBe(3);
    expect(store.put("c", { detail: "x".repeat(10_000) }).length).toBeLessThan(40);
  });

  it("takes only small numbers from the query, never text", () => {
    expect(numericVars({ minutes: "15", count: "3", name: "Evil Corp: call 555", detail: "<b>pay</b>", big: "12345678901", list: ["1", "2"] })).toEqual({ minutes: "15", count: "3" });
  });
});

describe("public-test run limit", () => {
  it("caps concurrent runs per user and runs per minute, independently for each user", () => {
    const lim = new RunLimiter(3, 2);
    const a1 = lim.acquire("a", 0);
    const a2 = lim.acquire("a", 0);
    expect(a1.ok && a2.ok).toBe(true);
    expect(lim.acquire("a", 0)).toEqual({ ok: false, reason: "concurrent", retryAfterSeconds: 1 });
    // Another user is not affected.
    expect(lim.acquire("b", 0).ok).toBe(true);
    if (a1.ok) {
      a1.release();
      a1.release();
    }
    const a3 = lim.acquire("a", 10_000);
    expect(a3.ok).toBe(true);
    if (a2.ok) a2.release();
    if (a3.ok) a3.release();
    // Three starts within 60 s: the fourth waits until the first leaves the window.
    expect(lim.acquire("a", 20_000)).toEqual({ ok: false, reason: "rate", retryAfterSeconds: 40 });
    expect(lim.acquire("a", 60_000).ok).toBe(true);
  });

  it("tracks a bounded number of idle users", () => {
    const lim = new RunLimiter(5, 1, 10);
    for (let i = 0; i < 100; i++) {
      const d = lim.acquire(`u${i}`, 0);
      if (d.ok) d.release();
    }
    expect(lim.tracked).toBeLessThanOrEqual(10);
  });
});

describe("npm start's grader token", () => {
  it("is made once, kept with mode 600, reused, and replaced when unusable", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "tfm-token-"));
    try {
      const first = ensureGraderToken(path.join(dir, "data"));
      expect(first.created).toBe(true);
      expect(first.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(statSync(first.file).mode & 0o777).toBe(0o600);
      const again = ensureGraderToken(path.join(dir, "data"));
      expect(again).toEqual({ ...first, created: false });
      chmodSync(first.file, 0o644);
      expect(ensureGraderToken(path.join(dir, "data")).token).toBe(first.token);
      expect(statSync(first.file).mode & 0o777).toBe(0o600);
      writeFileSync(first.file, "short\n");
      const replaced = ensureGraderToken(path.join(dir, "data"));
      expect(replaced.created).toBe(true);
      expect(replaced.token).not.toBe(first.token);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("learning views", () => {
  it("shows every day of the timeline, empty days at 0, up to today in Japan time", () => {
    const now = new Date("2026-12-06T16:00:00Z"); // 2026-12-07 01:00 in Tokyo
    expect(withEmptyDays([{ day: "2026-12-03", count: 2 }, { day: "2026-12-05", count: 1 }], now)).toEqual([
      { day: "2026-12-03", count: 2 },
      { day: "2026-12-04", count: 0 },
      { day: "2026-12-05", count: 1 },
      { day: "2026-12-06", count: 0 },
      { day: "2026-12-07", count: 0 },
    ]);
    expect(withEmptyDays([], now)).toEqual([]);
  });

  it("scales the difference heatmap to the exercise's tolerance: float noise is white", () => {
    const tol = { atol: 1e-6, rtol: 1e-5 };
    expect(diffColour(3e-8, 0.25, tol)).toBe("rgb(255,255,255)");
    expect(diffColour(-3e-8, 0.25, tol)).toBe("rgb(255,255,255)");
    expect(diffColour(3.4e-6, 0.25, tol)).toBe("rgb(255,255,255)");
    // Just outside: visible but light; 100x: full red or blue.
    expect(excess(4e-6, 0.25, tol)).toBeGreaterThan(0.2);
    expect(excess(4e-6, 0.25, tol)).toBeLessThan(0.3);
    expect(diffColour(1, 0.25, tol)).toBe("rgb(255,40,40)");
    expect(diffColour(-1, 0.25, tol)).toBe("rgb(40,40,255)");
    expect(diffColour(null, 0.25, tol)).toBe(MISSING);
  });

  it("shows a checklist item's parts done and what is still needed, as titles with links", () => {
    const catalog = {
      exercises: [
        { id: "simple-attention", title: { ja: "単純なアテンション", en: "Simple attention" } },
        { id: "scaled-dot-product-attention", title: { ja: "スケール化内積アテンション", en: "Scaled dot-product attention" } },
      ],
      quizzes: [{ id: "math-shapes", title: { ja: "形", en: "Shapes" } }],
      freeText: [],
    };
    const item = { id: "impl-scaled-dot-product-attention", group: "implementation", text: { ja: "実装できる", en: "Can implement" }, evidence: { kind: "exercise", exercises: ["scaled-dot-product-attention", "simple-attention"] } } as const;
    const progress = { items: [{ id: item.id, group: "implementation", done: false, evidence: null, at: null, pending: ["simple-attention"] }] } as unknown as Parameters<typeof itemView>[1];
    const v = itemView(item as unknown as Parameters<typeof itemView>[0], progress, catalog, "en");
    expect(v).toMatchObject({ done: false, total: 2, doneParts: 1, pending: [{ id: "simple-attention", title: "Simple attention", href: "/exercises/simple-attention" }] });
    expect(t("en", "itemPartsDone", { done: v.doneParts, total: v.total })).toBe("1 of 2 done");
    expect(t("ja", "itemPartsDone", { done: 1, total: 2 })).toBe("1 / 2 完了");
    const none = itemView(item as unknown as Parameters<typeof itemView>[0], null, catalog, "ja");
    expect(none).toMatchObject({ doneParts: 0, total: 2 });
    expect(none.pending.map((p) => p.title)).toEqual(["スケール化内積アテンション", "単純なアテンション"]);
  });

  it("names the chapter's sections in words, never by internal id", () => {
    for (const lang of ["ja", "en"] as const) {
      const tr = (k: Parameters<typeof t>[1], v?: Record<string, string | number>) => t(lang, k, v);
      for (const id of ["pitfalls", "licences", "exercises", "reproducibility"]) {
        expect(sectionLabel(tr, id)).not.toBe(tr("section", { section: id }));
        expect(sectionLabel(tr, id)).not.toMatch(new RegExp(`(節|Section) ${id}`));
      }
      expect(sectionLabel(tr, "1.3")).toContain("1.3");
    }
  });
});
