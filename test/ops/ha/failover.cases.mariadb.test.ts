import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAlerting } from '../../../src/app/alerting.js';
import { monitorRoleDeps } from '../../../src/app/roles/monitor.js';
import type { Decision } from '../../../src/ops/ha/failoverDecision.js';
import { NEEDS_PERSON_ALERT } from '../../../src/ops/ha/failover.js';
import { type RunningMonitor, startMonitor } from '../../../src/ops/ha/monitor.js';
import { runCli } from '../../support/cli.js';
import type { MariadbServer } from '../../support/mariadbServer.js';
import { type ReplicaSet, startReplicaSet, grantHaAccounts, haPlatformEnv } from '../../support/replicaSet.js';
import { uniqueName } from '../../support/services.js';
import { startTcpProxy } from '../../support/tcpProxy.js';
import { ADMIN_PASSWORD, startTestPlatform, type TestPlatform } from '../../support/testPlatform.js';
import { waitFor } from '../../support/waitFor.js';

/**
 * Issue 12 item 4: when the monitor must NOT fail over (a blip, a partition between the monitor
 * and the primary, no usable replica, an errant replica), two monitors (only the lease holder
 * acts), and `db failover --to` by hand (CLI), with 403 / 400 over the API.
 */
const APP_USER = 'mcp_app';
const APP_PASSWORD = 'App-Pass-2026!';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('failover: when not to, two monitors, by hand (MariaDB replica set)', () => {
  let rs: ReplicaSet;
  let tp: TestPlatform;
  let dbName: string;
  let primary: MariadbServer;
  let r1: MariadbServer;
  let r2: MariadbServer;
  const monitors: (RunningMonitor & { decisions: Decision[] })[] = [];
  const addr = (s: MariadbServer) => `127.0.0.1:${s.port}`;
  const appUrl = (s: MariadbServer, port = s.port) => `mysql://${APP_USER}:${encodeURIComponent(APP_PASSWORD)}@127.0.0.1:${port}/${dbName}`;
  const published = async () => (await primary.query(`SELECT COUNT(*) AS n FROM \`${dbName}\`.db_topology`))[0].n;
  /** Every decision a monitor takes, in order. */
  const watch = (m: { decisions: Decision[] }) => (s: { lastDecision: Decision | null }) => void (s.lastDecision && m.decisions.push(s.lastDecision));
  const start = (extra: Parameters<typeof monitorRoleDeps>[1]) => {
    const rec = { decisions: [] as Decision[] };
    const m = Object.assign(startMonitor(monitorRoleDeps(tp.platform, { onTick: watch(rec), ...extra })), rec);
    monitors.push(m);
    return m;
  };
  const stopAll = async () => {
    await Promise.all(monitors.splice(0).map((m) => m.stop()));
  };
  const healthy = async () => {
    for (const s of [primary, r1, r2]) if (!s.running) await s.start();
    await waitFor('replicas replicating', async () => {
      for (const r of [r1, r2]) {
        const [st] = await r.query<Record<string, string>>('SHOW SLAVE STATUS');
        if (st?.Slave_IO_Running !== 'Yes' || st.Slave_SQL_Running !== 'Yes') return false;
      }
      return true;
    });
    await rs.waitInSync({ from: primary });
  };

  beforeAll(async () => {
    rs = await startReplicaSet({ replicas: 2 });
    [primary, r1, r2] = rs.servers as [MariadbServer, MariadbServer, MariadbServer];
    dbName = uniqueName('mcp_foc');
    await grantHaAccounts(rs, { dbName, user: APP_USER, password: APP_PASSWORD });
    tp = await startTestPlatform('real', {
      urls: { mysqlBase: primary.rootUrl },
      env: {
        ...haPlatformEnv(rs, appUrl),
        MCP_DB_FOLLOW_INTERVAL_MS: '200',
      },
    });
    await rs.waitInSync();
  }, 60_000);

  afterAll(async () => {
    await stopAll();
    await tp?.close().catch(() => undefined);
    await rs?.destroy();
  });

  it('refuses a failover to the ops role (403), without confirm (400 naming the field), and while the primary answers (409)', async () => {
    const admin = (await tp.login('admin', ADMIN_PASSWORD)).accessToken;
    await tp.request({
      method: 'POST',
      url: '/api/users',
      token: admin,
      body: { username: 'operator', email: 'o@example.com', password: 'Str0ng-Pass!', roles: ['ops'] },
    });
    const operator = (await tp.login('operator', 'Str0ng-Pass!')).accessToken;
    expect((await tp.request({ method: 'POST', url: '/api/ops/db/failover', token: operator, body: { confirm: true } })).status).toBe(403);
    expect((await tp.request({ method: 'POST', url: '/api/ops/ha/ack', token: operator, body: {} })).status).toBe(403);
    expect((await tp.request({ method: 'GET', url: '/api/ops/ha/monitor', token: operator })).status).toBe(200);
    const noConfirm = await tp.request({ method: 'POST', url: '/api/ops/db/failover', token: admin, body: { to: addr(r1), confirm: false } });
    expect(noConfirm.status).toBe(400);
    expect(noConfirm.body.error.message).toContain('confirm');
    const alive = await tp.request({ method: 'POST', url: '/api/ops/db/failover', token: admin, body: { to: addr(r1), confirm: true } });
    expect(alive.status).toBe(409);
    expect(alive.body.error.message).toContain('switchover');
    expect(await rs.whoIsPrimary()).toBe(primary);
  });

  it('a partition between the monitor and the primary (replicas still see it) → no failover', async () => {
    const proxy = await startTcpProxy('127.0.0.1', primary.port);
    try {
      // the monitor reaches the primary through the proxy; the replicas replicate directly
      const m = start({
        config: { dbUrl: appUrl(primary, proxy.port), dbReplicaUrls: [appUrl(r1), appUrl(r2)], replicationUrl: rs.replicationUrl },
        intervalMs: 150,
        failuresNeeded: 3,
      });
      await waitFor('the monitor to see the primary', () => m.status().leader && m.status().primaryReachable);
      proxy.cut();
      await waitFor('the partition decision', () => m.decisions.some((d) => d.action === 'none' && d.reason === 'partition'));
      await sleep(600);
      expect(m.status().primaryReachable).toBe(false);
      expect(m.decisions.some((d) => d.action === 'promote')).toBe(false);
      expect(await rs.whoIsPrimary()).toBe(primary);
      expect(await published()).toBe(0);
    } finally {
      await stopAll();
      await proxy.close();
    }
  });

  it('two monitors: exactly one holds the lease; the other takes over when it stops', async () => {
    const a = start({ intervalMs: 150, failuresNeeded: 20 });
    const b = start({ intervalMs: 150, failuresNeeded: 20 });
    await waitFor('one leader', () => (a.status().leader || b.status().leader) && a.decisions.length > 2 && b.decisions.length > 2);
    await sleep(500);
    expect([a.status().leader, b.status().leader].filter(Boolean)).toHaveLength(1);
    const [leader, other] = a.status().leader ? [a, b] : [b, a];
    await leader.stop();
    monitors.splice(monitors.indexOf(leader), 1);
    await waitFor('the other monitor to take over', () => other.status().leader);
  });

  it('a blip (the primary down for less than N checks) → no failover', async () => {
    const m = monitors[0]!; // 20 failures × 150 ms = 3 s
    m.decisions.length = 0;
    const t0 = Date.now();
    await primary.stop();
    await primary.start();
    const downMs = Date.now() - t0;
    await waitFor(
      'the primary back',
      () => m.status().primaryReachable && m.status().lastDecision?.action === 'none' && (m.status().lastDecision as { reason?: string }).reason === 'healthy',
    );
    expect(downMs).toBeLessThan(3_000);
    expect(m.decisions.some((d) => d.action === 'none' && d.reason === 'suspect')).toBe(true);
    expect(m.decisions.some((d) => d.action !== 'none')).toBe(false);
    await healthy();
    expect(await rs.whoIsPrimary()).toBe(primary);
    expect(await published()).toBe(0);
  }, 30_000);

  it('no usable replica (replicas down) → no promotion, a critical needs-a-person alert', async () => {
    await stopAll();
    const m = start({ intervalMs: 150, failuresNeeded: 3 });
    await waitFor('the monitor to lead', () => m.status().leader && m.status().primaryReachable);
    await r1.stop();
    await r2.stop();
    await rs.kill9(primary);
    await waitFor('the needs-a-person decision', () => m.decisions.some((d) => d.action === 'needs-person' && d.reason === 'no-replica'));
    expect(m.decisions.some((d) => d.action === 'promote')).toBe(false);
    await healthy(); // the primary returns (the alert waits for its database)
    const alerts = createAlerting(tp.platform).alerts;
    const np = await waitFor('the needs-a-person alert', async () => (await alerts.list({})).find((a) => a.name === NEEDS_PERSON_ALERT));
    expect(np).toMatchObject({ severity: 'critical' });
    expect(np.summary).toContain('没有可用的从库');
    expect(await rs.whoIsPrimary()).toBe(primary);
    expect(await published()).toBe(0);
  }, 40_000);

  it('an errant GTID on the only reachable replica → promotion refused', async () => {
    const m = monitors[0]!;
    await r1.query('SET GLOBAL read_only = 0');
    await r1.query('CREATE DATABASE errant_only');
    await r1.query('SET GLOBAL read_only = 1');
    try {
      await sleep(600); // the monitor reads the errant GTID while the primary is there to compare with
      await r2.stop();
      m.decisions.length = 0;
      await rs.kill9(primary);
      await waitFor('the errant decision', () => m.decisions.some((d) => d.action === 'needs-person' && d.reason === 'errant'));
      await sleep(300);
      expect(m.decisions.some((d) => d.action === 'promote')).toBe(false);
      expect((await r1.query('SELECT @@global.read_only AS ro'))[0].ro).toBe(1);
    } finally {
      await primary.start();
      await r2.start();
      await r1.query('STOP SLAVE');
      await r1.query('DROP DATABASE IF EXISTS errant_only');
      await r1.query('RESET MASTER');
      await r1.query('START SLAVE');
    }
    await healthy();
    await stopAll();
  }, 40_000);

  it('db failover --to by hand (CLI): needs --confirm; promotes the named replica, repoints the other', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'mcp-fo-cli-'));
    const env = {
      MCP_ENV: 'test',
      MCP_DATA_DIR: dataDir,
      MCP_LOG_DIR: join(dataDir, 'logs'),
      MCP_DB_URL: appUrl(primary),
      MCP_DB_REPLICA_URLS: `${appUrl(r1)},${appUrl(r2)}`,
      MCP_DB_REPLICATION_URL: rs.replicationUrl,
    };
    try {
      const refused = await runCli(['db', 'failover', '--to', addr(r2)], env);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toContain('--confirm');
      // the last rows only in the replicas' relay logs (received, not applied): promotion must apply them first
      await primary.query(`CREATE TABLE \`${dbName}\`.relay_rows (id INT PRIMARY KEY) ENGINE=InnoDB`);
      await rs.waitInSync({ from: primary });
      for (const r of [r1, r2]) await rs.stopSqlThread(r);
      for (let i = 1; i <= 20; i++) await primary.query(`INSERT INTO \`${dbName}\`.relay_rows VALUES (${i})`);
      await waitFor('the rows received by both replicas', async () => {
        const [pos] = await primary.query<{ pos: string }>('SELECT @@global.gtid_binlog_pos AS pos');
        for (const r of [r1, r2]) if ((await r.query<Record<string, string>>('SHOW SLAVE STATUS'))[0]?.Gtid_IO_Pos !== pos?.pos) return false;
        return true;
      });
      expect((await r2.query(`SELECT COUNT(*) AS n FROM \`${dbName}\`.relay_rows`))[0].n).toBe(0);
      await rs.kill9(primary);
      const res = await runCli(['db', 'failover', '--to', addr(r2), '--confirm', '--json'], env);
      expect(res.code, res.stderr + res.stdout).toBe(0);
      expect(JSON.parse(res.stdout)).toMatchObject({ from: addr(primary), to: addr(r2), epoch: 1, fenced: false });
      expect(`${res.stdout}${res.stderr}`).not.toContain(rs.replPassword);
      expect(await rs.whoIsPrimary()).toBe(r2);
      const [st] = await r1.query<Record<string, string>>('SHOW SLAVE STATUS');
      expect(Number(st?.Master_Port)).toBe(r2.port);
      expect((await r2.query(`SELECT COUNT(*) AS n FROM \`${dbName}\`.relay_rows`))[0].n).toBe(20);
      await rs.waitInSync({ from: r2 });
      expect((await r1.query(`SELECT COUNT(*) AS n FROM \`${dbName}\`.relay_rows`))[0].n).toBe(20);
      const [pub] = await r1.query(`SELECT epoch, primary_server FROM \`${dbName}\`.db_topology`);
      expect(pub).toMatchObject({ epoch: 1, primary_server: addr(r2) });
      // the operator's config after the failover: r2 is the primary now
      const after = { ...env, MCP_DB_URL: appUrl(r2), MCP_DB_REPLICA_URLS: `${appUrl(primary)},${appUrl(r1)}` };
      const status = await runCli(['ha', 'status'], after);
      expect(status.code, status.stderr).toBe(0);
      expect(status.stdout).toContain(`已发布主库：${addr(r2)}（拓扑版本 1）`);
      expect(status.stdout).toContain('自动故障转移：已锁定');
      const ack = await runCli(['ha', 'ack'], after);
      expect(ack.code, ack.stderr).toBe(0);
      expect(ack.stdout).toContain('已确认拓扑版本 1 的故障转移');
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 40_000);
});
