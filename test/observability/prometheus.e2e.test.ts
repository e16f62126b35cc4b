import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, loadRules, requireBinary, startDaemon, waitReady, type Daemon } from '../deploy/helpers.js';
import { SERVICES, hostPort } from '../support/services.js';
import { startTcpProxy, type TcpProxy } from '../support/tcpProxy.js';
import { ADMIN_PASSWORD, startTestPlatform, type TestPlatform } from '../support/testPlatform.js';

/**
 * End to end: a real Prometheus scrapes the running platform (MariaDB, Redis, RabbitMQ) and
 * mysqld_exporter; traffic with a known share of 5xx gives the error rate the rules compute, and
 * cutting the database makes the DB-down rule's expression true through both signals.
 */
const SCRAPE_SECONDS = 1;

describe('platform scraped by a real Prometheus', () => {
  let db: TcpProxy;
  let tp: TestPlatform;
  let prometheus: Daemon;
  let exporter: Daemon;
  let promUrl: string;
  let dir: string;
  let token: string;
  const rules = loadRules().alerts;
  const ruleExpr = (name: string, severity: string) => {
    const r = rules.find((a) => a.alert === name && a.labels?.severity === severity);
    if (!r) throw new Error(`no rule ${name}/${severity}`);
    return r.expr;
  };

  async function query(expr: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
    const res = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(expr)}`);
    const body = (await res.json()) as { status: string; error?: string; data: { result: { metric: Record<string, string>; value: [number, string] }[] } };
    if (body.status !== 'success') throw new Error(`${expr}: ${body.error}`);
    return body.data.result;
  }
  async function until<T>(probe: () => Promise<T>, ok: (v: T) => boolean, ms = 20_000): Promise<T> {
    const end = Date.now() + ms;
    let v = await probe();
    while (!ok(v) && Date.now() < end) {
      await new Promise((r) => setTimeout(r, 250));
      v = await probe();
    }
    return v;
  }
  const scrapes = async (n: number) => new Promise((r) => setTimeout(r, n * SCRAPE_SECONDS * 1000 + 300));

  beforeAll(async () => {
    const m = hostPort(`${SERVICES.mysql}/x`);
    db = await startTcpProxy(m.host, m.port);
    tp = await startTestPlatform('real', { urls: { mysqlBase: `mysql://root@127.0.0.1:${db.port}` } });
    await tp.app.listen({ host: '127.0.0.1', port: 0 });
    const appPort = (tp.app.server.address() as AddressInfo).port;
    token = (await tp.login('admin', ADMIN_PASSWORD)).accessToken;

    const exporterPort = await freePort();
    // mysqld_exporter 0.14 takes its DSN from DATA_SOURCE_NAME; it reaches MariaDB through the proxy
    const child = spawn(requireBinary('prometheus-mysqld-exporter'), [`--web.listen-address=127.0.0.1:${exporterPort}`], {
      env: { ...process.env, DATA_SOURCE_NAME: `root@(127.0.0.1:${db.port})/` },
      stdio: 'ignore',
    });
    const exited = new Promise((r) => child.on('exit', r));
    exporter = { child, output: () => '', stop: async () => void (child.kill('SIGTERM'), await exited) };

    dir = mkdtempSync(join(tmpdir(), 'mcp-prom-e2e-'));
    const port = await freePort();
    promUrl = `http://127.0.0.1:${port}`;
    writeFileSync(
      join(dir, 'prometheus.yml'),
      [
        'global:',
        `  scrape_interval: ${SCRAPE_SECONDS}s`,
        `  evaluation_interval: ${SCRAPE_SECONDS}s`,
        'scrape_configs:',
        '  - job_name: mcp-platform',
        `    static_configs: [{ targets: ['127.0.0.1:${appPort}'] }]`,
        '  - job_name: mysql-exporter',
        `    static_configs: [{ targets: ['127.0.0.1:${exporterPort}'] }]`,
      ].join('\n'),
    );
    prometheus = startDaemon(requireBinary('prometheus'), [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ]);
    await waitReady(`${promUrl}/-/ready`, prometheus, 'prometheus');
    await until(
      () => query('up'),
      (r) => r.length === 2 && r.every((s) => s.value[1] === '1'),
    );
  });

  afterAll(async () => {
    await prometheus?.stop();
    await exporter?.stop();
    await db?.restore().catch(() => {});
    await tp?.close();
    await db?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('the error-rate and p95 expressions of the rules give what the traffic implies', async () => {
    // create every series first (a rate needs two samples of a series)
    await tp.request({ method: 'GET', url: '/api/users/1', token });
    db.cut();
    expect((await tp.request({ method: 'GET', url: '/api/users?search=x', token })).status).toBe(503);
    await db.restore();
    await until(
      () => tp.request({ method: 'GET', url: '/api/users?search=x', token }),
      (r) => r.status === 200,
    );
    await scrapes(3);

    for (let i = 0; i < 90; i++) expect((await tp.request({ method: 'GET', url: '/api/users/1', token })).status).toBe(200);
    db.cut();
    for (let i = 0; i < 10; i++) expect((await tp.request({ method: 'GET', url: '/api/users?search=x', token })).status).toBe(503);
    await db.restore();
    await scrapes(3);

    // 10 of ~100 requests failed (Prometheus' own scrapes add a few successes): the 5 % rule fires
    const major = await query(ruleExpr('应用错误率过高', 'major'));
    expect(major).toHaveLength(1);
    const ratio = Number(major[0]!.value[1]);
    expect(ratio).toBeGreaterThan(0.07);
    expect(ratio).toBeLessThan(0.11); // rate() extrapolates each series from its own samples
    expect(await query(ruleExpr('应用错误率过高', 'minor'))).toHaveLength(1);

    // every request took milliseconds: p95 is tiny and neither latency rule fires
    const p95expr = 'histogram_quantile(0.95, sum by (le, job, instance) (rate(http_request_duration_seconds_bucket[5m])))';
    expect(ruleExpr('应用响应时间过长', 'minor')).toContain(p95expr);
    const p95 = Number((await query(p95expr))[0]!.value[1]);
    expect(p95).toBeGreaterThan(0);
    expect(p95).toBeLessThan(0.1);
    expect(await query(ruleExpr('应用响应时间过长', 'minor'))).toEqual([]);
  });

  it('cutting the database makes the DB-down expression true through mcp_dependency_up and mysql_up', async () => {
    const dbDown = ruleExpr('数据库不可用', 'critical');
    expect(await query(dbDown)).toEqual([]);
    db.cut();
    // readiness checks record mcp_dependency_up (in `serve` a watcher also runs them every 10 s)
    const firing = await until(
      async () => {
        await tp.request({ method: 'GET', url: '/ready' });
        return query(dbDown);
      },
      (r) => r.length === 2,
    );
    expect(firing.map((s) => s.metric.__name__).sort()).toEqual(['mcp_dependency_up', 'mysql_up']);
    await db.restore();
    await until(
      () => tp.request({ method: 'GET', url: '/ready' }),
      (r) => r.status === 200,
    );
    expect(
      await until(
        () => query(dbDown),
        (r) => r.length === 0,
      ),
    ).toEqual([]);
  });
});
