import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WATCHDOG_RULES } from '../../src/ops/alerting/watchdog/rules.js';
import { figureViews, readOverview } from '../../src/ops/overview/overview.js';
import { createFigureSampler } from '../../src/ops/overview/series.js';
import { ADMIN_PASSWORD, startTestPlatform, type TestPlatform } from '../support/testPlatform.js';

const byKey = (views: ReturnType<typeof figureViews>) => new Map(views.map((v) => [v.key, v]));

/** Issue 13 "总览": the key figures against the manual's thresholds (the watchdog's rules), and their last hour. */
describe('overview figures and severities', () => {
  it('each figure carries the thresholds of its watchdog rules, and a forced value gets the severity of the highest rule it breaks', () => {
    const v = byKey(
      figureViews({
        host_cpu_ratio: [{ value: 0.9 }],
        host_memory_ratio: [{ value: 0.5 }],
        http_p95_seconds: [{ value: 1.2, traffic: 5 }],
        http_error_ratio: [{ value: 0.03, traffic: 5 }],
        cache_hit_ratio: [{ value: 0.5, traffic: 2 }],
        host_disk_ratio: [
          { labels: { path: '/data' }, value: 0.5 },
          { labels: { path: '/logs' }, value: 0.95 },
        ],
        db_pool_ratio: [{ value: 0.1 }],
        http_requests_per_second: [{ value: 12.5 }],
      }),
    );
    expect(v.get('cpu')).toMatchObject({ value: 0.9, severity: 'minor', unit: 'ratio' });
    expect(v.get('memory')).toMatchObject({ value: 0.5, severity: 'ok' });
    expect(v.get('p95')).toMatchObject({ value: 1.2, severity: 'major', unit: 'seconds' });
    expect(v.get('errorRate')).toMatchObject({ value: 0.03, severity: 'minor' });
    expect(v.get('cacheHitRate')).toMatchObject({ value: 0.5, severity: 'minor' });
    expect(v.get('disk')).toMatchObject({ value: 0.95, severity: 'major' });
    expect(v.get('disk')!.series).toHaveLength(2);
    expect(v.get('dbPool')).toMatchObject({ value: 0.1, severity: 'ok' });
    expect(v.get('qps')).toMatchObject({ value: 12.5, severity: 'ok', thresholds: [] });
    // the thresholds are the rules' own, not a second copy
    expect(v.get('p95')!.thresholds.map((t) => [t.severity, t.op, t.value])).toEqual([
      ['minor', '>', 0.5],
      ['major', '>', 1],
    ]);
    for (const rule of WATCHDOG_RULES.filter((r) => r.figure === 'host_memory_ratio')) {
      expect(v.get('memory')!.thresholds).toContainEqual(expect.objectContaining({ severity: rule.severity, value: rule.threshold, alert: rule.name }));
    }
    // no replicas, no MySQL: no lag or server-connection figure at all; unknown values are null, not 0
    expect(v.has('replicationLag')).toBe(false);
    expect(v.has('dbConnections')).toBe(false);
  });

  it('ratios under the traffic floor are not judged (one failed request is not a 100 % error rate alarm); unknown is ok and null', () => {
    const v = byKey(
      figureViews({ http_error_ratio: [{ value: 1, traffic: 0.01 }], http_p95_seconds: [], db_replication_lag_seconds: [{ labels: { replica: 'r1:3306' }, value: 3 }] }),
    );
    expect(v.get('errorRate')).toMatchObject({ value: 1, severity: 'ok' });
    expect(v.get('p95')).toMatchObject({ value: null, severity: 'ok' });
    expect(v.get('cpu')).toMatchObject({ value: null, severity: 'ok' });
    expect(v.get('replicationLag')).toMatchObject({ value: 3, severity: 'minor' });
  });

  it('a dependency down takes the severity of its rule (database critical, cache minor) and the overall status is the worst', async () => {
    const up = { ok: true, kind: 'x', latencyMs: 1 };
    const cacheDown = await readOverview({
      dependencies: async () => ({ db: up, cache: { ...up, ok: false, error: 'no answer' }, bus: up }),
      figures: async () => ({ host_cpu_ratio: [{ value: 0.1 }] }),
      now: () => new Date('2026-11-30T08:00:00Z'),
    });
    expect(cacheDown.dependencies.cache).toMatchObject({ ok: false, severity: 'minor', error: 'no answer' });
    expect(cacheDown.dependencies.db.severity).toBe('ok');
    expect(cacheDown.status).toBe('minor');
    const dbDown = await readOverview({
      dependencies: async () => ({ db: { ...up, ok: false }, cache: up, bus: up }),
      figures: async () => ({}),
      now: () => new Date(),
    });
    expect(dbDown.status).toBe('critical');
  });

  it('the embedded sampler keeps more than an hour in its ring and answers the last N minutes', async () => {
    let t = Date.parse('2026-11-30T00:00:00Z');
    let n = 0;
    const sampler = createFigureSampler({ read: async () => ({ http_requests_per_second: [{ value: ++n }] }), now: () => t, everyMs: 15_000 });
    for (let i = 0; i < 400; i++) {
      await sampler.sample();
      t += 15_000;
    }
    t -= 15_000;
    const hour = await sampler.read(60);
    const qps = hour.series.find((s) => s.key === 'qps')!.points;
    expect(hour.source).toBe('embedded');
    expect(hour.stepSeconds).toBe(15);
    expect(qps).toHaveLength(241); // 60 min at 15 s, both ends included
    expect(qps.at(-1)).toEqual({ t, v: 400 });
    expect(qps[0]!.t).toBe(t - 60 * 60_000);
    expect(qps.every((p, i) => i === 0 || p.t > qps[i - 1]!.t)).toBe(true);
    const all = (await sampler.read(24 * 60)).series[0]!.points;
    expect(all.length).toBeGreaterThan(240); // more than an hour kept …
    expect(all.length).toBeLessThan(400); // … but bounded
    expect(hour.series.find((s) => s.key === 'cpu')!.points.every((p) => p.v === null)).toBe(true);
  });
});

describe('GET /api/ops/overview (embedded default)', () => {
  let tp: TestPlatform;
  let admin: string;
  let viewer: string;

  beforeAll(async () => {
    tp = await startTestPlatform('embedded');
    admin = (await tp.login('admin', ADMIN_PASSWORD)).accessToken;
    const created = await tp.request({
      method: 'POST',
      url: '/api/users',
      token: admin,
      body: { username: 'watcher', email: 'watcher@example.com', password: 'Str0ng-Pass!', roles: ['viewer'] },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    viewer = (await tp.login('watcher', 'Str0ng-Pass!')).accessToken;
  });
  afterAll(async () => tp?.close());

  it('a viewer reads the dependencies (up, with detail) and the key figures with values, thresholds and severities', async () => {
    for (let i = 0; i < 5; i++) await tp.request({ method: 'GET', url: '/api/users', token: admin });
    const res = await tp.request({ method: 'GET', url: '/api/ops/overview', token: viewer });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const o = res.body;
    expect(o.dependencies.db).toMatchObject({ ok: true, kind: 'sqlite', severity: 'ok' });
    expect(o.dependencies.cache).toMatchObject({ ok: true, kind: 'memory' });
    expect(o.dependencies.bus).toMatchObject({ ok: true, kind: 'inprocess' });
    expect(typeof o.dependencies.db.latencyMs).toBe('number');
    const figures = new Map<string, { value: number | null; severity: string; thresholds: unknown[] }>(o.figures.map((f: { key: string }) => [f.key, f]));
    expect([...figures.keys()]).toEqual(['qps', 'p95', 'errorRate', 'cpu', 'memory', 'disk', 'dbPool', 'cacheHitRate']);
    expect(figures.get('qps')!.value).toBeGreaterThan(0); // the requests above, over the sampler's window
    expect(figures.get('memory')!.value).toBeGreaterThan(0);
    expect(figures.get('memory')!.value).toBeLessThan(1);
    expect(figures.get('disk')!.value).toBeGreaterThan(0);
    expect(figures.get('dbPool')!.value).toBeGreaterThanOrEqual(0);
    expect(figures.get('cpu')!.thresholds).toEqual([expect.objectContaining({ severity: 'minor', op: '>', value: 0.8, alert: 'CPU使用率过高' })]);
    for (const f of figures.values()) expect(['ok', 'minor', 'major', 'critical']).toContain(f.severity);
    expect(['ok', 'minor', 'major', 'critical']).toContain(o.status);
  });

  it('the series of the last hour come from the embedded sampler, one per key figure', async () => {
    const res = await tp.request({ method: 'GET', url: '/api/ops/overview/series?minutes=60', token: viewer });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.source).toBe('embedded');
    expect(res.body.series.map((s: { key: string }) => s.key)).toContain('memory');
    const memory = res.body.series.find((s: { key: string }) => s.key === 'memory');
    expect(memory.points.length).toBeGreaterThanOrEqual(1); // sampled when the server started
    expect(memory.points[0].v).toBeGreaterThan(0);
    expect(Date.parse(res.body.to) - Date.parse(res.body.from)).toBe(60 * 60_000);
  });

  it('unauthenticated: 401; bad minutes: 400', async () => {
    expect((await tp.request({ method: 'GET', url: '/api/ops/overview' })).status).toBe(401);
    expect((await tp.request({ method: 'GET', url: '/api/ops/overview/series' })).status).toBe(401);
    expect((await tp.request({ method: 'GET', url: '/api/ops/overview/series?minutes=0', token: viewer })).status).toBe(400);
    expect((await tp.request({ method: 'GET', url: '/api/ops/overview/series?minutes=abc', token: viewer })).status).toBe(400);
  });
});
