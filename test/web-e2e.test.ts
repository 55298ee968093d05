import { mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { Database, createClass, createUser, getSubmission, hashPassword, migrate, submit } from "@tfm/db";
import { createScratchDatabase } from "@tfm/db/testing";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mutantSourceIn } from "../apps/grader/src/mutants.ts";
import { startGrader } from "../apps/grader/src/server.ts";
import { type Portal, ROOT, ensureWebBuild, launchChromium, startPortal, typeCode, unlabelled } from "./web/harness.ts";

/**
 * The main journeys in a real browser (Debian's chromium driven by playwright-core) against the
 * production build of the portal, a real grader with its durable runner, and a scratch SQLite file
 * (the embedded default): sign up, join a class, solve an exercise wrong then right in the real
 * editor, see the checklist tick, and the instructor sees it on the dashboard and exports the CSV.
 * Screenshots of every main page go to test-artifacts/screenshots/.
 */

const SHOTS = path.join(ROOT, "test-artifacts/screenshots");
const EX = "self-attention";
const ITEM = "impl-self-attention";
const STUDENT = { name: "山田 花子", email: "hanako@example.org", password: "hanako-password" };
const TEACHER = { email: "teacher@example.org", password: "teacher-password" };

const wrong = mutantSourceIn(path.join(ROOT, "exercises", EX), "missing-scale");
const right = readFileSync(path.join(ROOT, "exercises", EX, "solution.ts"), "utf8");
const EX_META = JSON.parse(readFileSync(path.join(ROOT, "exercises", EX, "exercise.json"), "utf8")) as { title: { ja: string }; limits: { callTimeoutMs: number; wallTimeoutMs: number } };
const EX_TITLE = EX_META.title.ja;

async function shot(page: Page, name: string, fullPage = false): Promise<void> {
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage });
}

describe("portal end to end in chromium", () => {
  let browser: Browser;
  let portal: Portal;
  let grader: { url: string; close(): Promise<void> };
  let db: Database;
  let drop: () => Promise<void>;
  let classId = "";
  let invite = "";

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    await ensureWebBuild();
    const scratch = await createScratchDatabase("sqlite", "webe2e");
    drop = scratch.drop;
    await migrate(scratch.config);
    db = await Database.connect(scratch.config);
    grader = await startGrader({ ...process.env, TFM_DATABASE_URL: scratch.url, TFM_GRADER_PORT: "0", TFM_GRADER_WORKERS: "1" });
    const teacher = await createUser(db, { email: TEACHER.email, displayName: "鈴木 先生", role: "instructor", passwordHash: await hashPassword(TEACHER.password) });
    const cls = await createClass(db, { name: "材料科学 2026", ownerId: teacher.id });
    classId = cls.id;
    invite = cls.inviteCode;
    portal = await startPortal({ TFM_DATABASE_URL: scratch.url, TFM_GRADER_URL: grader.url });
    browser = await launchChromium();
  }, 600_000);

  afterAll(async () => {
    await browser?.close();
    await portal?.close();
    await grader?.close();
    await db?.close();
    await drop?.();
  });

  it("a student signs up, joins the class, fails then passes an exercise, and the checklist ticks", async () => {
    const context = await browser.newContext({ viewport: { width: 1366, height: 900 }, acceptDownloads: true });
    const page = await context.newPage();
    const external: string[] = [];
    page.on("request", (r) => {
      if (!r.url().startsWith(portal.url) && !r.url().startsWith("data:")) external.push(r.url());
    });

    await page.goto(`${portal.url}/`);
    await shot(page, "01-home");
    // Keyboard users land on the skip link first.
    await page.keyboard.press("Tab");
    expect(await page.evaluate<string | null>("document.activeElement && document.activeElement.textContent")).toBe("本文へ移動");
    await page.getByRole("link", { name: "新規登録" }).first().click();
    await page.getByLabel("表示名").fill(STUDENT.name);
    await page.getByLabel("メールアドレス").fill(STUDENT.email);
    await page.getByLabel("パスワード", { exact: true }).fill(STUDENT.password);
    expect(await unlabelled(page)).toEqual([]);
    await shot(page, "02-signup");
    await page.getByRole("button", { name: "登録する" }).click();
    // Sign-up answers the same for a new and a registered address: the new account then signs in.
    await page.waitForURL(/\/signin\?msg=signUpDone/);
    await expect.poll(() => page.getByRole("status").innerText()).toMatch("登録を受け付けました");
    await page.getByLabel("メールアドレス").fill(STUDENT.email);
    await page.getByLabel("パスワード").fill(STUDENT.password);
    await page.getByRole("button", { name: "ログイン" }).click();
    await page.waitForURL(/\/exercises$/);
    await expect.poll(() => page.locator(`[data-exercise="${EX}"] [data-state]`).getAttribute("data-state")).toBe("not_started");
    await shot(page, "03-exercises");

    await page.goto(`${portal.url}/classes`);
    await page.getByLabel("招待コード").fill(invite.toLowerCase().replace("-", " "));
    await page.getByRole("button", { name: "参加する" }).click();
    await expect.poll(() => page.getByRole("status").innerText()).toMatch("材料科学 2026");
    await shot(page, "04-classes-joined");

    await page.goto(`${portal.url}/exercises/${EX}`);
    await page.locator(".cm-content").waitFor();
    expect(await unlabelled(page)).toEqual([]);
    // The statement states the exercise's own limits (derived from its model solution's cost).
    expect(await page.getByTestId("limits").innerText()).toContain(`CPU 時間 ${EX_META.limits.callTimeoutMs} ms、提出全体で ${EX_META.limits.wallTimeoutMs} ms`);
    await page.getByTestId("limits").scrollIntoViewIfNeeded();
    await shot(page, "05a-exercise-limits");
    await typeCode(page, wrong);
    // The draft is saved on the server within a few seconds, and nothing of it stays in the browser.
    await expect.poll(() => page.getByTestId("draft-state").getAttribute("data-state"), { timeout: 15_000 }).toBe("saved");
    expect(await page.evaluate<number>("Object.keys(localStorage).filter((k) => k.startsWith('tfm:')).length")).toBe(0);
    // Ctrl+Enter in the editor runs the public tests.
    await page.locator(".cm-content").click();
    await page.keyboard.press("Control+Enter");
    await page.locator('[data-verdict]').waitFor({ timeout: 120_000 });
    expect(await page.locator("[data-verdict]").getAttribute("data-verdict")).toBe("failed");
    // So does the result: the limits it was graded under.
    expect(await page.getByTestId("result-limits").innerText()).toContain(`CPU 時間 ${EX_META.limits.callTimeoutMs} ms`);
    // Every heatmap has axis labels and a colour legend.
    await expect.poll(() => page.getByTestId("legend-diff").count()).toBeGreaterThan(0);
    expect(await page.locator(".heatmap-axes").count()).toBe(3 * (await page.getByTestId("heatmaps").count()));
    expect(await page.getByTestId("legend-weights").count()).toBe(2 * (await page.getByTestId("heatmaps").count()));
    // "Reset to starter" asks first: declined, the code stays.
    page.once("dialog", (d) => void d.dismiss());
    await page.getByTestId("reset").click();
    expect((await page.locator(".cm-content").innerText()).replace(/\s+/g, "")).toBe(wrong.replace(/\s+/g, ""));
    // Another device of the same account gets the draft.
    const other = await browser.newContext({ viewport: { width: 820, height: 1180 } });
    const tablet = await other.newPage();
    await tablet.goto(`${portal.url}/signin?next=/exercises/${EX}`);
    await tablet.getByLabel("メールアドレス").fill(STUDENT.email);
    await tablet.getByLabel("パスワード").fill(STUDENT.password);
    await tablet.getByRole("button", { name: "ログイン" }).click();
    await tablet.waitForURL(new RegExp(`/exercises/${EX}$`));
    await tablet.locator(".cm-content").waitFor();
    await expect.poll(async () => (await tablet.locator(".cm-content").innerText()).replace(/\s+/g, "")).toBe(wrong.replace(/\s+/g, ""));
    await shot(tablet, "05t-exercise-tablet");
    await tablet.getByTestId("limits").scrollIntoViewIfNeeded();
    await shot(tablet, "05u-exercise-limits-tablet");
    await tablet.getByTestId("signout").click();
    await tablet.waitForURL(/\/$/);
    expect(await tablet.evaluate<number>("localStorage.length")).toBe(0);
    await other.close();
    await page.getByTestId("run").click();
    await page.locator('[data-verdict]').waitFor({ timeout: 120_000 });
    expect(await page.locator("[data-verdict]").getAttribute("data-verdict")).toBe("failed");
    await page.getByTestId("submit").click();
    await page.locator('[data-testid="phase"] .spinner').waitFor();
    await page.locator('[data-verdict="failed"]').waitFor({ timeout: 120_000 });
    await expect.poll(() => page.locator("[data-pitfall]").count()).toBeGreaterThan(0);
    expect(await page.locator("[data-pitfall]").first().getAttribute("data-pitfall")).toBe("missing-scale");
    expect(await page.getByTestId("heatmaps").count()).toBeGreaterThan(0);
    await shot(page, "05-exercise-wrong");
    await page.locator("[data-verdict]").screenshot({ path: path.join(SHOTS, "05b-result-wrong.png") });

    await typeCode(page, right);
    await page.getByTestId("submit").click();
    await page.locator('[data-verdict="passed"]').waitFor({ timeout: 120_000 });
    await expect.poll(() => page.getByTestId("history").locator("tbody tr").count(), { timeout: 20_000 }).toBe(2);
    await shot(page, "06-exercise-passed");

    // A correct result: the difference heatmaps are white (float noise is inside the tolerance).
    const diffFills: (string | null)[] = [];
    for (const rect of await page.locator('[data-verdict="passed"] [data-testid="heatmaps"] figure:nth-child(3) rect').all()) diffFills.push(await rect.getAttribute("fill"));
    expect(diffFills.length).toBeGreaterThan(0);
    expect(new Set(diffFills)).toEqual(new Set(["rgb(255,255,255)"]));

    await page.getByTestId("history").getByRole("link").last().click();
    await expect.poll(() => page.getByTestId("source").innerText()).toMatch("Forgets to divide the scores");
    // Line numbers, a diff against the code now in the editor, and "load into editor".
    expect(await page.locator("[data-testid=source] .ln").count()).toBeGreaterThan(3);
    await page.getByTestId("diff").locator("summary").click();
    await expect.poll(() => page.locator(".diff .add").count()).toBeGreaterThan(0);
    await shot(page, "07-submission");
    await page.getByTestId("load-into-editor").click();
    await page.waitForURL(new RegExp(`/exercises/${EX}\\?msg=loadedIntoEditor`));
    await page.locator(".cm-content").waitFor();
    await expect.poll(async () => (await page.locator(".cm-content").innerText()).replace(/\s+/g, "")).toBe(wrong.replace(/\s+/g, ""));

    await page.goto(`${portal.url}/checklist`);
    expect(await page.locator(`[data-item="${ITEM}"]`).getAttribute("data-done")).toBe("true");
    // Evidence by title, never by id.
    await expect.poll(() => page.locator(`[data-item="${ITEM}"]`).innerText()).toMatch(EX_TITLE);
    // (An id is lowercase words joined by hyphens, alone before a comma or the line's end.)
    expect(await page.locator("#main").innerText()).not.toMatch(/残り: ([^\n]*, )?[a-z0-9]+-[a-z0-9-]+\s*(,|$)/m);
    await expect.poll(() => page.getByTestId("done-count").innerText()).toMatch("1 / 50");
    await shot(page, "08-checklist", true);

    // A pass of simple-attention (graded by the grader's durable runner) completes half of an item.
    const student = await db.run("finding the student", (p) => p.user.findUniqueOrThrow({ where: { email: STUDENT.email } }));
    const simple = await submit(db, { userId: student.id, exerciseId: "simple-attention", source: readFileSync(path.join(ROOT, "exercises/simple-attention/solution.ts"), "utf8") });
    for (let i = 0; i < 240 && (await getSubmission(db, simple.id)).status !== "done"; i++) await new Promise((r) => setTimeout(r, 500));
    expect((await getSubmission(db, simple.id)).verdict).toBe("passed");
    await page.goto(`${portal.url}/exercises`);
    expect(await page.locator(`[data-exercise="${EX}"] [data-state]`).getAttribute("data-state")).toBe("passed");
    // An item needing two exercises says how far it is, next to each of them, with links to the rest.
    const half = page.locator(`[data-exercise="simple-attention"] [data-item-progress="impl-scaled-dot-product-attention"]`);
    await expect.poll(() => half.getAttribute("data-parts")).toBe("1/2");
    await expect.poll(() => half.innerText()).toMatch("1 / 2 完了");
    expect(await half.getByRole("link").getAttribute("href")).toBe("/exercises/scaled-dot-product-attention");
    // Sections by name, never by internal id.
    expect(await page.locator("#main").innerText()).not.toMatch(/節 (pitfalls|licences|exercises|reproducibility)/);
    await shot(page, "03b-exercises-progress", true);

    // The language switch is remembered (cookie) across pages.
    await page.getByRole("button", { name: "English" }).click();
    await page.waitForLoadState("load");
    await page.goto(`${portal.url}/quizzes/math-shapes`);
    await expect.poll(async () => (await page.locator("h1").innerText()).length).toBeGreaterThan(0);
    await page.getByRole("button", { name: "Check answers" }).waitFor();
    const questions = await page.locator("fieldset").count();
    const firstQuestion = (await page.locator("fieldset legend").first().innerText()).trim();
    await page.locator('input[name="q_qk-fixed"]').fill("(2, 3)");
    await page.getByRole("button", { name: "Check answers" }).click();
    await page.waitForURL(/attempt=/);
    // The result repeats every question as asked, with the student's answer and the explanation,
    // and no new variant's form until asked.
    await expect.poll(() => page.getByTestId("quiz-verdict").innerText()).toMatch(/Passed!|Not passed yet/);
    expect(await page.locator("[data-question]").count()).toBe(questions);
    expect((await page.locator("[data-question]").first().innerText()).includes(firstQuestion)).toBe(true);
    await expect.poll(() => page.locator("#main").innerText()).toMatch("Explanation");
    expect(await page.locator("#main").innerText()).toMatch("Your answer: (2, 3)");
    expect(await page.locator("#main").innerText()).not.toMatch(/\b(tests?|hidden)\b/i);
    expect(await page.locator("form[action$='/grade']").count()).toBe(0);
    expect(await unlabelled(page)).toEqual([]);
    await shot(page, "09-quiz-en", true);
    await page.getByTestId("quiz-new-variant").click();
    await page.getByRole("button", { name: "Check answers" }).waitFor();

    await page.goto(`${portal.url}/free-text/qkv-analogy`);
    const answer = "The query is what a token looks for, the key what it offers, the value what it passes on.";
    await page.getByLabel("Your answer").fill(answer);
    // Switching the language keeps what was typed.
    await page.getByRole("button", { name: "日本語" }).click();
    await expect.poll(() => page.locator("html").getAttribute("lang")).toBe("ja");
    await expect.poll(() => page.locator("main textarea").inputValue()).toBe(answer);
    await page.getByRole("button", { name: "English" }).click();
    await expect.poll(() => page.locator("html").getAttribute("lang")).toBe("en");
    await expect.poll(() => page.getByLabel("Your answer").inputValue()).toBe(answer);
    await page.getByRole("button", { name: "Send answer" }).click();
    await expect.poll(() => page.getByRole("status").innerText()).toMatch("Answer received");
    await shot(page, "10-free-text");

    expect(external).toEqual([]);
    await context.close();
  });

  it("the instructor sees it on the dashboard, reviews the free text and exports the CSV", async () => {
    // A tablet-sized screen.
    const context = await browser.newContext({ viewport: { width: 1024, height: 1366 }, acceptDownloads: true });
    const page = await context.newPage();
    await page.goto(`${portal.url}/signin`);
    await page.getByLabel("メールアドレス").fill(TEACHER.email);
    await page.getByLabel("パスワード").fill(TEACHER.password);
    await page.getByRole("button", { name: "ログイン" }).click();
    await page.waitForURL(/\/classes$/);
    await page.getByRole("link", { name: "材料科学 2026" }).click();
    await page.waitForURL(new RegExp(`/classes/${classId}$`));
    const row = page.locator(`[data-learner="${STUDENT.email}"]`);
    await expect.poll(() => row.locator(`[data-cell="${EX}"]`).getAttribute("class")).toMatch(/passed/);
    await expect.poll(() => row.locator(`[data-cell="${EX}"]`).innerText()).toBe("100/2");
    await expect.poll(() => row.getByTestId("learner-checklist").innerText()).toMatch("1");
    expect(await unlabelled(page)).toEqual([]);
    await shot(page, "11-dashboard", true);

    expect(await page.locator("#main").innerText()).not.toMatch(/\(\S[^()]*\([^()]*\)\)/);
    await row.getByRole("link", { name: STUDENT.name }).click();
    // The drill-down names exercises by title.
    await expect.poll(() => page.locator("table").first().innerText()).toMatch("Self-Attention");
    await shot(page, "12-student");

    await page.goto(`${portal.url}/classes/${classId}/review`);
    await expect.poll(() => page.locator("[data-answer]").count()).toBe(1);
    expect(await unlabelled(page)).toEqual([]);
    await shot(page, "13-review");
    for (const input of await page.locator('[data-answer] input[type="number"]').all()) await input.fill(await input.getAttribute("max") ?? "0");
    await page.getByRole("button", { name: "評価を保存" }).click();
    await expect.poll(() => page.getByRole("status").innerText()).toMatch("評価を保存しました");
    // The reviewed answer stays listed, to revise, with the points given.
    await expect.poll(() => page.locator("[data-reviewed]").count()).toBe(1);
    await page.locator("[data-reviewed] summary").click();
    expect(await page.locator('[data-reviewed] input[type="number"]').first().inputValue()).not.toBe("0");
    await shot(page, "13b-reviewed");

    await page.goto(`${portal.url}/classes/${classId}`);
    // "Regrade" asks first; declined, nothing is requeued.
    let asked = "";
    page.once("dialog", (d) => {
      asked = d.message();
      void d.dismiss();
    });
    await page.getByTestId("regrade").click();
    await expect.poll(() => asked).toMatch("再採点しますか");
    expect(page.url()).not.toMatch("regradeDone");
    const downloading = page.waitForEvent("download");
    await page.getByRole("link", { name: /CSV/ }).click();
    const download = await downloading;
    const file = await download.path();
    const bytes = readFileSync(file);
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const lines = bytes.subarray(3).toString("utf8").trim().split("\r\n");
    const header = lines[0]?.split(",") ?? [];
    const student = lines.find((l) => l.startsWith(STUDENT.email))?.split(",") ?? [];
    expect(student[1]).toBe(STUDENT.name);
    expect(student[header.indexOf(`${EX} best score`)]).toBe("1");
    expect(student[header.indexOf(`${EX} attempts`)]).toBe("2");
    expect(student[header.indexOf(`${EX} passed`)]).toBe("true");
    expect(Number(student[header.indexOf("checklist done")])).toBeGreaterThanOrEqual(1);
    await context.close();
  });
});
