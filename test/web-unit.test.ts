import { createClass, createUser, joinClass, submit, submitFreeText, syncExercises } from "@tfm/db";
import { openScratchDatabase, testProviders } from "@tfm/db/testing";
import { describe, expect, it } from "vitest";
import { canManageClass, canReviewAnswer, canViewLearner, canViewLearnerInClass, managedClass } from "../apps/web/lib/access.ts";
import { submissionTimeline } from "../apps/web/lib/class-stats.ts";
import { BOM, csvCell, toCsv } from "../apps/web/lib/csv.ts";
import { dictionaries, t } from "../apps/web/lib/i18n.ts";
import { SignInThrottle } from "../apps/web/lib/signin-throttle.ts";
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
  it("refuses an email after maxFailures failures within the window, until the oldest leaves it; success clears it", () => {
    const th = new SignInThrottle({ maxFailures: 3, windowMs: 60_000, maxTracked: 100 });
    const t0 = 1_000_000;
    th.recordFailure("A@x.org", t0);
    th.recordFailure("a@x.org ", t0 + 10_000);
    expect(th.retryAfterSeconds("a@x.org", t0 + 10_000)).toBe(0);
    th.recordFailure("a@x.org", t0 + 20_000);
    expect(th.retryAfterSeconds("a@x.org", t0 + 20_000)).toBe(40);
    expect(th.retryAfterSeconds("b@x.org", t0 + 20_000)).toBe(0);
    expect(th.retryAfterSeconds("a@x.org", t0 + 59_999)).toBe(1);
    expect(th.retryAfterSeconds("a@x.org", t0 + 60_000)).toBe(0);
    th.recordFailure("a@x.org", t0 + 61_000);
    expect(th.retryAfterSeconds("a@x.org", t0 + 61_000)).toBe(9);
    th.recordSuccess("A@X.ORG");
    expect(th.retryAfterSeconds("a@x.org", t0 + 61_000)).toBe(0);
  });

  it("tracks a bounded number of emails (the oldest records go first)", () => {
    const th = new SignInThrottle({ maxFailures: 1, windowMs: 60_000, maxTracked: 2 });
    th.recordFailure("1@x.org", 0);
    th.recordFailure("2@x.org", 0);
    th.recordFailure("3@x.org", 0);
    expect(th.retryAfterSeconds("1@x.org", 1)).toBe(0);
    expect(th.retryAfterSeconds("2@x.org", 1)).toBe(60);
    expect(th.retryAfterSeconds("3@x.org", 1)).toBe(60);
  });
});
