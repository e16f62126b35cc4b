import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import { seriousA11yViolations, type watchPage } from '../support/browser.js';

/** Waits for the page to settle, saves its screenshot as `<dir>/<name>.png`, and asserts no errors and no serious accessibility violation. */
export async function checkPage(p: Page, w: ReturnType<typeof watchPage>, dir: string, name: string): Promise<void> {
  await p.waitForLoadState('networkidle');
  await p.mouse.move(0, 0); // the page at rest: no hover colours left by the last click
  for (const busy of ['.ant-spin-spinning', '.ant-btn-loading', '[class*="-appear-active"]', '[class*="-enter-active"]'])
    await p
      .locator(busy)
      .first()
      .waitFor({ state: 'detached', timeout: 10_000 })
      .catch(() => undefined);
  await p.waitForTimeout(400); // colour transitions (hover, focus, a click's wave) end within Ant Design's 0.2–0.3 s
  await p.screenshot({ path: join(dir, `${name}.png`), fullPage: true });
  // a contrast measured mid-transition on a loaded machine is not the page's: look again once after
  // a moment; a violation of the page at rest is there both times
  let violations = await seriousA11yViolations(p);
  if (violations.length) {
    await p.waitForTimeout(800);
    violations = await seriousA11yViolations(p);
  }
  expect(violations, `${name}: accessibility`).toEqual([]);
  expect(w.take(), `${name}: console errors or failed requests`).toEqual([]);
}

/** Signs in on the login page (zh-CN labels). */
export async function signIn(p: Page, base: string, username: string, password: string): Promise<void> {
  await p.goto(`${base}/login`);
  await p.getByLabel('用户名').fill(username);
  await p.getByLabel('密码').fill(password);
  await p.getByRole('button', { name: '登录' }).click();
}

/**
 * Switches the console to English with the keyboard (focus the language switch, open it, pick
 * English) and waits for the menu to say `menuItem`. On a loaded machine the first key press can
 * reach the switch before it is ready: the whole gesture is tried again, up to three times.
 */
export async function switchToEnglish(p: Page, menuItem: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    await p.keyboard.press('Escape');
    await p.getByRole('combobox', { name: '语言' }).focus();
    await p.keyboard.press('ArrowDown');
    const option = p.locator('.ant-select-item-option', { hasText: 'English' });
    try {
      await option.waitFor({ timeout: 5_000 });
      await option.click();
      await p.getByRole('menuitem', { name: menuItem }).waitFor({ timeout: 10_000 });
      return;
    } catch (e) {
      if (attempt >= 3) throw e;
    }
  }
}
