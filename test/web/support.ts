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
  await p.screenshot({ path: join(dir, `${name}.png`), fullPage: true });
  expect(await seriousA11yViolations(p), `${name}: accessibility`).toEqual([]);
  expect(w.take(), `${name}: console errors or failed requests`).toEqual([]);
}

/** Signs in on the login page (zh-CN labels). */
export async function signIn(p: Page, base: string, username: string, password: string): Promise<void> {
  await p.goto(`${base}/login`);
  await p.getByLabel('用户名').fill(username);
  await p.getByLabel('密码').fill(password);
  await p.getByRole('button', { name: '登录' }).click();
}
