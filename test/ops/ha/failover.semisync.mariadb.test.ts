import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAlerting } from '../../../src/app/alerting.js';
import { monitorRoleDeps } from '../../../src/app/roles/monitor.js';
import { SEMI_SYNC_ALERT } from '../../../src/ops/ha/failover.js';
import { type RunningMonitor, startMonitor } from '../../../src/ops/ha/monitor.js';
import { runCli } from '../../support/cli.js';
import type { MariadbServer } from '../../support/mariadbServer.js';
import { type ReplicaSet, startReplicaSet, grantHaAccounts, haPlatformEnv } from '../../support/replicaSet.js';
import { uniqueName } from '../../support/services.js';
import { ADMIN_PASSWORD, startTestPlatform, type TestPlatform } from '../../support/testPlatform.js';
import { waitFor } from '../../support/waitFor.js';

/**
 * Issue 12 item 4, semi-synchronous replication (built into MariaDB): the monitor reports whether
 * the primary's semi-sync is on and active, and raises the major alert 半同步复制降级为异步 when
 * it falls back to asynchronous (no replica acknowledged within the timeout), resolved when it is back.
 */
const APP_USER = 'mcp_app';
const APP_PASSWORD = 'App-Pass-2026!';

describe('semi-synchronous replication state and its degradation alert (MariaDB replica set)', () => {
  let rs: ReplicaSet;
  let tp: TestPlatform;
  let dbName: string;
  let primary: MariadbServer;
  let monitor: RunningMonitor | undefined;
  const appUrl = (s: MariadbServer) => `mysql://${APP_USER}:${encodeURIComponent(APP_PASSWORD)}@127.0.0.1:${s.port}/${dbName}`;

  beforeAll(async () => {
    rs = await startReplicaSet({
      replicas: 2,
      extraArgs: ['--rpl-semi-sync-master-enabled=ON', '--rpl-semi-sync-slave-enabled=ON', '--rpl-semi-sync-master-timeout=300'],
    });
    primary = rs.primary;
    dbName = uniqueName('mcp_fos');
    await grantHaAccounts(rs, { dbName, user: APP_USER, password: APP_PASSWORD });
    tp = await startTestPlatform('real', {
      urls: { mysqlBase: primary.rootUrl },
      env: haPlatformEnv(rs, appUrl),
    });
    await rs.waitInSync();
  }, 60_000);

  afterAll(async () => {
    await monitor?.stop();
    await tp?.close().catch(() => undefined);
    await rs?.destroy();
  });

  it('reports semi-sync on; alerts (major) when it falls back to async; resolves when replicas acknowledge again', async () => {
    monitor = startMonitor(monitorRoleDeps(tp.platform, { intervalMs: 150, failuresNeeded: 3 }));
    await waitFor('semi-sync active', () => monitor!.status().leader && monitor!.status().semiSync?.active === true);
    expect(monitor.status().semiSync).toEqual({ enabled: true, active: true });
    const admin = (await tp.login('admin', ADMIN_PASSWORD)).accessToken;
    expect((await tp.request({ method: 'GET', url: '/api/ops/ha/monitor', token: admin })).body.semiSync).toEqual({ enabled: true, active: true });

    for (const r of rs.replicas) await r.query('STOP SLAVE');
    await rs.writeRows(1, { on: primary }); // waits the 300 ms timeout, then the primary goes asynchronous
    await waitFor('the degradation seen', () => monitor!.status().semiSync?.active === false);
    const alerts = createAlerting(tp.platform).alerts;
    const firing = await waitFor('the semi-sync alert', async () => (await alerts.list({})).find((a) => a.name === SEMI_SYNC_ALERT && a.status === 'firing'));
    expect(firing.severity).toBe('major');
    expect(firing.summary).toContain('异步');

    const dataDir = mkdtempSync(join(tmpdir(), 'mcp-fos-cli-'));
    try {
      const env = { MCP_ENV: 'test', MCP_DATA_DIR: dataDir, MCP_LOG_DIR: join(dataDir, 'logs'), MCP_DB_URL: tp.config.dbUrl, MCP_DB_REPLICATION_URL: rs.replicationUrl };
      const status = await runCli(['ha', 'status'], env);
      expect(status.code, status.stderr).toBe(0);
      expect(status.stdout).toContain('半同步复制：已启用，但已降级为异步');
      expect(status.stdout).toMatch(/HA 监控：运行中/);
      const en = await runCli(['--lang', 'en', 'ha', 'status', '--json'], env);
      expect(JSON.parse(en.stdout)).toMatchObject({ semiSync: { enabled: true, active: false }, blockedSince: null });
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }

    for (const r of rs.replicas) await r.query('START SLAVE');
    await rs.writeRows(1, { on: primary });
    await waitFor('semi-sync active again', () => monitor!.status().semiSync?.active === true);
    await waitFor('the semi-sync alert resolved', async () => (await alerts.list({})).find((a) => a.name === SEMI_SYNC_ALERT && a.status === 'resolved'));
  }, 45_000);
});
