import { mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { Database, createClass, createUser, hashPassword, migrate } from "@tfm/db";
import { createScratchDatabase } from "@tfm/db/testing";
import { type Browser, type Page, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGrader } from "../apps/grader/src/server.ts";
import { type Portal, ROOT, ensureWebBuild, startPortal } from "./web/harness.ts";

/**
 * The main journeys in a real browser (Debian's chromium driven by playwright-core) against the
 * production build of the portal, a real grader with its durable runner, and a scratch SQLite file
 * (the embedded default): sign up, join a class, solve an exercise wrong then right in the real
 * editor, see the checklist tick, and the instructor sees it on the dashboard and exports the CSV.
 * Screenshots of every main page go to test-artifacts/screenshots/.
 */

const CHROMIUM = process.env.TFM_CHROMIUM ?? "/usr/bin/chromium";
const SHOTS = path.join(ROOT, "test-artifacts/screenshots");
const EX = "self-attention";
const ITEM = "impl-self-attention";
const STUDENT = { name: "山田 花子", email: "hanako@example.org", password: "hanako-password" };
const TEACHER = { email: "teacher@example.org", password: "teacher-password" };

const wrong = readFileSync(path.join(ROOT, "exercises", EX, "mutants/missing-scale.ts"), "utf8");
const right = readFileSync(path.join(ROOT, "exercises", EX, "solution.ts"), "utf8");

async function shot(page: Page, name: string, fullPage = false): Promise<void> {
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage });
}

/** Form controls a screen reader could not name (no <label>, no aria-label). */
function unlabelled(page: Page): Promise<string[]> {
  // A string: this runs in the page, and the repository's typecheck has no DOM library.
  return page.evaluate<string[]>(`[...document.querySelectorAll("input, select, textarea, [contenteditable=true]")]
    .filter((el) => !(el.tagName === "INPUT" && el.type === "hidden"))
    .filter((el) => (!el.labels || el.labels.length === 0) && !el.getAttribute("aria-label") && !el.getAttribute("aria-labelledby"))
    .map((el) => el.outerHTML.slice(0, 120))`);
}

/** Replaces the editor's text the way a person pasting does (CodeMirror's own input handling). */
async function typeCode(page: Page, code: string): Promise<void> {
  await page.locator(".cm-content").click();
  await page.keyboard.press("Control+A");
  await page.keyboard.press("Delete");
  await page.keyboard.insertText(code);
  await expect.poll(async () => (await page.locator(".cm-content").innerText()).replace(/\s+/g, "")).toBe(code.replace(/\s+/g, ""));
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
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
    });
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
    await typeCode(page, wrong);
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
    await expect.poll(() => page.getByTestId("history").locator("tbody tr").count()).toBe(2);
    await shot(page, "06-exercise-passed");

    await page.getByTestId("history").getByRole("link").first().click();
    await expect.poll(() => page.getByTestId("source").innerText()).toMatch("Math.sqrt(Q.size(-1))");
    await shot(page, "07-submission");

    await page.goto(`${portal.url}/checklist`);
    expect(await page.locator(`[data-item="${ITEM}"]`).getAttribute("data-done")).toBe("true");
    await expect.poll(() => page.locator(`[data-item="${ITEM}"]`).innerText()).toMatch(EX);
    await expect.poll(() => page.getByTestId("done-count").innerText()).toMatch("1 / 50");
    await shot(page, "08-checklist", true);

    await page.goto(`${portal.url}/exercises`);
    expect(await page.locator(`[data-exercise="${EX}"] [data-state]`).getAttribute("data-state")).toBe("passed");

    // The language switch is remembered (cookie) across pages.
    await page.getByRole("button", { name: "English" }).click();
    await page.waitForLoadState("load");
    await page.goto(`${portal.url}/quizzes/math-shapes`);
    await expect.poll(async () => (await page.locator("h1").innerText()).length).toBeGreaterThan(0);
    await page.getByRole("button", { name: "Check answers" }).waitFor();
    await page.getByRole("button", { name: "Check answers" }).click();
    await page.waitForURL(/attempt=/);
    await expect.poll(() => page.locator("[data-verdict]").innerText()).toMatch(/Failed|Passed/);
    await expect.poll(() => page.locator("#main").innerText()).toMatch("Explanation");
    expect(await unlabelled(page)).toEqual([]);
    await shot(page, "09-quiz-en");

    await page.goto(`${portal.url}/free-text/qkv-analogy`);
    await page.getByLabel("Your answer").fill("The query is what a token looks for, the key what it offers, the value what it passes on.");
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

    await row.getByRole("link", { name: STUDENT.name }).click();
    await expect.poll(() => page.locator("table").innerText()).toMatch(EX);
    await shot(page, "12-student");

    await page.goto(`${portal.url}/classes/${classId}/review`);
    await expect.poll(() => page.locator("[data-answer]").count()).toBe(1);
    expect(await unlabelled(page)).toEqual([]);
    await shot(page, "13-review");
    for (const input of await page.locator('[data-answer] input[type="number"]').all()) await input.fill(await input.getAttribute("max") ?? "0");
    await page.getByRole("button", { name: "評価を保存" }).click();
    await expect.poll(() => page.getByRole("status").innerText()).toMatch("評価を保存しました");

    await page.goto(`${portal.url}/classes/${classId}`);
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
