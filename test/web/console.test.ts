import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import SQLite from 'better-sqlite3';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, watchPage } from '../support/browser.js';
import { startServe } from '../support/cli.js';
import { checkPage as checkPageAtRest, switchToEnglish } from './support.js';

/**
 * The ops console in a real browser (Debian's chromium through playwright-core) against the built
 * platform (`npm run build`: server and web/dist) on the embedded default, as a person uses it:
 * first login and the forced password change, every page in Chinese (screenshots under
 * test-artefacts/console/, axe-core scan, no console error or failed request), a viewer created from
 * the users page who sees no write button and whose forged write gets 403, the session cookie,
 * English remembered, a tampered audit row shown, and an expired access token refreshed on its 401.
 */
const WEB_DIST = fileURLToPath(new URL('../../web/dist', import.meta.url));
const ARTEFACTS = fileURLToPath(new URL('../../test-artefacts/console', import.meta.url));
const ADMIN_PASSWORD = 'Ops-Console-2026!'; // a password may not contain the username
const VIEWER_PASSWORD = 'Viewer-Pass-2026!';
const TOKEN_TTL_SECONDS = 30; // the shortest MCP_ACCESS_TOKEN_TTL the config accepts

describe('ops console (browser, embedded default)', { timeout: 120_000 }, () => {
  let dir: string;
  let server: Awaited<ReturnType<typeof startServe>>;
  let base: string;
  let oneTimePassword: string;
  let browser: Browser;
  let admin: BrowserContext;
  let page: Page;
  let watch: ReturnType<typeof watchPage>;

  const newContext = async (width = 1280, height = 800) => {
    const ctx = await browser.newContext({ viewport: { width, height }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
    ctx.setDefaultTimeout(20_000); // a step that does not happen fails with its own message, before the test's timeout
    return ctx;
  };

  /** Waits for the page to settle (support.ts: at rest, no animation), saves its screenshot, and asserts no errors and no serious accessibility violation. */
  const checkPage = (p: Page, w: ReturnType<typeof watchPage>, name: string) => checkPageAtRest(p, w, ARTEFACTS, name);

  async function signIn(p: Page, username: string, password: string) {
    await p.goto(`${base}/login`);
    await p.getByLabel('用户名').fill(username);
    await p.getByLabel('密码').fill(password);
    await p.getByRole('button', { name: '登录' }).click();
  }

  const menu = (p: Page, name: string) => p.getByRole('menuitem', { name }).click();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mcp-console-'));
    mkdirSync(ARTEFACTS, { recursive: true });
    server = await startServe({
      MCP_DATA_DIR: join(dir, 'data'),
      MCP_LOG_DIR: join(dir, 'logs'),
      MCP_LOG_LEVEL: 'warn',
      MCP_PORT: '0',
      MCP_HOST: '127.0.0.1',
      MCP_CONSOLE_DIR: WEB_DIST,
      MCP_ACCESS_TOKEN_TTL: String(TOKEN_TTL_SECONDS),
    });
    base = server.url;
    const m = /一次性密码[^：]*：\s*(\S+)/.exec(server.output());
    if (!m) throw new Error(`no one-time password printed:\n${server.output()}`);
    oneTimePassword = m[1]!;
    browser = await launchChromium();
    admin = await newContext();
    page = await admin.newPage();
    watch = watchPage(page);
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    if (server) {
      server.child.kill('SIGTERM');
      await server.exited;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('first login: a clean login page, the one-time password leads to the password page, then to the overview', async () => {
    await page.goto(`${base}/`);
    await page.waitForURL(/\/login$/);
    await expect.poll(() => page.title()).toBe('MCP 运维控制台');
    await checkPage(page, watch, '01-login');

    await signIn(page, 'admin', 'not-the-password');
    await page.getByRole('alert').filter({ hasText: '用户名或密码错误' }).waitFor();
    expect(watch.take().filter((p) => !p.includes('401'))).toEqual([]); // the refused login is the answer, not a fault

    await signIn(page, 'admin', oneTimePassword);
    await page.waitForURL(/\/change-password$/);
    await page.getByText('首次登录须修改一次性密码后才能继续使用。').waitFor();
    await checkPage(page, watch, '02-change-password');

    await page.getByLabel('当前密码').fill(oneTimePassword);
    await page.getByLabel('新密码', { exact: true }).fill(ADMIN_PASSWORD);
    await page.getByLabel('确认新密码').fill(ADMIN_PASSWORD);
    await page.getByRole('button', { name: '修改密码' }).click();
    await page.waitForURL(/\/overview$/);
    await page.getByText('依赖组件').waitFor();
    await checkPage(page, watch, '03-overview');
  });

  it('every page renders in Chinese without errors or serious accessibility problems, at 1280 px and phone width', async () => {
    await menu(page, '用户管理');
    await page.getByRole('cell', { name: 'admin', exact: true }).first().waitFor();
    await checkPage(page, watch, '04-users');

    await menu(page, '角色管理');
    await page
      .getByRole('cell', { name: /viewer/ })
      .first()
      .waitFor();
    await checkPage(page, watch, '05-roles');
    // built-in roles open read-only; a new role is edited over the permission catalog
    await page.getByRole('button', { name: '查看' }).first().click();
    await page.getByRole('dialog').getByText('users:read').waitFor();
    await page.keyboard.press('Escape');
    await page.getByRole('dialog').waitFor({ state: 'hidden' });
    await page.getByRole('button', { name: '新建角色' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('角色标识').fill('auditor');
    await dialog.getByLabel('描述').fill('审计员 / auditor');
    await dialog.getByRole('checkbox', { name: /audit:read/ }).check();
    await dialog.getByRole('checkbox', { name: /users:read/ }).check();
    await checkPage(page, watch, '06-role-editor');
    await dialog.getByRole('button', { name: '保存' }).click();
    await page
      .getByRole('cell', { name: /auditor/ })
      .first()
      .waitFor();
    await page
      .getByRole('row', { name: /auditor/ })
      .getByText('2 项权限')
      .waitFor();

    await menu(page, '审计日志');
    await page.getByRole('cell', { name: 'auth.login' }).first().waitFor();
    await page.getByRole('button', { name: '校验哈希链' }).click();
    await expect.poll(() => page.getByTestId('audit-verify').textContent()).toMatch(/哈希链完整/);
    await checkPage(page, watch, '07-audit');
    // the date picker speaks Chinese too (dayjs' locale follows the console's)
    await page.getByPlaceholder('开始日期').click();
    const monthsZh = await page.locator('.ant-picker-dropdown .ant-picker-month-btn').allTextContents();
    expect(monthsZh.length).toBeGreaterThan(0);
    for (const m of monthsZh) expect(m).toMatch(/^\d{1,2}月$/);
    await page.keyboard.press('Escape');

    await menu(page, '系统设置');
    await page.getByRole('button', { name: '新增设置' }).click();
    const settingDialog = page.getByRole('dialog');
    await settingDialog.getByLabel('名称').fill('console.banner');
    await settingDialog.getByLabel('值（JSON）').fill('{"text": "维护窗口 02:00"');
    await settingDialog.getByRole('button', { name: '保存' }).click();
    await settingDialog.getByText('不是合法的 JSON').waitFor(); // checked before anything is sent
    await settingDialog.getByLabel('值（JSON）').fill('{"text": "维护窗口 02:00"}');
    await settingDialog.getByRole('button', { name: '保存' }).click();
    await page.getByRole('cell', { name: 'console.banner' }).waitFor();
    await checkPage(page, watch, '08-settings');

    // a script signed in as admin elsewhere: the profile lists it and ends it
    const script = await fetch(`${base}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'ops-script/1.0' },
      body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }),
    });
    const scriptToken = ((await script.json()) as { accessToken: string }).accessToken;
    await page.getByTestId('user-menu').click();
    await page.getByRole('menuitem', { name: '个人中心' }).click();
    await page.waitForURL(/\/profile$/);
    await page.getByText('当前会话').waitFor();
    const scriptRow = page.getByRole('row').filter({ hasText: 'ops-script/1.0' });
    await scriptRow.waitFor();
    await checkPage(page, watch, '09-profile');
    await scriptRow.getByRole('button', { name: '结束会话' }).click();
    await page.getByRole('button', { name: '确定' }).click();
    await page.getByText('会话已结束').waitFor();
    await scriptRow.waitFor({ state: 'detached' });
    expect((await fetch(`${base}/api/auth/me`, { headers: { authorization: `Bearer ${scriptToken}` } })).status).toBe(401);
    expect(watch.take()).toEqual([]);

    const phone = await newContext(390, 844);
    const p = await phone.newPage();
    const w = watchPage(p);
    await signIn(p, 'admin', ADMIN_PASSWORD);
    await p.waitForURL(/\/overview$/);
    await p.getByText('依赖组件').waitFor();
    await checkPage(p, w, '10-overview-phone');
    await p.goto(`${base}/users`);
    await p.getByRole('cell', { name: 'admin', exact: true }).first().waitFor();
    await checkPage(p, w, '11-users-phone');
    await phone.close();
  });

  it('an administrator creates a viewer, sees an API error, disables, resets and deletes a user with confirmations; the search stays in the URL', async () => {
    await page.goto(`${base}/users`);
    await page.getByRole('button', { name: '新建用户' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('用户名').fill('viewer1');
    await dialog.getByLabel('邮箱').fill('viewer1@example.com');
    await dialog.getByLabel('显示名称').fill('只读用户');
    await dialog.getByLabel('初始密码').fill(VIEWER_PASSWORD);
    await dialog.getByLabel('首次登录须修改密码').uncheck();
    await checkPage(page, watch, '12-user-create');
    await dialog.getByRole('button', { name: '保存' }).click();
    await page.getByRole('cell', { name: 'viewer1', exact: true }).waitFor();

    // the API's error is shown in the dialog (a taken username: 409)
    await page.getByRole('button', { name: '新建用户' }).click();
    await dialog.getByLabel('用户名').fill('viewer1');
    await dialog.getByLabel('邮箱').fill('other@example.com');
    await dialog.getByLabel('初始密码').fill(VIEWER_PASSWORD);
    await dialog.getByRole('button', { name: '保存' }).click();
    await dialog.getByRole('alert').filter({ hasText: '冲突' }).waitFor();
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });

    // disable, reset the password of, and delete a user — each destructive step asks first
    await page.getByRole('button', { name: '新建用户' }).click();
    await dialog.getByLabel('用户名').fill('temp1');
    await dialog.getByLabel('邮箱').fill('temp1@example.com');
    await dialog.getByLabel('初始密码').fill(VIEWER_PASSWORD);
    await dialog.getByRole('button', { name: '保存' }).click();
    const row = page.getByRole('row', { name: /temp1/ });
    await row.getByRole('button', { name: '停用' }).click();
    await page.getByRole('tooltip').getByText('确定停用 temp1？').waitFor();
    await page.getByRole('tooltip').getByRole('button', { name: '确定' }).click();
    await row.getByText('停用', { exact: true }).first().waitFor();
    await row.getByRole('button', { name: '启用' }).waitFor();
    await row.getByRole('button', { name: '重置密码' }).click();
    await dialog.getByLabel('新密码').fill('Reset-Pass-2026!');
    await dialog.getByRole('button', { name: '确定' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await row.getByRole('button', { name: '删除' }).click();
    await page.getByRole('tooltip').getByText('确定删除 temp1？此操作不可撤销。').waitFor();
    await page.getByRole('tooltip').getByRole('button', { name: '删除' }).click();
    await row.waitFor({ state: 'detached' });
    // the failed create above was an answer the user saw, not a broken page
    expect(watch.take().filter((p) => !p.includes('409'))).toEqual([]);

    await page.getByPlaceholder('用户名、邮箱或名称').fill('viewer');
    await page.getByPlaceholder('用户名、邮箱或名称').press('Enter');
    await page.waitForURL(/search=viewer/);
    await page.reload();
    await page.getByRole('cell', { name: 'viewer1', exact: true }).waitFor();
    await expect.poll(() => page.getByRole('cell', { name: 'admin', exact: true }).count()).toBe(0);
    expect(await page.getByPlaceholder('用户名、邮箱或名称').inputValue()).toBe('viewer');
    expect(watch.take()).toEqual([]);
  });

  it('a viewer sees read-only pages with no write button; a forged write with its token gets 403', async () => {
    const ctx = await newContext();
    const p = await ctx.newPage();
    const w = watchPage(p);
    await signIn(p, 'viewer1', VIEWER_PASSWORD);
    await p.waitForURL(/\/overview$/);
    await p.getByText('依赖组件').waitFor();
    expect(await p.getByRole('menuitem', { name: '审计日志' }).count()).toBe(0);

    const tokenSeen = p.waitForRequest((r) => r.url().includes('/api/users') && !!r.headers().authorization);
    await p.getByRole('menuitem', { name: '用户管理' }).click();
    await p.getByRole('cell', { name: 'admin', exact: true }).first().waitFor();
    const authorization = (await tokenSeen).headers().authorization!;
    for (const write of ['新建用户', '编辑', '删除', '停用', '重置密码']) expect(await p.getByRole('button', { name: write }).count(), write).toBe(0);
    await checkPage(p, w, '13-users-viewer');

    await menu(p, '角色管理');
    await p
      .getByRole('cell', { name: /viewer/ })
      .first()
      .waitFor();
    expect(await p.getByRole('button', { name: '新建角色' }).count()).toBe(0);
    expect(await p.getByRole('button', { name: '编辑' }).count()).toBe(0);
    await menu(p, '系统设置');
    await p.getByRole('table').waitFor();
    await p.getByRole('cell', { name: 'console.banner' }).waitFor();
    for (const write of ['新增设置', '编辑', '删除']) expect(await p.getByRole('button', { name: write }).count(), write).toBe(0);
    expect(w.take()).toEqual([]);

    await p.goto(`${base}/audit`);
    await p.getByText('没有权限访问此页面').waitFor();
    await checkPage(p, w, '14-audit-forbidden-viewer');

    const forged = await p.evaluate(async (auth) => {
      const create = await fetch('/api/users', {
        method: 'POST',
        headers: { authorization: auth, 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'intruder', email: 'i@example.com', password: 'Intruder-Pass-1!' }),
      });
      const remove = await fetch('/api/users/1', { method: 'DELETE', headers: { authorization: auth } });
      return [create.status, remove.status];
    }, authorization);
    expect(forged).toEqual([403, 403]);
    await ctx.close();
  });

  it('the refresh token is only in an httpOnly cookie scoped to /api/auth; localStorage holds no token', async () => {
    const tokenSeen = page.waitForRequest((r) => r.url().includes('/api/') && !!r.headers().authorization);
    await page.goto(`${base}/users`);
    const accessToken = (await tokenSeen).headers().authorization!.replace(/^Bearer /, '');
    const cookies = await admin.cookies();
    const refresh = cookies.find((c) => c.name === 'mcp_refresh');
    expect(refresh).toMatchObject({ httpOnly: true, path: '/api/auth', sameSite: 'Strict' });
    // (these callbacks run in the page: its globals, not Node's)
    expect(await page.evaluate(() => (globalThis as any).document.cookie as string)).not.toContain('mcp_refresh');
    const storage = await page.evaluate(() => Object.entries((globalThis as any).localStorage as Record<string, string>));
    for (const [k] of storage) expect(k).toBe('mcp-console.prefs'); // UI preferences only
    for (const [, v] of storage) {
      expect(v).not.toContain(accessToken);
      expect(v).not.toContain(refresh!.value);
      expect(v).not.toMatch(/eyJ[\w-]+\.[\w-]+/);
    }
    expect(await page.evaluate(() => Object.keys((globalThis as any).sessionStorage as Record<string, string>))).toEqual([]);
  });

  it('switching to English changes the whole console, date pickers included, and is remembered', async () => {
    const ctx = await newContext();
    const p = await ctx.newPage();
    const w = watchPage(p);
    await signIn(p, 'admin', ADMIN_PASSWORD);
    await p.waitForURL(/\/overview$/);
    // by keyboard: focus the language switch, open it, pick English
    await switchToEnglish(p, 'Overview');
    await p.getByText('Dependencies').waitFor();

    await p.reload();
    await p.getByRole('menuitem', { name: 'Overview' }).waitFor();
    expect(await p.evaluate(() => (globalThis as any).document.documentElement.lang as string)).toBe('en');
    await p.goto(`${base}/audit`);
    await p.getByPlaceholder('Start date').click();
    const months = await p.locator('.ant-picker-dropdown .ant-picker-month-btn').allTextContents();
    expect(months.length).toBeGreaterThan(0);
    for (const m of months) expect(m).toMatch(/^(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)/);
    await p.screenshot({ path: join(ARTEFACTS, '15-audit-english.png'), fullPage: true });
    expect(w.take()).toEqual([]);
    await ctx.close();
  });

  it('tampering with an audit row in the SQLite file: the verify button shows where the chain breaks', async () => {
    const db = new SQLite(join(dir, 'data', 'mcp_platform.db'));
    const { seq } = db.prepare('SELECT seq FROM audit_log ORDER BY seq LIMIT 1 OFFSET 2').get() as { seq: number };
    db.prepare("UPDATE audit_log SET actor = 'mallory' WHERE seq = ?").run(seq);
    db.close();

    await page.goto(`${base}/audit`);
    await page.getByRole('cell', { name: 'mallory' }).waitFor();
    await page.getByRole('button', { name: '校验哈希链' }).click();
    const result = page.getByTestId('audit-verify');
    await expect.poll(() => result.textContent()).toMatch(/哈希链被破坏/);
    const text = (await result.textContent())!;
    expect(text).toContain(`首个断点：#${seq}`);
    expect(text).toContain('记录被修改（与其哈希不符）');
    await checkPage(page, watch, '16-audit-broken');
  });

  it('an access token that expired is refreshed silently on its 401 and the request retried', async () => {
    const ctx = await newContext();
    const p = await ctx.newPage();
    await p.clock.install();
    await signIn(p, 'admin', ADMIN_PASSWORD);
    await p.waitForURL(/\/overview$/);
    await p.getByText('依赖组件').waitFor();
    // stop the page's clock so the timer that refreshes before expiry cannot run while the token expires
    // for real on the server; resumed, the page's time goes on from where it stopped, so that timer is
    // still far off when the next request meets its 401
    await p.clock.pauseAt(Date.now() + 1_000);
    await new Promise((r) => setTimeout(r, (TOKEN_TTL_SECONDS + 2) * 1000));
    await p.clock.resume();

    const seen: string[] = [];
    p.on('response', (r) => {
      const path = new URL(r.url()).pathname;
      if (path.startsWith('/api/')) seen.push(`${r.status()} ${path}`);
    });
    await p.getByRole('menuitem', { name: '用户管理' }).click();
    await p.getByRole('cell', { name: 'viewer1', exact: true }).waitFor();
    expect(seen).toContain('401 /api/users');
    expect(seen.filter((s) => s.endsWith('/api/auth/session'))).toEqual(['200 /api/auth/session']);
    expect(seen.filter((s) => s.endsWith('/api/users')).at(-1)).toBe('200 /api/users');
    expect(p.url()).toMatch(/\/users$/);
    await ctx.close();
  }, 120_000);
});
