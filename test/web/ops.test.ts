import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alertmanagerPayload } from '../support/alertmanagerPayload.js';
import { launchChromium, watchPage } from '../support/browser.js';
import { startServe } from '../support/cli.js';
import { type HttpReceiver, startHttpReceiver } from '../support/httpReceiver.js';
import { checkPage, signIn, switchToEnglish } from './support.js';

/**
 * The console's ops pages (运维: backups, database HA, alerts, notifications, incidents) in a real
 * browser against the built platform on the embedded default: a full backup run from the page and
 * followed to its end, verified, restored into a new database; an alert posted to the Alertmanager
 * receiver shown and acknowledged; an incident opened and worked through; every page screenshotted
 * (zh-CN, 1280 px and phone width), axe-scanned, without console errors or failed requests; a
 * viewer sees no write button on these pages.
 */
const WEB_DIST = fileURLToPath(new URL('../../web/dist', import.meta.url));
const ARTEFACTS = fileURLToPath(new URL('../../test-artefacts/console', import.meta.url));
const ADMIN_PASSWORD = 'Ops-Console-Boss-2026!';
const VIEWER_PASSWORD = 'Night-Shift-Pass-2026!';
const WEBHOOK_TOKEN = 'ops-console-webhook-token-0123456789';

describe('ops console pages (browser, embedded default)', () => {
  let dir: string;
  let server: Awaited<ReturnType<typeof startServe>>;
  let base: string;
  let browser: Browser;
  let admin: BrowserContext;
  let page: Page;
  let watch: ReturnType<typeof watchPage>;
  let hook: HttpReceiver;

  const newContext = (width = 1280, height = 800) => browser.newContext({ viewport: { width, height }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
  const menu = (p: Page, name: string) => p.getByRole('menuitem', { name }).click();
  /** Picks an option of an Ant Design select (its visible list; the accessible listbox beside it is hidden). */
  const pick = async (p: Page, select: ReturnType<Page['getByRole']>, option: string) => {
    await select.click();
    await p.locator('.ant-select-dropdown:not(.ant-select-dropdown-hidden) .ant-select-item-option', { hasText: option }).click();
  };
  const shot = (p: Page, w: ReturnType<typeof watchPage>, name: string) => checkPage(p, w, ARTEFACTS, name);

  async function api(method: string, path: string, body?: unknown, token?: string): Promise<{ status: number; body: unknown }> {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    return { status: res.status, body: await res.json().catch(() => undefined) };
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mcp-ops-console-'));
    hook = await startHttpReceiver();
    mkdirSync(ARTEFACTS, { recursive: true });
    server = await startServe({
      MCP_DATA_DIR: join(dir, 'data'),
      MCP_LOG_DIR: join(dir, 'logs'),
      MCP_LOG_LEVEL: 'warn',
      MCP_PORT: '0',
      MCP_HOST: '127.0.0.1',
      MCP_CONSOLE_DIR: WEB_DIST,
      MCP_ALERT_WEBHOOK_TOKEN: WEBHOOK_TOKEN,
      MCP_SCHEDULER: 'false',
    });
    base = server.url;
    const m = /一次性密码[^：]*：\s*(\S+)/.exec(server.output());
    if (!m) throw new Error(`no one-time password printed:\n${server.output()}`);
    // the administrator's password changed once over the API; the console tests cover that page
    const login = await api('POST', '/api/auth/login', { username: 'admin', password: m[1] });
    const token = (login.body as { accessToken: string }).accessToken;
    const changed = await api('POST', '/api/auth/password', { currentPassword: m[1], newPassword: ADMIN_PASSWORD }, token);
    expect(changed.status, JSON.stringify(changed.body)).toBeLessThan(300);
    const fresh = (await api('POST', '/api/auth/login', { username: 'admin', password: ADMIN_PASSWORD })).body as { accessToken: string };
    const viewer = await api(
      'POST',
      '/api/users',
      { username: 'opsviewer', email: 'opsviewer@example.com', password: VIEWER_PASSWORD, roles: ['viewer'], mustChangePassword: false },
      fresh.accessToken,
    );
    expect(viewer.status).toBe(201);

    browser = await launchChromium();
    admin = await newContext();
    page = await admin.newPage();
    watch = watchPage(page);
    await signIn(page, base, 'admin', ADMIN_PASSWORD);
    await page.waitForURL(/\/overview$/);
    await page.getByRole('menuitem', { name: '备份恢复' }).waitFor({ state: 'attached' });
    await page.waitForLoadState('networkidle');
    watch.take(); // the overview is the console tests' page
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    if (server) {
      server.child.kill('SIGTERM');
      await server.exited;
    }
    await hook?.close();
    rmSync(dir, { recursive: true, force: true });
  }, 90_000);

  it('backups: a full backup run from the page is followed to done, verified, and restored into a new database', async () => {
    await page.goto(`${base}/backups`);
    await page.getByText('还没有完成的全量备份，暂无可恢复的数据').waitFor();
    await shot(page, watch, 'ops-01-backups-empty');

    await page.getByRole('button', { name: '立即全量备份' }).click();
    const full = page.getByTestId('job-backup.full');
    await full.waitFor();
    await expect.poll(() => full.getAttribute('data-status'), { timeout: 60_000 }).toBe('succeeded');
    await full.getByText('成功').waitFor();
    expect(await full.getByRole('progressbar').getAttribute('aria-valuenow')).toBe('100');
    await page.getByText('全量备份已完成').waitFor();
    await page.getByRole('cell', { name: '完成' }).first().waitFor();
    await page.getByText('仅全量备份时间点').waitFor();
    await expect.poll(() => page.getByTestId('backup-rpo').textContent()).toMatch(/秒/);

    await page.getByRole('button', { name: '校验', exact: true }).first().click();
    await page.getByRole('button', { name: '确定' }).click();
    const verify = page.getByTestId('job-backup.verify');
    await expect.poll(() => verify.getAttribute('data-status'), { timeout: 60_000 }).toBe('succeeded');
    await page.getByRole('cell', { name: '通过' }).waitFor();

    await page.getByRole('button', { name: '恢复', exact: true }).first().click();
    const dialog = page.getByRole('dialog');
    const target = await dialog.getByLabel('恢复库名称').inputValue();
    expect(target).toMatch(/^mcp_restore_\d{8}_\d{4}$/);
    expect(await dialog.getByText('线上库（覆盖线上数据）').count()).toBe(1); // the admin holds ops:restore-live
    await shot(page, watch, 'ops-02-backups-restore');
    await dialog.getByRole('button', { name: '开始恢复' }).click();
    const restore = page.getByTestId('job-restore');
    await expect.poll(() => restore.getAttribute('data-status'), { timeout: 60_000 }).toBe('succeeded');
    expect(existsSync(join(dir, 'data', 'restores', `${target}.db`))).toBe(true);
    await page.getByRole('cell', { name: '恢复', exact: true }).first().waitFor(); // the recent jobs list
    await shot(page, watch, 'ops-03-backups-done');
  }, 180_000);

  it('backups: the live database is only overwritten after typing its name; a wrong name gets the API message', async () => {
    await page.goto(`${base}/backups`);
    await page.getByRole('button', { name: '恢复', exact: true }).first().click();
    const dialog = page.getByRole('dialog');
    await dialog.getByText('线上库（覆盖线上数据）').click();
    const ok = dialog.getByRole('button', { name: '覆盖线上库' });
    expect(await ok.isDisabled()).toBe(true);
    await dialog.getByLabel('输入线上库名称以确认').fill('not-the-live-db');
    await expect.poll(() => ok.isDisabled()).toBe(false);
    const answered = page.waitForResponse((r) => r.url().endsWith('/api/ops/restores'));
    await ok.click();
    expect((await answered).status()).toBe(400);
    await dialog
      .getByRole('alert')
      .getByText(/mcp_platform\.db/)
      .waitFor();
    watch.take(); // the 400 asked for
    await dialog.getByRole('button', { name: '取消' }).click();
  }, 90_000);

  it('backups: a damaged backup fails its verification; the job and the catalog show the one-line cause', async () => {
    // flip bytes in the middle of the backup's data file (not its manifest), as a bad disk would
    const files = readdirSync(join(dir, 'data', 'backups'), { recursive: true, withFileTypes: true }).filter((f) => f.isFile() && !f.name.endsWith('.json'));
    const data = files.map((f) => join(f.parentPath, f.name)).sort((a, b) => statSync(b).size - statSync(a).size)[0]!;
    const bytes = readFileSync(data);
    for (let i = Math.floor(bytes.length / 2); i < Math.floor(bytes.length / 2) + 64; i++) bytes[i] = bytes[i]! ^ 0xff;
    writeFileSync(data, bytes);

    await page.goto(`${base}/backups`);
    await page.getByRole('button', { name: '校验', exact: true }).first().click();
    await page.getByRole('button', { name: '确定' }).click();
    const verify = page.getByTestId('job-backup.verify');
    await expect.poll(() => verify.getAttribute('data-status'), { timeout: 60_000 }).toBe('failed');
    const cause = (await verify.getByRole('alert').textContent())!;
    expect(cause.length).toBeGreaterThan(10);
    expect(cause).not.toContain('\n');
    await page.getByRole('cell', { name: '未通过' }).waitFor();
    watch.take(); // the failure's error toast is what was asked for; the page made no failed request
    await shot(page, watch, 'ops-03b-backups-verify-failed');
  }, 90_000);

  it('database HA on SQLite is a calm "not applicable" state without a failed request', async () => {
    await page.goto(`${base}/overview`);
    await page.waitForLoadState('networkidle');
    watch.take(); // the overview is the console tests' page; the sidebar leads to HA
    await menu(page, '数据库高可用');
    await page.getByTestId('ha-not-applicable').waitFor();
    await page.getByText('当前使用嵌入式 SQLite 数据库，不涉及主从复制与高可用').waitFor();
    await shot(page, watch, 'ops-04-ha-sqlite');
  }, 90_000);

  it('service health: the all-in-one process shows its five modules up (this process), business not provided', async () => {
    await menu(page, '服务健康');
    await page.getByText('全部模块正常').waitFor();
    for (const m of ['认证 auth', '用户 user', '权限 permission', '系统 system', '支撑 support']) {
      const row = page.getByRole('row', { name: new RegExp(m) });
      await row.getByText('正常', { exact: true }).waitFor();
      await row.getByText('本进程').waitFor();
    }
    await page
      .getByRole('row', { name: /业务 business/ })
      .getByText('未提供')
      .waitFor();
    await shot(page, watch, 'ops-05-services');
  }, 90_000);

  it('alerts: an alert posted to the Alertmanager receiver is listed, filtered in the URL and acknowledged; silences', async () => {
    const posted = await fetch(`${base}/api/support/alerts/alertmanager`, {
      method: 'POST',
      headers: { authorization: `Bearer ${WEBHOOK_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify(alertmanagerPayload('firing', { startsAt: new Date(Date.now() - 60_000).toISOString() })),
    });
    expect(posted.status).toBe(200);

    await page.goto(`${base}/alerts`);
    await page.getByRole('cell', { name: '数据库不可用' }).waitFor();
    await pick(page, page.getByRole('combobox', { name: '级别' }), '严重');
    await page.waitForURL(/severity=critical/);
    await page.reload();
    await page.getByRole('cell', { name: '数据库不可用' }).waitFor();
    await shot(page, watch, 'ops-05-alerts');
    await page.getByRole('button', { name: '确认', exact: true }).click();
    await page.getByText('admin 已确认').waitFor();
    expect(await page.getByRole('button', { name: '确认', exact: true }).count()).toBe(0);

    await page.getByRole('tab', { name: '静默' }).click();
    await page.waitForURL(/tab=silences/);
    await page.getByRole('button', { name: '新建静默' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('值').fill('数据库不可用');
    await dialog.getByLabel('说明').fill('变更窗口');
    await shot(page, watch, 'ops-06-silence-create');
    await dialog.getByRole('button', { name: '保存' }).click();
    await page.getByRole('cell', { name: '变更窗口' }).waitFor();
    await page.getByText('alertname=数据库不可用').waitFor();
    await shot(page, watch, 'ops-07-silences');
    await page.getByRole('button', { name: '结束', exact: true }).click();
    await page.getByRole('button', { name: '确定' }).click();
    await page.getByText('静默已结束').waitFor();
    await expect.poll(() => page.getByRole('cell', { name: '变更窗口' }).count()).toBe(0);
  }, 90_000);

  it('notifications: a channel keeps its secret write-only (******), a test is sent, routes and the outbox are shown', async () => {
    await page.goto(`${base}/notify`);
    await page.getByRole('tab', { name: '通知渠道' }).waitFor();
    await page.getByRole('button', { name: '新建渠道' }).click();
    let dialog = page.getByRole('dialog');
    await dialog.getByLabel('名称').fill('ops-hook');
    await dialog.getByLabel('url').fill(`${hook.url}/hook/secret-path-123`);
    await dialog.getByRole('button', { name: '保存' }).click();
    await page.getByRole('cell', { name: 'ops-hook', exact: true }).waitFor();
    await page.getByText('url: ******').waitFor();
    expect(await page.content()).not.toContain('secret-path-123');

    await page.getByRole('button', { name: '新建渠道' }).click();
    dialog = page.getByRole('dialog');
    await dialog.getByLabel('名称').fill('ops-log');
    await pick(page, dialog.getByRole('combobox', { name: '类型' }), '日志文件');
    await dialog.getByRole('button', { name: '保存' }).click();
    await page.getByRole('cell', { name: 'ops-log', exact: true }).waitFor();
    await page
      .getByRole('row', { name: /ops-hook/ })
      .getByRole('button', { name: '发送测试' })
      .click();
    await page.getByText('测试通知已发送').waitFor();
    expect(hook.requests.map((r) => r.path)).toContain('/hook/secret-path-123');
    await shot(page, watch, 'ops-08-notify-channels');

    await page
      .getByRole('row', { name: /ops-hook/ })
      .getByRole('button', { name: '编辑' })
      .click();
    dialog = page.getByRole('dialog');
    expect(await dialog.getByLabel('url').inputValue()).toBe('');
    await dialog.getByText('已设置（******），留空则保持不变').waitFor();
    await dialog.getByRole('button', { name: '取消' }).click();

    for (const [tab, name] of [
      ['联系人', 'ops-09-notify-contacts'],
      ['值班组', 'ops-10-notify-groups'],
      ['通知路由', 'ops-11-notify-routes'],
      ['发送记录', 'ops-12-notify-outbox'],
    ] as const) {
      await page.getByRole('tab', { name: tab }).click();
      await page.getByRole('tabpanel').getByRole('table').waitFor();
      if (tab === '通知路由') await page.getByText('默认：所有启用的邮件渠道，通知全部联系人').waitFor();
      await shot(page, watch, name);
    }
  }, 90_000);

  it('incidents: one opened from the page is acknowledged, moved on, resolved, and gets its postmortem', async () => {
    await page.goto(`${base}/incidents`);
    await page.getByRole('button', { name: '登记故障' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('标题').fill('订单接口超时');
    await dialog.getByLabel('描述').fill('下单 p95 超过 3 秒');
    await dialog.getByRole('button', { name: '保存' }).click();
    await page.waitForURL(/[?&]id=\d+/);
    const status = page.getByTestId('incident-status');
    await expect.poll(() => status.textContent()).toBe('已发现');
    await page.getByRole('button', { name: '确认故障' }).click();
    await expect.poll(() => status.textContent()).toBe('已确认');
    await pick(page, page.getByRole('combobox', { name: '故障类型' }), '应用');
    await page.getByRole('button', { name: '分类', exact: true }).click();
    await expect.poll(() => status.textContent()).toBe('已分类');
    await page.getByRole('button', { name: '转为处理中' }).click();
    await expect.poll(() => status.textContent()).toBe('处理中');
    await page.getByRole('checkbox', { name: '检查日志' }).click();
    await expect.poll(() => page.getByRole('checkbox', { name: '检查日志' }).isChecked()).toBe(true);
    await shot(page, watch, 'ops-13-incident-detail');

    await page.getByRole('button', { name: '结束故障' }).click();
    await page.getByRole('button', { name: '确定' }).click();
    await expect.poll(() => status.textContent()).toBe('已恢复');
    await page.getByRole('button', { name: '故障复盘' }).click();
    const pm = page.getByRole('dialog', { name: '故障复盘' });
    await pm.getByLabel('影响').fill('下单失败率 5%，持续 12 分钟');
    await pm.getByLabel('原因').fill('连接池耗尽');
    await pm.getByRole('button', { name: '保存' }).click();
    await expect.poll(() => status.textContent()).toBe('已复盘');
    await page.getByText('连接池耗尽').first().waitFor();

    await page.keyboard.press('Escape');
    await expect.poll(() => page.url()).not.toMatch(/[?&]id=/);
    await page.getByRole('button', { name: '订单接口超时' }).waitFor();
    await shot(page, watch, 'ops-14-incidents');
  }, 90_000);

  it('phone width: the ops pages render without errors or serious accessibility problems', async () => {
    const phone = await newContext(390, 844);
    const p = await phone.newPage();
    const w = watchPage(p);
    await signIn(p, base, 'admin', ADMIN_PASSWORD);
    await p.waitForURL(/\/overview$/);
    await p.waitForLoadState('networkidle');
    w.take();
    await p.goto(`${base}/backups`);
    await p.getByText('备份目录').waitFor();
    await shot(p, w, 'ops-15-backups-phone');
    await p.goto(`${base}/incidents`);
    await p.getByRole('button', { name: '订单接口超时' }).waitFor();
    await shot(p, w, 'ops-16-incidents-phone');
    await phone.close();
  }, 90_000);

  it('a viewer sees the ops pages read-only: no write button anywhere', async () => {
    const ctx = await newContext();
    const p = await ctx.newPage();
    const w = watchPage(p);
    await signIn(p, base, 'opsviewer', VIEWER_PASSWORD);
    await p.waitForURL(/\/overview$/);
    await p.waitForLoadState('networkidle');
    w.take();

    await menu(p, '备份恢复');
    await p.getByRole('cell', { name: '完成' }).first().waitFor();
    for (const b of ['立即全量备份', '立即增量备份', '立即结构备份', '校验', '恢复']) expect(await p.getByRole('button', { name: b, exact: true }).count(), b).toBe(0);
    await shot(p, w, 'ops-17-backups-viewer');

    await menu(p, '告警');
    await p.getByRole('cell', { name: '数据库不可用' }).waitFor();
    expect(await p.getByRole('button', { name: '确认', exact: true }).count()).toBe(0);
    await p.getByRole('tab', { name: '静默' }).click();
    await p.getByRole('table').waitFor();
    expect(await p.getByRole('button', { name: '新建静默' }).count()).toBe(0);

    await menu(p, '通知');
    await p.getByRole('cell', { name: 'ops-hook', exact: true }).waitFor();
    for (const b of ['新建渠道', '发送测试', '编辑', '删除']) expect(await p.getByRole('button', { name: b }).count(), b).toBe(0);
    expect(await p.getByRole('switch').first().isDisabled()).toBe(true);

    await menu(p, '故障');
    await p.getByRole('button', { name: '订单接口超时' }).click();
    await p.getByTestId('incident-status').waitFor();
    expect(await p.getByRole('button', { name: '登记故障' }).count()).toBe(0);
    expect(await p.getByText('处理步骤').count()).toBe(0);
    expect(await p.getByRole('checkbox').first().isDisabled()).toBe(true);
    await shot(p, w, 'ops-18-incident-viewer');
    await ctx.close();
  }, 90_000);
  it('in English the ops pages, their menu group and their states are English', async () => {
    const ctx = await newContext();
    const p = await ctx.newPage();
    const w = watchPage(p);
    await signIn(p, base, 'admin', ADMIN_PASSWORD);
    await p.waitForURL(/\/overview$/);
    await switchToEnglish(p, 'Operations');
    await p.waitForLoadState('networkidle');
    w.take();
    await menu(p, 'Backups');
    await p.getByText('Restorable window').first().waitFor();
    await p.getByRole('button', { name: 'Full backup now' }).waitFor();
    await p.getByRole('cell', { name: 'Complete' }).first().waitFor();
    await menu(p, 'Incidents');
    await p.getByRole('button', { name: 'Open an incident' }).waitFor();
    await p.getByText('Postmortem').first().waitFor();
    await shot(p, w, 'ops-22-incidents-english');
    await ctx.close();
  }, 90_000);
});
