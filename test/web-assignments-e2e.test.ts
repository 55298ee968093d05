import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { Database, createClass, createUser, hashPassword, joinClass, migrate } from "@tfm/db";
import { createScratchDatabase } from "@tfm/db/testing";
import { DateTime } from "luxon";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mutantSourceIn } from "../apps/grader/src/mutants.ts";
import { startGrader } from "../apps/grader/src/server.ts";
import { Client, type Portal, ROOT, ensureWebBuild, launchChromium, startPortal, typeCode, unlabelled } from "./web/harness.ts";

/**
 * Assignments in a real browser (issue 18) against the production build, a real grader and a scratch
 * SQLite file. An instructor creates and publishes an assignment due two minutes ahead with a hard
 * close shortly after, gives one student an extension and overrides one score; students submit in
 * the browser before and after the deadline; then the instructor's view, each student's page, the
 * CSV and the audit log are compared with a computation made here, independently of
 * @tfm/progress, from the receipt times stored by the durable queue. Screenshots of every new page
 * at a laptop (1366x768) and a tablet (820x1180) size go to test-artifacts/screenshots/.
 */

const SHOTS = path.join(ROOT, "test-artifacts/screenshots");
const EX = "self-attention";
const QZ = "math-shapes";
const ZONE = "Asia/Tokyo";
const PASSWORD = "assignment-password";
const TEACHER = { email: "asg-teacher@example.org", name: "課題 先生" };
const OTHER = { email: "asg-other@example.org", name: "Other Teacher" };
const A = { email: "asg-a@example.org", name: "青木 Aoki" }; // on time
const B = { email: "asg-b@example.org", name: "Berger Bea" }; // wrong on time, right late, quiz overridden; browser in Europe/Berlin
const C = { email: "asg-c@example.org", name: "千葉 Chiba" }; // extension, submits after the due time
const REASON = "family emergency (confidential)";
const DAY = 86_400_000;
/** How far ahead the due time is set when the assignment is created; the close follows it. */
const DUE_AHEAD_MS = 150_000;
const CLOSE_AFTER_DUE_MS = 50_000;

const right = readFileSync(path.join(ROOT, "exercises", EX, "solution.ts"), "utf8");
const wrong = mutantSourceIn(path.join(ROOT, "exercises", EX), "missing-scale");

const SIZES = { laptop: { width: 1366, height: 768 }, tablet: { width: 820, height: 1180 } } as const;

async function shots(page: Page, name: string): Promise<void> {
  for (const [size, viewport] of Object.entries(SIZES)) {
    await page.setViewportSize(viewport);
    await page.screenshot({ path: path.join(SHOTS, `asg-${name}-${size}.png`), fullPage: true });
  }
  await page.setViewportSize(SIZES.laptop);
}

/**
 * The wall-clock value of <input type="datetime-local" step=1> for an instant in the class's zone, in
 * HTML's normalized form: seconds only when they are not zero (Chromium turns "...T06:31:00" into "...T06:31", and Playwright's fill then reports the value
 * as malformed: the test failed whenever a computed moment fell on a whole minute).
 */
const localInput = (ms: number) => {
  const t = DateTime.fromMillis(ms, { zone: ZONE });
  return t.toFormat(t.second === 0 ? "yyyy-MM-dd'T'HH:mm" : "yyyy-MM-dd'T'HH:mm:ss");
};

// ---- The independent computation: Asia/Tokyo has no DST, so a late day is a started 24 hours. ----
interface Work {
  receivedAt: number;
  score: number | null;
  counts: boolean;
}
interface Expected {
  score: number;
  status: "on_time" | "late" | "missing" | "pending";
}
function expectedItem(work: Work[], due: number, close: number, override: number | null): Expected {
  let best: { value: number; late: boolean } | null = null;
  let waiting = false;
  for (const w of work) {
    if (!w.counts || w.receivedAt > close) continue;
    if (w.score === null) {
      waiting = true;
      continue;
    }
    const daysLate = w.receivedAt <= due ? 0 : Math.ceil((w.receivedAt - due) / DAY);
    const value = w.score * Math.max(0.5, 1 - 0.1 * daysLate);
    if (best === null || value > best.value) best = { value, late: daysLate > 0 };
  }
  const status = best !== null ? (best.late ? "late" : "on_time") : waiting ? "pending" : "missing";
  return { score: override ?? best?.value ?? 0, status };
}

describe("assignments end to end in chromium", () => {
  let browser: Browser;
  let portal: Portal;
  let grader: { url: string; close(): Promise<void> };
  let db: Database;
  let drop: () => Promise<void>;
  let classId = "";
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    await ensureWebBuild();
    const scratch = await createScratchDatabase("sqlite", "webasg");
    drop = scratch.drop;
    await migrate(scratch.config);
    db = await Database.connect(scratch.config);
    grader = await startGrader({ ...process.env, TFM_DATABASE_URL: scratch.url, TFM_GRADER_PORT: "0", TFM_GRADER_WORKERS: "1" });
    const hash = await hashPassword(PASSWORD);
    const teacher = await createUser(db, { email: TEACHER.email, displayName: TEACHER.name, role: "instructor", passwordHash: hash });
    await createUser(db, { email: OTHER.email, displayName: OTHER.name, role: "instructor", passwordHash: hash });
    const cls = await createClass(db, { name: "課題クラス 2026", ownerId: teacher.id });
    classId = cls.id;
    for (const s of [A, B, C]) {
      const u = await createUser(db, { email: s.email, displayName: s.name, passwordHash: hash });
      await joinClass(db, { userId: u.id, inviteCode: cls.inviteCode });
      ids[s.email] = u.id;
    }
    portal = await startPortal({ TFM_DATABASE_URL: scratch.url, TFM_GRADER_URL: grader.url });
    browser = await launchChromium();
  }, 900_000);

  afterAll(async () => {
    await browser?.close();
    await portal?.close();
    await grader?.close();
    await db?.close();
    await drop?.();
  });

  async function signedIn(email: string, options: { timezoneId?: string } = {}): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.newContext({ viewport: SIZES.laptop, acceptDownloads: true, ...(options.timezoneId === undefined ? {} : { timezoneId: options.timezoneId }) });
    const page = await context.newPage();
    await page.goto(`${portal.url}/signin`);
    await page.getByLabel("メールアドレス").fill(email);
    await page.getByLabel("パスワード").fill(PASSWORD);
    await page.getByRole("button", { name: "ログイン" }).click();
    await page.waitForURL((u) => !u.pathname.startsWith("/signin"));
    return { context, page };
  }

  /** Submits in the browser's editor and waits for the verdict; returns the stored submission's id. */
  async function submitInBrowser(page: Page, code: string, verdict: "passed" | "failed"): Promise<void> {
    await page.goto(`${portal.url}/exercises/${EX}`);
    await page.locator(".cm-content").waitFor();
    await typeCode(page, code);
    const before = await page.getByTestId("history").locator("tbody tr").count();
    await page.getByTestId("submit").click();
    await page.locator(`[data-verdict="${verdict}"]`).waitFor({ timeout: 120_000 });
    await expect.poll(() => page.getByTestId("history").locator("tbody tr").count(), { timeout: 30_000 }).toBe(before + 1);
  }

  it("create, publish, extend, override; submissions before and after the deadline; every view agrees with an independent computation", async () => {
    try {
      await journey();
    } catch (e) {
      // What every open page showed when it failed, for the person reading the failure.
      for (const [i, page] of browser.contexts().flatMap((c) => c.pages()).entries()) await page.screenshot({ path: path.join(SHOTS, `asg-failure-${i}.png`), fullPage: true }).catch(() => {});
      writeFileSync(path.join(SHOTS, "asg-failure-portal.log"), portal.log().slice(-20_000));
      throw e;
    }
  }, 900_000);

  async function journey(): Promise<void> {
    // ---------------- The instructor creates and publishes the assignment. ----------------
    const teacher = await signedIn(TEACHER.email);
    const tp = teacher.page;
    await tp.goto(`${portal.url}/classes/${classId}/assignments`);
    expect(await tp.getByTestId("zone").innerText()).toContain(ZONE);
    const created = Date.now();
    const due = Math.floor((created + DUE_AHEAD_MS) / 1000) * 1000;
    const close = due + CLOSE_AFTER_DUE_MS;
    const form = tp.getByTestId("assignment-form-new");
    await form.getByLabel("タイトル (日本語)").fill("第1回 課題 (E2E)");
    await form.getByLabel("タイトル (英語)").fill("Assignment 1 (E2E)");
    await form.getByLabel(/公開開始/).fill(localInput(created - 3_600_000));
    await form.getByLabel(/^締切/).fill(localInput(due));
    await form.getByLabel(/最終締切/).fill(localInput(close));
    await form.getByLabel("1 日ごとに減点").check();
    await form.getByLabel("1 日あたりの減点 (%)").fill("10");
    await form.getByLabel("下限 (元の得点の %)").fill("50");
    await form.locator(`input[name="item"][value="exercise:${EX}"]`).check();
    await form.locator(`input[name="weight:exercise:${EX}"]`).fill("2");
    await form.locator(`input[name="item"][value="quiz:${QZ}"]`).check();
    await form.locator(`input[name="weight:quiz:${QZ}"]`).fill("1");
    expect(await unlabelled(tp)).toEqual([]);
    await form.getByRole("button", { name: "課題を作成" }).click();
    await tp.waitForURL(/\/assignments\/[a-z0-9]+\?msg=asgCreated/);
    const aid = /\/assignments\/([a-z0-9]+)/.exec(tp.url())?.[1] ?? "";
    expect(aid).not.toBe("");
    expect(await tp.getByTestId("published").innerText()).toBe("下書き");
    await tp.getByTestId("publish-toggle").click();
    await expect.poll(() => tp.getByTestId("published").innerText()).toBe("公開中");
    // The rules as stored: UTC instants from the Tokyo wall-clock values.
    const stored = await db.run("t", (p) => p.assignment.findUniqueOrThrow({ where: { id: aid } }));
    expect(stored.dueAt.getTime()).toBe(due);
    expect(stored.closesAt?.getTime()).toBe(close);

    // An extension ending before the original due time is refused with a clear message.
    const ext = tp.getByTestId("extension-form");
    await ext.getByLabel("学生").selectOption(ids[C.email] ?? "");
    await ext.getByLabel(/新しい締切/).fill(localInput(due - 60_000));
    await ext.getByLabel(/理由/).fill(REASON);
    await ext.getByRole("button", { name: "延長する" }).click();
    await expect.poll(() => tp.locator(".msg.error").innerText()).toMatch(/延長できません: .*not after the original due time/);
    // A day's extension for C.
    const extDue = due + DAY;
    await tp.getByTestId("extension-form").getByLabel("学生").selectOption(ids[C.email] ?? "");
    await tp.getByTestId("extension-form").getByLabel(/新しい締切/).fill(localInput(extDue));
    await tp.getByTestId("extension-form").getByLabel(/理由/).fill(REASON);
    await tp.getByTestId("extension-form").getByRole("button", { name: "延長する" }).click();
    await expect.poll(() => tp.getByTestId("extensions").innerText()).toContain(REASON);

    // ---------------- Students submit before the deadline (in the browser). ----------------
    const a = await signedIn(A.email);
    const b = await signedIn(B.email, { timezoneId: "Europe/Berlin" });
    const c = await signedIn(C.email);
    await a.page.goto(`${portal.url}/assignments/${aid}`);
    expect(await a.page.getByTestId("phase").getAttribute("data-phase")).toBe("open");
    await submitInBrowser(a.page, right, "passed");
    await submitInBrowser(b.page, wrong, "failed");
    // A answers the quiz (graded by the real quiz grader).
    await a.page.goto(`${portal.url}/quizzes/${QZ}`);
    await a.page.getByRole("button", { name: "解答する" }).click();
    await a.page.waitForURL(/attempt=/);
    // B's page before the due time: open, a live countdown, the class's zone named, the time in B's own zone.
    await b.page.goto(`${portal.url}/assignments/${aid}`);
    expect(await b.page.getByTestId("phase").getAttribute("data-phase")).toBe("open");
    expect(await b.page.getByTestId("zone").innerText()).toContain(ZONE);
    expect(await b.page.getByTestId("countdown").getAttribute("data-target")).toBe(new Date(due).toISOString());
    await expect.poll(() => b.page.getByTestId("local-time").innerText()).toContain("Europe/Berlin");
    // The due time on B's wall clock in Berlin (Luxon here; Intl in the browser): hour, minutes and seconds.
    const berlin = DateTime.fromMillis(due, { zone: "Europe/Berlin" });
    expect(await b.page.getByTestId("local-time").innerText()).toMatch(new RegExp(`\\b0?${berlin.hour}:${berlin.toFormat("mm:ss")}\\b`));
    expect(await b.page.getByTestId("local-time").innerText()).toContain(String(berlin.day));
    const left1 = Number(await b.page.getByTestId("countdown").getAttribute("data-left-ms"));
    await expect.poll(async () => Number(await b.page.getByTestId("countdown").getAttribute("data-left-ms")), { timeout: 5_000 }).toBeLessThan(left1);
    await shots(b.page, "student-assignment-open");
    const beforeDue = await db.run("t", (p) => p.submission.findMany({ select: { receivedAt: true } }));
    expect(beforeDue.every((s) => s.receivedAt.getTime() <= due), "the on-time submissions were received before the due time (the machine was too slow otherwise)").toBe(true);

    // ---------------- After the deadline. ----------------
    await new Promise((r) => setTimeout(r, Math.max(0, due - Date.now() + 500)));
    await submitInBrowser(b.page, right, "passed"); // late: 1 day, 90%
    await submitInBrowser(c.page, right, "passed"); // extension: on time
    // The instructor overrides B's missing quiz, with a comment.
    await tp.goto(`${portal.url}/classes/${classId}/assignments/${aid}`);
    const ov = tp.getByTestId("override-form");
    await ov.getByLabel("学生").selectOption(ids[B.email] ?? "");
    await ov.getByLabel("項目").selectOption(`quiz:${QZ}`);
    await ov.getByLabel(/得点 \(%\)/).fill("80");
    await ov.getByLabel(/コメント/).fill("oral exam instead");
    await ov.getByRole("button", { name: "上書きする" }).click();
    await expect.poll(() => tp.getByTestId("override-history").innerText()).toContain("oral exam instead");

    // After the hard close: practice is allowed and marked as not counted.
    await new Promise((r) => setTimeout(r, Math.max(0, close - Date.now() + 500)));
    await a.page.goto(`${portal.url}/exercises/${EX}`);
    await expect.poll(() => a.page.getByTestId("practice-not-counted").innerText()).toContain("第1回 課題 (E2E)");
    await shots(a.page, "exercise-practice-not-counted");
    await submitInBrowser(a.page, wrong, "failed"); // practice: must not count
    // C still has the extension: the exercise page says when it is due, not closed.
    await c.page.goto(`${portal.url}/exercises/${EX}`);
    await expect.poll(() => c.page.getByTestId("assignment-due").count()).toBe(1);
    expect(await c.page.getByTestId("practice-not-counted").count()).toBe(0);

    // ---------------- The independent computation from the stored receipts. ----------------
    const subs = await db.run("t", (p) => p.submission.findMany({ select: { userId: true, receivedAt: true, score: true, countsAsAttempt: true, status: true } }));
    const quizzes = await db.run("t", (p) => p.quizAttempt.findMany({ select: { userId: true, submittedAt: true, score: true } }));
    expect(subs.every((s) => s.status === "done")).toBe(true);
    const expected = new Map<string, { ex: Expected; qz: Expected; total: number }>();
    for (const s of [A, B, C]) {
      const uid = ids[s.email] ?? "";
      const myDue = s === C ? extDue : due;
      const myClose = s === C ? Math.max(close, extDue) : close;
      const ex = expectedItem(
        subs.filter((x) => x.userId === uid).map((x) => ({ receivedAt: x.receivedAt.getTime(), score: x.score, counts: x.countsAsAttempt !== false })),
        myDue,
        myClose,
        null,
      );
      const qz = expectedItem(
        quizzes.filter((x) => x.userId === uid).map((x) => ({ receivedAt: x.submittedAt.getTime(), score: x.score, counts: true })),
        myDue,
        myClose,
        s === B ? 0.8 : null,
      );
      expected.set(s.email, { ex, qz, total: (2 * ex.score + qz.score) / 3 });
    }
    // The story the test set out to tell, stated plainly.
    expect(expected.get(A.email)?.ex).toEqual({ score: 1, status: "on_time" });
    expect(expected.get(B.email)?.ex).toEqual({ score: 0.9, status: "late" });
    expect(expected.get(C.email)?.ex).toEqual({ score: 1, status: "on_time" });
    expect(expected.get(B.email)?.qz.score).toBe(0.8);
    expect(expected.get(C.email)?.qz).toEqual({ score: 0, status: "missing" });

    // ---------------- The instructor's view. ----------------
    await tp.goto(`${portal.url}/classes/${classId}/assignments/${aid}`);
    for (const s of [A, B, C]) {
      const e = expected.get(s.email);
      const row = tp.locator(`[data-learner="${s.email}"]`);
      const exCell = row.locator(`[data-cell="exercise:${EX}"]`);
      const qzCell = row.locator(`[data-cell="quiz:${QZ}"]`);
      expect(await exCell.getAttribute("data-status")).toBe(e?.ex.status);
      expect(Number(await exCell.getAttribute("data-score"))).toBeCloseTo(e?.ex.score ?? -1, 9);
      expect(await qzCell.getAttribute("data-status")).toBe(e?.qz.status);
      expect(Number(await qzCell.getAttribute("data-score"))).toBeCloseTo(e?.qz.score ?? -1, 9);
      expect(Number(await row.locator("[data-total]").getAttribute("data-total"))).toBeCloseTo(e?.total ?? -1, 9);
    }
    expect(await tp.locator(`[data-learner="${C.email}"] [data-cell="exercise:${EX}"]`).innerText()).toContain("延長あり");
    expect(await tp.locator(`[data-learner="${B.email}"] [data-cell="quiz:${QZ}"]`).innerText()).toContain("✎");
    // The burst: this class's submissions of the last hour, and the queue now (all graded).
    const burst = await tp.getByTestId("burst").locator("[data-count]").evaluateAll((els) => els.map((el) => Number(el.getAttribute("data-count"))));
    expect(burst).toHaveLength(60);
    expect(burst.reduce((x, y) => x + y, 0)).toBe(subs.length);
    expect(await tp.getByTestId("queue-now").innerText()).toMatch(/このクラス 0 件 \/ 全体 0 件/);
    expect(await unlabelled(tp)).toEqual([]);
    await shots(tp, "instructor-assignment");
    await tp.goto(`${portal.url}/classes/${classId}/assignments`);
    await shots(tp, "instructor-assignments");

    // ---------------- The CSV (same safe format as the class export). ----------------
    const res = await tp.request.get(`${portal.url}/classes/${classId}/assignments/${aid}/export`);
    expect(res.status()).toBe(200);
    expect(res.headers()["content-type"]).toContain("text/csv");
    const csv = await res.text();
    expect(csv.startsWith("\uFEFF")).toBe(true);
    expect(csv.endsWith("\r\n")).toBe(true);
    const lines = csv.slice(1).trimEnd().split("\r\n").map((l) => l.split(","));
    const header = lines[0] ?? [];
    const col = (name: string) => header.indexOf(name);
    expect(col("total")).toBeGreaterThan(0);
    for (const s of [A, B, C]) {
      const line = lines.find((l) => l[0] === s.email) ?? [];
      const e = expected.get(s.email);
      expect(Number(line[col(`exercise:${EX} score`)])).toBeCloseTo(e?.ex.score ?? -1, 9);
      expect(line[col(`exercise:${EX} status`)]).toBe(e?.ex.status);
      expect(Number(line[col(`quiz:${QZ} score`)])).toBeCloseTo(e?.qz.score ?? -1, 9);
      expect(line[col(`quiz:${QZ} overridden`)]).toBe(s === B ? "true" : "false");
      expect(Number(line[col("total")])).toBeCloseTo(e?.total ?? -1, 9);
      expect(line[col("extended")]).toBe(s === C ? "true" : "false");
    }
    expect(csv).not.toContain(REASON);

    // ---------------- The audit log. ----------------
    await tp.goto(`${portal.url}/classes/${classId}/audit`);
    const actions = await tp.locator("[data-action]").evaluateAll((els) => els.map((el) => el.getAttribute("data-action")));
    expect(actions).toEqual(["override.set", "extension.grant", "assignment.publish", "assignment.create"]);
    const auditText = await tp.getByTestId("audit").innerText();
    expect(auditText).toContain(TEACHER.email);
    expect(auditText).toContain(REASON);
    expect(auditText).toContain("oral exam instead");
    expect(auditText).toContain(new Date(extDue).toISOString());
    expect(auditText).toContain(new Date(due).toISOString());
    await shots(tp, "audit-log");

    // ---------------- Each student's page. ----------------
    for (const [s, ctx] of [[A, a], [B, b], [C, c]] as const) {
      const e = expected.get(s.email);
      await ctx.page.goto(`${portal.url}/assignments/${aid}`);
      expect(await ctx.page.locator(`[data-item="exercise:${EX}"]`).getAttribute("data-status")).toBe(e?.ex.status);
      expect(Number(await ctx.page.locator(`[data-item="exercise:${EX}"]`).getAttribute("data-score"))).toBeCloseTo(e?.ex.score ?? -1, 9);
      expect(Number(await ctx.page.locator(`[data-item="quiz:${QZ}"]`).getAttribute("data-score"))).toBeCloseTo(e?.qz.score ?? -1, 9);
      expect(Number(await ctx.page.getByTestId("my-total").getAttribute("data-total"))).toBeCloseTo(e?.total ?? -1, 9);
      const text = await ctx.page.locator("#main").innerText();
      // Never another student's data, never an extension's reason.
      for (const other of [A, B, C].filter((o) => o !== s)) expect(text).not.toContain(other.name);
      expect(text).not.toContain(REASON);
      expect(await ctx.page.content()).not.toContain(REASON);
      await ctx.page.goto(`${portal.url}/assignments`);
      expect(Number(await ctx.page.locator(`[data-assignment="${aid}"] [data-total]`).getAttribute("data-total"))).toBeCloseTo(e?.total ?? -1, 9);
    }
    await a.page.goto(`${portal.url}/assignments/${aid}`);
    expect(await a.page.getByTestId("phase").getAttribute("data-phase")).toBe("closed");
    expect(await a.page.getByTestId("closed-notice").count()).toBe(1);
    await shots(a.page, "student-assignment-closed");
    await b.page.goto(`${portal.url}/assignments/${aid}`);
    expect(await b.page.getByTestId("override").innerText()).toContain("oral exam instead");
    await c.page.goto(`${portal.url}/assignments/${aid}`);
    expect(await c.page.getByTestId("phase").getAttribute("data-phase")).toBe("open");
    expect(await c.page.getByTestId("due").innerText()).toContain("延長あり");
    await shots(c.page, "student-assignment-extended");
    await c.page.goto(`${portal.url}/assignments`);
    await shots(c.page, "student-assignments");
    for (const x of [teacher, a, b, c]) await x.context.close();

    // ---------------- Nobody else sees any of it ("not found", like the rest of the portal). ----------------
    const other = new Client(portal.url);
    await other.signIn(OTHER.email, PASSWORD);
    const student = new Client(portal.url);
    await student.signIn(A.email, PASSWORD);
    for (const who of [other, student]) {
      for (const p of [`/classes/${classId}/assignments`, `/classes/${classId}/assignments/${aid}`, `/classes/${classId}/assignments/${aid}/export`, `/classes/${classId}/audit`]) {
        const r = await who.get(p);
        expect(r.status, `${p}`).toBe(404);
        expect(r.body).not.toContain(REASON);
      }
      const csrf = await who.csrf("/");
      const bodies: Record<string, string>[] = [{ action: "publish" }, { action: "delete", confirm: "yes" }, { action: "override", userId: ids[A.email] ?? "", itemKey: `quiz:${QZ}`, score: "100", comment: "x" }];
      for (const body of bodies) {
        expect((await who.post(`/api/assignments/${aid}`, body, { csrf })).status).toBe(404);
      }
      expect((await who.post(`/api/classes/${classId}/assignments`, { action: "timezone", timeZone: "UTC" }, { csrf })).status).toBe(404);
    }
    // Another class's student does not see the assignment either.
    expect((await other.get(`/assignments/${aid}`)).status).toBe(404);
    // Nothing changed.
    expect(await db.run("t", (p) => p.auditEntry.count({ where: { classId } }))).toBe(4);
  }
});
