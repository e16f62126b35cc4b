import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, watchPage } from '../support/browser.js';
import { startServe } from '../support/cli.js';
import type { MariadbServer } from '../support/mariadbServer.js';
import { grantHaAccounts, haPlatformEnv, type ReplicaSet, startReplicaSet } from '../support/replicaSet.js';
import { uniqueName } from '../support/services.js';
import { checkPage, signIn } from './support.js';

/**
 * The console's 数据库高可用 page on a real MariaDB primary and replica (private mariadbd servers,
 * GTID replication) behind the built platform: the servers with their roles, replication threads and
 * lag, and a planned switchover started from the page that makes the replica the primary.
 */
const WEB_DIST = fileURLToPath(new URL('../../web/dist', import.meta.url));
const ARTEFACTS = fileURLToPath(new URL('../../test-artefacts/console', import.meta.url));
const APP_USER = 'mcp_app';
const APP_PASSWORD = 'App-Pass-2026!';
const ADMIN_PASSWORD = 'Ha-Console-Boss-2026!';

describe('ops console: database HA page (MariaDB primary + replica)', () => {
  let rs: ReplicaSet;
  let dir: string;
  let server: Awaited<ReturnType<typeof startServe>>;
  let base: string;
  let browser: Browser;
  let page: Page;
  let watch: ReturnType<typeof watchPage>;
  let primary: MariadbServer;
  let replica: MariadbServer;
  let dbName: string;
  const dbNameOf = () => dbName;
  const addr = (s: MariadbServer) => `127.0.0.1:${s.port}`;

  beforeAll(async () => {
    rs = await startReplicaSet({ replicas: 1 });
    [primary, replica] = rs.servers as [MariadbServer, MariadbServer];
    dbName = uniqueName('mcp_haweb');
    await grantHaAccounts(rs, { dbName, user: APP_USER, password: APP_PASSWORD });
    await primary.query(`CREATE DATABASE IF NOT EXISTS \`${dbName}\``);
    // the documented grants for backups and restores (README: Restores and database grants)
    for (const db of ['mcp\\_restore\\_%', 'mcp\\_stage\\_%', 'mcp\\_verify\\_%']) await primary.query(`GRANT ALL PRIVILEGES ON \`${db}\`.* TO ?@'%'`, [APP_USER]);
    await primary.query("GRANT RELOAD, BINLOG MONITOR, REPLICATION SLAVE, BINLOG REPLAY ON *.* TO ?@'%'", [APP_USER]);
    const appUrl = (s: MariadbServer) => `mysql://${APP_USER}:${encodeURIComponent(APP_PASSWORD)}@127.0.0.1:${s.port}/${dbName}`;
    dir = mkdtempSync(join(tmpdir(), 'mcp-ops-ha-'));
    mkdirSync(ARTEFACTS, { recursive: true });
    server = await startServe({
      ...haPlatformEnv(rs, appUrl),
      MCP_DATA_DIR: join(dir, 'data'),
      MCP_LOG_DIR: join(dir, 'logs'),
      MCP_LOG_LEVEL: 'warn',
      MCP_PORT: '0',
      MCP_HOST: '127.0.0.1',
      MCP_CONSOLE_DIR: WEB_DIST,
      MCP_SCHEDULER: 'false',
    });
    base = server.url;
    const m = /一次性密码[^：]*：\s*(\S+)/.exec(server.output());
    if (!m) throw new Error(`no one-time password printed:\n${server.output()}`);
    const login = await fetch(`${base}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: m[1] }),
    });
    const { accessToken } = (await login.json()) as { accessToken: string };
    const changed = await fetch(`${base}/api/auth/password`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${accessToken}` },
      body: JSON.stringify({ currentPassword: m[1], newPassword: ADMIN_PASSWORD }),
    });
    expect(changed.status).toBe(204);
    await rs.waitInSync();

    browser = await launchChromium();
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
    page = await ctx.newPage();
    watch = watchPage(page);
    await signIn(page, base, 'admin', ADMIN_PASSWORD);
    await page.waitForURL(/\/overview$/);
    await page.waitForLoadState('networkidle');
    watch.take(); // the overview is the console tests' page
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    if (server) {
      server.child.kill('SIGTERM');
      await server.exited;
    }
    await rs?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('backups on MariaDB: a full and an incremental backup from the page make every second of the window restorable', async () => {
    await page.goto(`${base}/backups`);
    await page.getByRole('button', { name: '立即全量备份' }).click();
    const full = page.getByTestId('job-backup.full');
    await expect.poll(() => full.getAttribute('data-status'), { timeout: 90_000 }).toBe('succeeded');
    await page.getByText('仅全量备份时间点').waitFor();
    await primary.query(`CREATE TABLE IF NOT EXISTS \`${dbNameOf()}\`.web_pitr (id INT PRIMARY KEY)`);
    await primary.query(`INSERT INTO \`${dbNameOf()}\`.web_pitr VALUES (1), (2)`);
    await page.getByRole('button', { name: '立即增量备份' }).click();
    const incremental = page.getByTestId('job-backup.incremental');
    await expect.poll(() => incremental.getAttribute('data-status'), { timeout: 90_000 }).toBe('succeeded');
    await page.getByText('范围内任意时间点').waitFor();
    await page.getByText('最新全量备份之后已有归档').waitFor();
    await page.getByRole('button', { name: '恢复', exact: true }).first().click();
    await page.getByRole('dialog').getByText('恢复到时间点（可选）').waitFor();
    await checkPage(page, watch, ARTEFACTS, 'ops-21-backups-mariadb-pitr');
    await page.getByRole('dialog').getByRole('button', { name: '取消' }).click();
  }, 180_000);

  it('shows the primary and the replica with running threads and no lag; a switchover from the page swaps them', async () => {
    await page.goto(`${base}/ha`);
    const primaryRow = page.locator('.ant-table-row', { hasText: addr(primary) });
    const replicaRow = page.locator('.ant-table-row', { hasText: addr(replica) });
    await primaryRow.getByText('主库', { exact: true }).waitFor();
    await replicaRow.getByText('从库', { exact: true }).waitFor();
    await expect.poll(() => replicaRow.getByText('是', { exact: true }).count()).toBe(2); // IO and SQL threads
    await replicaRow.getByText('0 s').waitFor();
    await checkPage(page, watch, ARTEFACTS, 'ops-19-ha-topology');

    await page.getByRole('button', { name: '主从切换' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByText(addr(replica)).waitFor(); // the target picker offers the replica
    await checkPage(page, watch, ARTEFACTS, 'ops-20-ha-switchover');
    await dialog.getByRole('button', { name: '开始切换' }).click();
    await page.getByText(`已切换到 ${addr(replica)}`).waitFor({ timeout: 60_000 });
    await expect.poll(async () => (await rs.whoIsPrimary())?.port, { timeout: 30_000 }).toBe(replica.port);
    await replicaRow.getByText('主库', { exact: true }).waitFor({ timeout: 30_000 });
    await primaryRow.getByText('从库', { exact: true }).waitFor({ timeout: 30_000 });
    expect(watch.take()).toEqual([]);
  }, 180_000);
});
