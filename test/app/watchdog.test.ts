import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startProcess } from '../../src/app/roles/process.js';
import { createAlerting } from '../../src/app/alerting.js';
import { type RunningWatchdog, startWatchdogRole, WATCHDOG_LEASE, watchdogRoleDeps } from '../../src/app/roles/watchdog.js';
import { ConfigError, loadConfig } from '../../src/config/config.js';
import type { Clock } from '../../src/infra/clock.js';
import { createDatabase, type Database } from '../../src/infra/db/database.js';
import { listIncidents } from '../../src/ops/incidents/incidents.js';
import { BACKENDS, startTestPlatform, type TestPlatform } from '../support/testPlatform.js';

/**
 * The watchdog role on the real platform (SPEC ALR-4): when the database check fails for 1 minute the
 * alert 数据库不可用 is stored like Alertmanager's and, being critical, opens an incident; when the
 * database answers again the alert is resolved and the incident proposed for closing.
 */
async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  await new Promise((r) => server.close(r));
  return port;
}

async function until(check: () => Promise<boolean> | boolean, what: string, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe.each(BACKENDS)('watchdog role (%s)', (backend) => {
  let tp: TestPlatform;
  let now = Date.parse('2026-11-30T01:00:00.000Z');
  const clock: Clock = { now: () => new Date(now) };
  let deadDb: Database;
  let dbDown = false;
  const roles: RunningWatchdog[] = [];

  beforeAll(async () => {
    tp = await startTestPlatform(backend, { clock, env: { MCP_WATCHDOG_INTERVAL_MS: '30' } });
    const port = await deadPort();
    deadDb = createDatabase(`mysql://root@127.0.0.1:${port}/none`, { size: 1, overflow: 0, timeoutSeconds: 1, recycleSeconds: 60 });
  });
  afterEach(async () => {
    // a test that failed half-way must not leave its watchdog holding the lease for the next
    for (const r of roles.splice(0)) await r.stop();
    dbDown = false;
  });
  afterAll(async () => {
    await deadDb?.close();
    await tp?.close();
  });

  const start = (o: { prometheus?: string } = {}) => {
    const p = tp.platform;
    const deps = watchdogRoleDeps(p, {
      receive: (payload) => createAlerting(p).alerts.receiveAlertmanager(payload),
      // the database check follows `dbDown`: a real ping of a port nobody listens on, or of the platform's database
      overrides: { pings: { db: () => (dbDown ? deadDb.ping(300) : p.database.ping(1500)), cache: () => p.cache.ping(), bus: () => p.bus.ping() } },
    });
    return startWatchdogRole({ ...deps, prometheusUrl: o.prometheus ?? deps.prometheusUrl }).then((r) => (roles.push(r), r));
  };
  const alert = async (name: string) => (await tp.platform.database.db.selectFrom('alerts').selectAll().where('name', '=', name).execute()).at(0);

  it('the database check failing for 1 minute raises 数据库不可用 (critical) and opens an incident; recovery resolves it', async () => {
    expect(tp.config.watchdog.intervalMs).toBe(30);
    const role = await start();
    await until(() => role.leading() && role.lastTick() !== undefined, 'the first evaluation');
    dbDown = true;
    const dbAlert = () => role.alerts().find((a) => a.labels.alertname === '数据库不可用');
    await until(() => dbAlert() !== undefined, 'the alert pending');
    expect(dbAlert()!.firingSince).toBeUndefined();
    expect(await alert('数据库不可用')).toBeUndefined(); // pending: nothing raised before `for`
    now += 61_000;
    await until(async () => (await alert('数据库不可用'))?.status === 'firing', 'the alert stored as firing');
    const row = (await alert('数据库不可用'))!;
    expect(row.severity).toBe('critical');
    expect(JSON.parse(row.labels)).toMatchObject({ alertname: '数据库不可用', severity: 'critical', severity_zh: '紧急', category: 'database', source: 'watchdog' });
    const events = await tp.platform.database.db.selectFrom('alert_events').selectAll().where('fingerprint', '=', row.fingerprint).execute();
    expect(events.map((e) => e.receiver)).toEqual(['watchdog']);
    // the incident opens right after the alert is stored
    await until(async () => (await listIncidents(tp.platform.database, { status: 'open' })).items.length > 0, 'the incident');
    const open = (await listIncidents(tp.platform.database, { status: 'open' })).items;
    expect(open).toHaveLength(1);
    expect(open[0]).toMatchObject({ severity: 'critical', alertName: '数据库不可用', status: 'detected' });

    dbDown = false;
    now += 30_000;
    await until(async () => (await alert('数据库不可用'))?.status === 'resolved', 'the alert resolved');
    expect((await alert('数据库不可用'))!.ends_at).not.toBeNull();
    const proposed = async () => (await listIncidents(tp.platform.database)).items.find((i) => i.id === open[0]!.id)!.closeProposedAt;
    await until(async () => (await proposed()) !== null, 'the incident proposed for closing');
    await role.stop();
    const lock = await tp.platform.database.db.selectFrom('ops_locks').select('holder').where('name', '=', WATCHDOG_LEASE).executeTakeFirst();
    expect(lock).toBeUndefined(); // stopping released the lease
  });

  it('one replica evaluates: a second watchdog stands by while the first holds the lease, and takes over when it stops', async () => {
    const first = await start();
    await until(() => first.leading(), 'the first leading');
    const second = await start();
    await new Promise((r) => setTimeout(r, 200));
    expect(second.leading()).toBe(false);
    expect(second.lastTick()).toBeUndefined();
    await first.stop();
    await until(() => second.leading() && second.lastTick() !== undefined, 'the second taking over');
    await second.stop();
  });

  it('is off when Prometheus is configured: it takes no lease and evaluates nothing', async () => {
    const role = await start({ prometheus: 'http://prometheus:9090' });
    await new Promise((r) => setTimeout(r, 200));
    expect(role.leading()).toBe(false);
    expect(role.lastTick()).toBeUndefined();
    expect(await tp.platform.database.db.selectFrom('ops_locks').select('holder').where('name', '=', WATCHDOG_LEASE).executeTakeFirst()).toBeUndefined();
    await role.stop();
  });
});

describe('watchdog in serve (MCP_ROLES, MCP_PROMETHEUS_URL, MCP_WATCHDOG_INTERVAL_MS)', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  const env = (extra: Record<string, string>) => {
    const dataDir = mkdtempSync(join(tmpdir(), 'mcp-watchdog-'));
    dirs.push(dataDir);
    return { MCP_ENV: 'test', MCP_DATA_DIR: dataDir, MCP_LOG_DIR: join(dataDir, 'logs'), MCP_LOG_LEVEL: 'silent', MCP_ADMIN_PASSWORD: 'Watchdog-Test-Pass!1', ...extra };
  };

  it('is one of the default roles; bad settings are configuration errors naming the variable', () => {
    expect(loadConfig({}).roles).toContain('watchdog');
    expect(loadConfig({}).watchdog.intervalMs).toBe(30_000);
    expect(loadConfig({}).prometheusUrl).toBeUndefined();
    const problem = (e: Record<string, string>) => {
      try {
        loadConfig(e);
      } catch (err) {
        if (err instanceof ConfigError) return err.variable;
      }
      return undefined;
    };
    expect(problem({ MCP_PROMETHEUS_URL: 'prometheus:9090' })).toBe('MCP_PROMETHEUS_URL');
    expect(problem({ MCP_WATCHDOG_INTERVAL_MS: 'soon' })).toBe('MCP_WATCHDOG_INTERVAL_MS');
    expect(problem({ MCP_WATCHDOG_INTERVAL_MS: '0' })).toBe('MCP_WATCHDOG_INTERVAL_MS');
  });

  it('serve with MCP_ROLES=watchdog evaluates (and takes the lease) until shut down; with MCP_PROMETHEUS_URL it stays off', async () => {
    const on = await startProcess(loadConfig(env({ MCP_ROLES: 'watchdog', MCP_WATCHDOG_INTERVAL_MS: '20' })), () => {});
    const off = await startProcess(loadConfig(env({ MCP_ROLES: 'watchdog', MCP_PROMETHEUS_URL: 'http://prometheus:9090' })), () => {});
    try {
      const running = on.roles[0] as RunningWatchdog;
      expect(running.name).toBe('watchdog');
      await until(() => running.lastTick() !== undefined, 'an evaluation');
      expect(running.leading()).toBe(true);
      await new Promise((r) => setTimeout(r, 200)); // ten rounds of the other process, had it been on
      const offRole = off.roles[0] as RunningWatchdog;
      expect(offRole.leading()).toBe(false);
      expect(offRole.lastTick()).toBeUndefined();
    } finally {
      await on.shutdown();
      await off.shutdown();
    }
  });
});
