import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../support/cli.js';
import { ADMIN_PASSWORD, startTestPlatform, type TestPlatform } from '../../support/testPlatform.js';
import type { MariadbServer } from '../../support/mariadbServer.js';
import { connectAs, type ReplicaSet, startReplicaSet, grantHaAccounts, haPlatformEnv } from '../../support/replicaSet.js';
import { uniqueName } from '../../support/services.js';

/**
 * Issue 12 items 1, 2: topology and planned switchover against a real primary + two replicas
 * (private mariadbd instances). The platform connects as an unprivileged app user (as it should in
 * production: no READ_ONLY ADMIN, so a fenced or demoted server refuses its writes); HA acts as the
 * replication account (MCP_DB_REPLICATION_URL).
 */
const APP_USER = 'mcp_app';
const APP_PASSWORD = 'App-Pass-2026!';

describe('db topology and switchover (MariaDB replica set)', () => {
  let rs: ReplicaSet;
  let tp: TestPlatform;
  let admin: string;
  let operator: string;
  let dbName: string;
  let primary: MariadbServer;
  let r1: MariadbServer;
  let r2: MariadbServer;
  const addr = (s: MariadbServer) => `127.0.0.1:${s.port}`;
  const appUrl = (s: MariadbServer) => `mysql://${APP_USER}:${encodeURIComponent(APP_PASSWORD)}@127.0.0.1:${s.port}/${dbName}`;
  const topology = async () => {
    const res = await tp.request({ method: 'GET', url: '/api/ops/db/topology', token: admin });
    expect(res.status).toBe(200);
    return res.body;
  };
  const server = (topo: any, s: MariadbServer) => topo.servers.find((x: any) => x.address === addr(s));

  beforeAll(async () => {
    rs = await startReplicaSet({ replicas: 2 });
    [primary, r1, r2] = rs.servers as [MariadbServer, MariadbServer, MariadbServer];
    dbName = uniqueName('mcp_ha');
    // created on the primary, replicated: the app account may use the platform database only
    await grantHaAccounts(rs, { dbName, user: APP_USER, password: APP_PASSWORD });
    tp = await startTestPlatform('real', {
      urls: { mysqlBase: primary.rootUrl },
      env: {
        ...haPlatformEnv(rs, appUrl),
      },
    });
    admin = (await tp.login('admin', ADMIN_PASSWORD)).accessToken;
    const created = await tp.request({
      method: 'POST',
      url: '/api/users',
      token: admin,
      body: { username: 'operator', email: 'o@example.com', password: 'Str0ng-Pass!', roles: ['ops'] },
    });
    expect(created.status).toBe(201);
    operator = (await tp.login('operator', 'Str0ng-Pass!')).accessToken;
    await rs.waitInSync();
  }, 60_000);

  afterAll(async () => {
    await tp?.close().catch(() => undefined);
    await rs?.destroy();
  });

  it('shows the primary, the replicas, and a replica whose SQL thread is stopped as behind', async () => {
    let topo = await topology();
    expect(topo.primary).toBe(addr(primary));
    expect(topo.splitBrain).toBe(false);
    expect(server(topo, primary)).toMatchObject({ role: 'primary', readOnly: false, reachable: true });
    for (const r of [r1, r2]) {
      expect(server(topo, r)).toMatchObject({ role: 'replica', readOnly: true, gtidBehind: 0, errantGtids: '' });
      expect(server(topo, r).replication).toMatchObject({ source: addr(primary), ioRunning: true, sqlRunning: true, lagSeconds: 0 });
    }

    await rs.stopSqlThread(r2);
    await rs.writeRows(5);
    await rs.waitInSync({ from: primary, only: [r1] }); // r2 cannot apply
    topo = await topology();
    expect(server(topo, r1).gtidBehind).toBe(0);
    expect(server(topo, r2).gtidBehind).toBeGreaterThanOrEqual(5);
    expect(server(topo, r2).replication).toMatchObject({ ioRunning: true, sqlRunning: false, lagSeconds: null });

    const metrics = await tp.request({ method: 'GET', url: '/metrics', headers: {} });
    const text = String(metrics.body);
    expect(text).toContain(`mcp_db_replica_sql_running{server="${addr(r2)}"} 0`);
    expect(text).toContain(`mcp_db_replica_sql_running{server="${addr(r1)}"} 1`);
    expect(text).toMatch(new RegExp(`mcp_db_replica_gtid_behind\\{server="${addr(r2).replace(/\./g, '\\.')}"\\} ([5-9]|\\d\\d)`));
    expect(text).toContain(`mcp_db_primary{server="${addr(primary)}"} 1`);

    await rs.startSqlThread(r2);
    await rs.waitInSync();
  });

  it('shows an unreachable configured server as such without failing', async () => {
    await r2.kill();
    try {
      const topo = await topology();
      expect(topo.primary).toBe(addr(primary));
      expect(server(topo, r2)).toMatchObject({ reachable: false, role: 'unknown' });
      expect(server(topo, r2).error).toBeTruthy();
    } finally {
      await r2.start();
    }
    await rs.waitInSync();
  });

  it('under continuous writes no healthy replica is ever reported errant (the primary is compared after the replicas)', async () => {
    let stop = false;
    const writer = (async () => {
      while (!stop) await rs.writeRows(5, { on: primary });
    })();
    try {
      for (let i = 0; i < 40; i++) {
        const topo = await topology();
        for (const r of [r1, r2]) expect(server(topo, r).errantGtids, `read ${i}`).toBe('');
      }
    } finally {
      stop = true;
      await writer;
    }
    await rs.waitInSync();
  });

  it('refuses a switchover to the ops role (403) and bad input (400 naming the field)', async () => {
    const res = await tp.request({ method: 'POST', url: '/api/ops/db/switchover', token: operator, body: { to: addr(r1) } });
    expect(res.status).toBe(403);
    const bad = await tp.request({ method: 'POST', url: '/api/ops/db/switchover', token: admin, body: { to: 'not an address' } });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('to');
    const unknown = await tp.request({ method: 'POST', url: '/api/ops/db/switchover', token: admin, body: { to: '127.0.0.1:1' } });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.message).toContain('to: 127.0.0.1:1 is not a configured server');
    expect((await topology()).primary).toBe(addr(primary));
  });

  it('detects an errant transaction on a replica and refuses to promote it', async () => {
    // a write made directly on a replica (read_only off for a moment), in a database only it has
    await r2.query('SET GLOBAL read_only = 0');
    await r2.query('CREATE DATABASE errant_only');
    await r2.query('SET GLOBAL read_only = 1');
    try {
      const topo = await topology();
      expect(server(topo, r2).errantGtids).toMatch(new RegExp(`^0-${r2.serverId}-\\d+$`));
      expect(server(topo, r1).errantGtids).toBe('');
      const res = await tp.request({ method: 'POST', url: '/api/ops/db/switchover', token: admin, body: { to: addr(r2) } });
      expect(res.status).toBe(409);
      expect(res.body.error.message).toContain('errant');
      const after = await topology();
      expect(after.primary).toBe(addr(primary));
      expect(server(after, primary).readOnly).toBe(false);
    } finally {
      // forget r2's own transactions (its binlog), so it replicates on in GTID strict mode
      await r2.query('STOP SLAVE');
      await r2.query('DROP DATABASE errant_only').catch(() => undefined);
      await r2.query('RESET MASTER');
      await r2.query('START SLAVE');
    }
    await rs.waitInSync();
    expect(server(await topology(), r2).errantGtids).toBe('');
  });

  it('aborts when the target cannot apply in time: the old primary is writable again, nothing else changed', async () => {
    const lock = await connectAs(r1, 'root', '');
    try {
      await lock.query('FLUSH TABLES WITH READ LOCK'); // r1's SQL thread stalls on its next event
      await rs.writeRows(1);
      const res = await tp.request({ method: 'POST', url: '/api/ops/db/switchover', token: admin, body: { to: addr(r1), timeoutSeconds: 2 } });
      expect(res.status).toBe(409);
      expect(res.body.error.message).toContain('"wait"');
    } finally {
      await lock.query('UNLOCK TABLES');
      await lock.end();
    }
    const topo = await topology();
    expect(topo.primary).toBe(addr(primary));
    expect(topo.epoch).toBeNull();
    expect(server(topo, primary).readOnly).toBe(false);
    for (const r of [r1, r2]) expect(server(topo, r).replication.source).toBe(addr(primary));
    // the app account can write to the old primary again
    const c = await connectAs(primary, APP_USER, APP_PASSWORD, dbName);
    await c.query('CREATE TABLE IF NOT EXISTS ha_probe (id INT PRIMARY KEY)');
    await c.end();
    const [row] = await primary.query(`SELECT details FROM \`${dbName}\`.audit_log WHERE action = 'ops.db.switchover' ORDER BY seq DESC LIMIT 1`);
    expect(JSON.parse(row.details)).toMatchObject({ phase: 'finished' });
    expect((await primary.query(`SELECT result FROM \`${dbName}\`.audit_log WHERE action = 'ops.db.switchover' ORDER BY seq DESC LIMIT 1`))[0].result).toBe('failure');
    await rs.waitInSync();
  });

  it('switches over under continuous writes: every acknowledged row everywhere, old primary a replica, epoch 1', async () => {
    await primary.query(`CREATE TABLE \`${dbName}\`.ha_writes (id INT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(64) NOT NULL UNIQUE) ENGINE=InnoDB`);
    const acked: string[] = [];
    let stop = false;
    let conn: mysql.Connection | undefined;
    const writer = (async () => {
      for (let i = 0; !stop; i++) {
        try {
          if (!conn) {
            const target = await rs.whoIsPrimary();
            if (!target) throw new Error('no writable server');
            conn = await connectAs(target, APP_USER, APP_PASSWORD, dbName);
            conn.on('error', () => undefined);
          }
          const v = `w${i}`;
          await conn.query('INSERT INTO ha_writes (v) VALUES (?)', [v]);
          acked.push(v);
        } catch {
          conn?.destroy();
          conn = undefined;
          await new Promise((r) => setTimeout(r, 20));
        }
      }
      conn?.destroy();
    })();
    // and writes through the platform's own API: its write pool must follow the primary (issue 12 item 3)
    const apiAcked: string[] = [];
    const apiFailed: number[] = [];
    const apiWriter = (async () => {
      for (let i = 0; !stop; i++) {
        const res = await tp.request({ method: 'PUT', url: `/api/system/settings/ha.probe.${i}`, token: admin, body: { value: i } });
        if (res.status === 200) apiAcked.push(`ha.probe.${i}`);
        else {
          apiFailed.push(res.status);
          await new Promise((r) => setTimeout(r, 20));
        }
      }
    })();
    await new Promise((r) => setTimeout(r, 700));
    const before = acked.length;
    const apiBefore = apiAcked.length;
    // the catch-up window is generous: on a loaded two-core machine the target applies the writes slowly
    const res = await tp.request({ method: 'POST', url: '/api/ops/db/switchover', token: admin, body: { to: addr(r1), timeoutSeconds: 30 } });
    const during = acked.length;
    const apiDuring = apiAcked.length;
    await new Promise((r) => setTimeout(r, 2_500));
    stop = true;
    await Promise.all([writer, apiWriter]);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    // the API kept accepting writes, on the new primary, within 2 s; a refused one said 503 (retry), never 500
    expect(apiBefore).toBeGreaterThan(0);
    expect(apiAcked.length).toBeGreaterThan(apiDuring);
    expect(apiFailed.filter((st) => st !== 503)).toEqual([]);
    expect(tp.platform.database.writeTarget?.()).toBe(addr(r1));
    expect(res.body).toMatchObject({ from: addr(primary), to: addr(r1), epoch: 1, warnings: [] });
    expect(res.body.steps.map((s: any) => s.step)).toEqual(['check', 'fence', 'position', 'wait', 'promote', 'repoint', 'demote', 'publish']);
    expect(res.body.writeUnavailableMs).toBeLessThan(2_000);
    expect(before).toBeGreaterThan(0);
    expect(acked.length).toBeGreaterThan(during); // writes resumed on the new primary

    await rs.waitInSync({ from: r1 });
    for (const s of [r1, primary, r2]) {
      const rows = await s.query<{ v: string }>(`SELECT v FROM \`${dbName}\`.ha_writes`);
      const have = new Set(rows.map((r) => r.v));
      expect(
        acked.filter((v) => !have.has(v)),
        `missing on ${addr(s)}`,
      ).toEqual([]);
    }
    const topo = await topology();
    expect(topo.primary).toBe(addr(r1));
    expect(topo.epoch).toBe(1);
    expect(server(topo, primary)).toMatchObject({ role: 'replica', readOnly: true, errantGtids: '' });
    expect(server(topo, primary).replication).toMatchObject({ source: addr(r1), ioRunning: true, sqlRunning: true });
    expect(server(topo, r2).replication).toMatchObject({ source: addr(r1), ioRunning: true, sqlRunning: true });
    const [pub] = await r2.query(`SELECT epoch, primary_server, changed_by FROM \`${dbName}\`.db_topology`);
    expect(pub).toMatchObject({ epoch: 1, primary_server: addr(r1), changed_by: 'admin' });
    const [audit] = await r1.query(`SELECT result, details FROM \`${dbName}\`.audit_log WHERE action = 'ops.db.switchover' ORDER BY seq DESC LIMIT 1`);
    expect(audit.result).toBe('success');
    expect(JSON.parse(audit.details)).toMatchObject({ phase: 'finished', to: addr(r1), epoch: 1 });
    // every write the API acknowledged is on the new primary
    const settings = new Set((await r1.query<{ name: string }>(`SELECT name FROM \`${dbName}\`.settings WHERE name LIKE 'ha.probe.%'`)).map((r) => r.name));
    expect(apiAcked.filter((n) => !settings.has(n))).toEqual([]);
    // the switchover was announced through the alerting pipeline (the platform writes to the new primary now)
    const alerts = await tp.request({ method: 'GET', url: '/api/ops/alerts', token: admin });
    expect(alerts.body.items.map((a: { name: string }) => a.name)).toContain('数据库主从切换');
    // the password of the replication account never leaves the server
    expect(JSON.stringify(res.body)).not.toContain(rs.replPassword);
  }, 30_000);

  it('db status (CLI, zh-CN table and --json) and db switchover back through the CLI: epoch 2', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'mcp-ha-cli-'));
    // the operator's config after the first switchover: r1 is the primary now
    const env = {
      MCP_ENV: 'test',
      MCP_DATA_DIR: dataDir,
      MCP_LOG_DIR: join(dataDir, 'logs'),
      MCP_DB_URL: appUrl(r1),
      MCP_DB_REPLICA_URLS: `${appUrl(primary)},${appUrl(r2)}`,
      MCP_DB_REPLICATION_URL: rs.replicationUrl,
    };
    try {
      const status = await runCli(['db', 'status'], env);
      expect(status.code, status.stderr).toBe(0);
      expect(status.stdout).toContain(`主库：${addr(r1)}`);
      expect(status.stdout).toContain('拓扑版本：1');
      expect(status.stdout).toMatch(new RegExp(`${addr(primary).replace(/\./g, '\\.')}\\s+从库\\s+从库\\s+是\\s+${addr(r1).replace(/\./g, '\\.')}`));

      const back = await runCli(['db', 'switchover', '--to', addr(primary), '--timeout', '10', '--json'], env);
      expect(back.code, back.stderr + back.stdout).toBe(0);
      const res = JSON.parse(back.stdout);
      expect(res).toMatchObject({ from: addr(r1), to: addr(primary), epoch: 2, warnings: [] });
      expect(`${back.stdout}${back.stderr}`).not.toContain(rs.replPassword);

      const json = await runCli(['--lang', 'en', 'db', 'status', '--json'], env);
      const topo = JSON.parse(json.stdout);
      expect(topo).toMatchObject({ primary: addr(primary), epoch: 2, splitBrain: false });
      for (const r of [r1, r2])
        expect(server(topo, r)).toMatchObject({ role: 'replica', errantGtids: '', replication: { source: addr(primary), ioRunning: true, sqlRunning: true } });
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 30_000);
});

describe('db topology on SQLite', () => {
  it('answers 400 INVALID: not applicable', async () => {
    const tp = await startTestPlatform('embedded');
    try {
      const admin = (await tp.login('admin', ADMIN_PASSWORD)).accessToken;
      const res = await tp.request({ method: 'GET', url: '/api/ops/db/topology', token: admin });
      expect(res.status).toBe(400);
      expect(res.body.error).toMatchObject({ code: 'INVALID' });
      expect(res.body.error.message).toContain('SQLite');
    } finally {
      await tp.close();
    }
  });
});
