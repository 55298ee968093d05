import { mkdirSync } from "node:fs";
import path from "node:path";
import { Database, createUser, hashPassword, migrate } from "@tfm/db";
import { createScratchDatabase } from "@tfm/db/testing";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGrader } from "../apps/grader/src/server.ts";
import { type Portal, ROOT, ensureWebBuild, launchChromium, startPortal } from "./web/harness.ts";

/**
 * A newcomer's help with the kit, in a real browser: the kit reference page (generated from the
 * kit's types, searchable, with the PyTorch table) and the editor's TypeScript help (completion,
 * hover, type errors from a language service in a web worker), the grader's error lines marked in
 * the editor, and Ctrl+Enter running the public tests. Nothing may be fetched from outside the portal.
 */
const SHOTS = path.join(ROOT, "test-artifacts/screenshots");
const USER = { email: "newcomer@example.org", password: "newcomer-password" };
const SIZES = { laptop: { width: 1366, height: 768 }, tablet: { width: 820, height: 1180 } } as const;

async function replaceCode(page: Page, code: string): Promise<void> {
  await page.locator(".cm-content").click();
  await page.keyboard.press("Control+A");
  await page.keyboard.press("Delete");
  await page.keyboard.insertText(code);
  await page.keyboard.press("Escape");
}

/** Moves the mouse onto the first occurrence of `word` in the editor's text. */
async function hoverText(page: Page, word: string): Promise<void> {
  // A string: this runs in the page, and the repository's typecheck has no DOM library.
  const box = await page.evaluate<{ x: number; y: number } | null>(`(() => {
    const walker = document.createTreeWalker(document.querySelector(".cm-content"), NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n !== null; n = walker.nextNode()) {
      const at = n.textContent.indexOf(${JSON.stringify(word)});
      if (at < 0) continue;
      const range = document.createRange();
      range.setStart(n, at + 2);
      range.setEnd(n, at + 3);
      const r = range.getBoundingClientRect();
      return { x: r.left + r.width / 2, y: r.top + r.height / 2 };
    }
    return null;
  })()`);
  if (box === null) throw new Error(`no '${word}' in the editor`);
  await page.mouse.move(box.x, box.y);
}

describe("kit reference and the editor's TypeScript help, in chromium", () => {
  let browser: Browser;
  let portal: Portal;
  let grader: { url: string; close(): Promise<void> };
  let db: Database;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    await ensureWebBuild();
    const scratch = await createScratchDatabase("sqlite", "webeditor");
    drop = scratch.drop;
    await migrate(scratch.config);
    db = await Database.connect(scratch.config);
    await createUser(db, { email: USER.email, displayName: "新人 さん", role: "student", passwordHash: await hashPassword(USER.password) });
    grader = await startGrader({ ...process.env, TFM_DATABASE_URL: scratch.url, TFM_GRADER_PORT: "0", TFM_GRADER_WORKERS: "1" });
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

  it("the kit reference lists the kit's API in both languages and finds what a newcomer searches for", async () => {
    for (const [size, viewport] of Object.entries(SIZES)) {
      const page = await browser.newPage({ viewport });
      await page.goto(`${portal.url}/kit`);
      await expect.poll(() => page.locator("h1").innerText()).toContain("@tfm/kit");
      expect(await page.locator("#Tensor\\.maskedFill").innerText()).toContain("mask");
      expect(await page.locator("#Tensor\\.size").innerText()).toMatch(/size\(/);
      await page.screenshot({ path: path.join(SHOTS, `kit-reference-${size}.png`) });
      await page.getByLabel("検索").fill("masked_fill");
      await expect.poll(() => page.locator("#pytorch-table").count()).toBe(1);
      expect(await page.locator("table").innerText()).toContain("scores.maskedFill(mask.eq(0), -1e9)");
      await page.getByLabel("検索").fill("transpose");
      await expect.poll(() => page.locator("#Tensor\\.maskedFill").count()).toBe(0);
      expect(await page.locator("#Tensor\\.transpose").count()).toBe(1);
      await page.screenshot({ path: path.join(SHOTS, `kit-reference-search-${size}.png`) });
      await page.close();
    }
    // The same page in English.
    const context = await browser.newContext({ viewport: SIZES.laptop });
    await context.addCookies([{ name: "tfm_lang", value: "en", url: portal.url }]);
    const en = await context.newPage();
    await en.goto(`${portal.url}/kit`);
    await expect.poll(() => en.locator("h1").innerText()).toBe("Tensor kit (@tfm/kit) reference");
    expect(await en.locator("#Tensor\\.maskedFill").innerText()).toContain("A copy with value where the bool mask is true");
    await context.close();
  });

  it("the editor completes, explains and checks kit code, marks the grader's error lines, and runs on Ctrl+Enter", async () => {
    const context = await browser.newContext({ viewport: SIZES.laptop });
    const page = await context.newPage();
    const external: string[] = [];
    page.on("request", (r) => {
      if (!r.url().startsWith(portal.url) && !r.url().startsWith("data:") && !r.url().startsWith("blob:")) external.push(r.url());
    });
    await page.goto(`${portal.url}/signin`);
    await page.getByLabel("メールアドレス").fill(USER.email);
    await page.getByLabel("パスワード", { exact: true }).fill(USER.password);
    await page.getByRole("button", { name: "ログイン" }).click();
    await page.waitForURL(/\/exercises/).catch(async (e) => {
      await page.screenshot({ path: path.join(SHOTS, "editor-signin-failed.png") });
      throw e;
    });
    await page.goto(`${portal.url}/exercises/scaled-dot-product-attention`);
    await page.locator('[data-testid="editor"][data-typescript="ready"]').waitFor({ timeout: 120_000 });

    // A misspelt method is underlined by TypeScript, with its message on hover.
    await replaceCode(page, `import { torch } from "@tfm/kit";\nconst x = torch.zeros(2, 3);\nx.maskedFil(x.eq(0), 1);\n`);
    await page.locator(".cm-lintRange-error").first().waitFor({ timeout: 60_000 });
    await page.locator(".cm-lintRange-error").first().hover();
    await expect.poll(() => page.locator(".cm-tooltip").allInnerTexts(), { timeout: 30_000 }).toEqual(expect.arrayContaining([expect.stringMatching(/maskedFil.*does not exist/)]));

    // Completion offers the kit's methods.
    await replaceCode(page, `import { torch } from "@tfm/kit";\nconst x = torch.zeros(2, 3);\nx.mask`);
    await page.keyboard.press("Control+Space");
    await expect.poll(() => page.locator(".cm-tooltip-autocomplete").innerText(), { timeout: 30_000 }).toContain("maskedFill");
    await page.screenshot({ path: path.join(SHOTS, "editor-completion-laptop.png") });
    await page.keyboard.press("Escape");

    // Hover on a kit function shows its signature and doc comment.
    await replaceCode(page, `import { torch, F } from "@tfm/kit";\nexport const w = F.softmax(torch.zeros(2, 3), -1);\n`);
    await hoverText(page, "softmax");
    await expect.poll(() => page.locator(".cm-tooltip").allInnerTexts(), { timeout: 30_000 }).toEqual(expect.arrayContaining([expect.stringMatching(/softmax\(x: Tensor, dim: number\)/)]));

    // A compile error found by the grader: Ctrl+Enter runs the public tests (and adds no line), the line is marked.
    const broken = `import { torch, type Tensor } from "@tfm/kit";\n\nexport function scaledDotProductAttention(Q: Tensor, K: Tensor, V: Tensor) {\n  return torch.matmul(Q, K.transpose(-2, -1) V);\n}\n`;
    await replaceCode(page, broken);
    const before = await page.locator(".cm-line").count();
    await page.locator(".cm-content").click();
    await page.keyboard.press("Control+Enter");
    await page.locator("[data-verdict]").waitFor({ timeout: 120_000 });
    expect(await page.locator("[data-verdict]").getAttribute("data-verdict")).toBe("compile_error");
    expect(await page.locator(".cm-line").count()).toBe(before);
    await expect.poll(() => page.locator(".cm-gutter-lint .cm-lint-marker-error").count(), { timeout: 30_000 }).toBeGreaterThan(0);
    await page.screenshot({ path: path.join(SHOTS, "editor-grader-marker-laptop.png") });
    await page.setViewportSize(SIZES.tablet);
    await page.getByTestId("editor").scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(SHOTS, "editor-grader-marker-tablet.png") });

    expect(external).toEqual([]);
    await context.close();
  });
});
