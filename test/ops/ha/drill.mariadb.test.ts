import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DRILL_CHECKLIST } from '../../../src/ops/ha/drill.js';
import { runCli } from '../../support/cli.js';
import type { MariadbServer } from '../../support/mariadbServer.js';
import { type ReplicaSet, startReplicaSet, grantHaAccounts } from '../../support/replicaSet.js';
import { uniqueName } from '../../support/services.js';

/**
 * Issue 12 item 11 (`drill failover`, manual §6.7.2) against a real primary + two replicas, through
 * the built CLI as an operator runs it: a switchover to a replica and back under a probe writer,
 * both legs measured, no acknowledged probe write lost, the checklist in the report, the report
 * audited and written under MCP_DATA_DIR/drills/, the probe table removed, the primary back home.
 */
const APP_USER = 'mcp_app';
const APP_PASSWORD = 'App-Pass-2026!';

describe('drill failover (MariaDB replica set)', () => {
  let rs: ReplicaSet;
  let dbName: string;
  let primary: MariadbServer;
  let r1: MariadbServer;
  let r2: MariadbServer;
  let dataDir: string;
  const addr = (s: MariadbServer) => `127.0.0.1:${s.port}`;
  const appUrl = (s: MariadbServer) => `mysql://${APP_USER}:${encodeURIComponent(APP_PASSWORD)}@127.0.0.1:${s.port}/${dbName}`;

  beforeAll(async () => {
    rs = await startReplicaSet({ replicas: 2 });
    [primary, r1, r2] = rs.servers as [MariadbServer, MariadbServer, MariadbServer];
    dbName = uniqueName('mcp_drill');
    await primary.query(`CREATE DATABASE \`${dbName}\``);
    await grantHaAccounts(rs, { dbName, user: APP_USER, password: APP_PASSWORD });
    await rs.waitInSync();
    dataDir = mkdtempSync(join(tmpdir(), 'mcp-drill-'));
  }, 60_000);

  afterAll(async () => {
    await rs?.destroy();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('switches to a replica and back, measures both legs, loses no probe write, and reports the §6.7.2 checklist', async () => {
    const env = {
      MCP_ENV: 'test',
      MCP_DATA_DIR: dataDir,
      MCP_LOG_DIR: join(dataDir, 'logs'),
      MCP_DB_URL: appUrl(primary),
      MCP_DB_REPLICA_URLS: `${appUrl(r1)},${appUrl(r2)}`,
      MCP_DB_REPLICATION_URL: rs.replicationUrl,
      MCP_DB_FOLLOW_INTERVAL_MS: '200',
    };
    const run = await runCli(['drill', 'failover', '--to', addr(r1), '--json'], env, undefined, 120_000);
    expect(run.code, run.stderr + run.stdout).toBe(0);
    const report = JSON.parse(run.stdout);
    expect(report).toMatchObject({ ok: true, primaryBefore: addr(primary), target: addr(r1) });
    expect(report.legs.map((l: any) => [l.from, l.to, l.ok])).toEqual([
      [addr(primary), addr(r1), true],
      [addr(r1), addr(primary), true],
    ]);
    for (const l of report.legs) {
      expect(l.probeUnavailableMs).toBeGreaterThan(0);
      expect(l.probeUnavailableMs).toBeLessThan(10_000);
      expect(l.switchoverUnavailableMs).toBeGreaterThanOrEqual(0);
    }
    // at least 5 before each leg and one after the last
    expect(report.probe.acknowledged).toBeGreaterThanOrEqual(11);
    expect(report.probe).toMatchObject({ lost: 0, found: report.probe.acknowledged });
    expect(report.checklist.map((c: any) => c.item)).toEqual([...DRILL_CHECKLIST]);
    for (const c of report.checklist) expect(c.done, `${c.item}: ${c.detail}`).toBe(true);
    expect(`${run.stdout}${run.stderr}`).not.toContain(rs.replPassword);

    // back on the original primary, the probe table gone (everywhere: the drop replicated)
    expect(await rs.whoIsPrimary()).toBe(primary);
    await rs.waitInSync();
    for (const s of [primary, r1, r2]) {
      expect(await s.query('SELECT table_name FROM information_schema.tables WHERE table_schema = ? AND table_name = ?', [dbName, 'mcp_drill_probe'])).toEqual([]);
    }
    // the report: a JSON file under MCP_DATA_DIR/drills/ and an audit row
    expect(report.reportFile.startsWith(join(dataDir, 'drills'))).toBe(true);
    expect(existsSync(report.reportFile)).toBe(true);
    expect(JSON.parse(readFileSync(report.reportFile, 'utf8'))).toMatchObject({ id: report.id, ok: true, probe: { lost: 0 } });
    const audit = await primary.query<{ details: string; result: string }>(`SELECT details, result FROM \`${dbName}\`.audit_log WHERE action = 'ops.drill.failover'`);
    expect(audit).toHaveLength(1);
    expect(audit[0]!.result).toBe('success');
    expect(JSON.parse(audit[0]!.details)).toMatchObject({ drill: report.id, ok: true, probe: { lost: 0 } });

    // the human report (zh-CN default) names the checklist items
    const human = await runCli(['drill', 'failover'], env, undefined, 120_000);
    expect(human.code, human.stderr + human.stdout).toBe(0);
    expect(human.stdout).toContain('故障切换演练');
    for (const item of DRILL_CHECKLIST) expect(human.stdout).toContain(`[x] ${item}`);
    expect(human.stdout).toContain('丢失 0 条');
  }, 300_000);
});
