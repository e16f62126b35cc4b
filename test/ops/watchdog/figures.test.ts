import { Counter, Histogram, Registry } from 'prom-client';
import { afterAll, describe, expect, it } from 'vitest';
import { createDatabase } from '../../../src/infra/db/database.js';
import { createFigureReader, histogramQuantile, mysqlServerFigures, replicaStatus } from '../../../src/ops/alerting/watchdog/figures.js';
import { HTTP_BUCKETS } from '../../../src/observability/metrics.js';
import { breakerObserver } from '../../../src/observability/breakerMetrics.js';
import { SERVICES } from '../../support/services.js';

/** The watchdog's figures: the rates and p95 of `rate(…[5m])` from successive readings, pings, the backup catalog and the MySQL server. */
const T0 = Date.parse('2026-11-30T01:00:00.000Z');

function httpRegistry() {
  const registry = new Registry();
  const requests = new Counter({ name: 'http_requests_total', help: 'h', labelNames: ['method', 'route', 'status'] as const, registers: [registry] });
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'h',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: HTTP_BUCKETS,
    registers: [registry],
  });
  const serve = (n: number, status: number, seconds: number, route = '/api/users') => {
    for (let i = 0; i < n; i++) {
      requests.inc({ method: 'GET', route, status: String(status) });
      duration.observe({ method: 'GET', route, status: String(status) }, seconds);
    }
  };
  return { registry, serve };
}

describe('watchdog figures', () => {
  it('histogram_quantile interpolates inside the bucket as Prometheus does, and caps at the highest finite bound', () => {
    const b = (pairs: [number, number][]) => new Map(pairs);
    expect(
      histogramQuantile(
        0.95,
        b([
          [0.5, 0],
          [1, 100],
          [Infinity, 100],
        ]),
      ),
    ).toBeCloseTo(0.975);
    expect(
      histogramQuantile(
        0.5,
        b([
          [0.1, 50],
          [0.25, 100],
          [Infinity, 100],
        ]),
      ),
    ).toBeCloseTo(0.1);
    expect(
      histogramQuantile(
        0.95,
        b([
          [0.5, 0],
          [1, 0],
          [Infinity, 10],
        ]),
      ),
    ).toBe(1);
    expect(
      histogramQuantile(
        0.95,
        b([
          [0.5, 0],
          [Infinity, 0],
        ]),
      ),
    ).toBeNaN();
  });

  it('error ratio and p95 over the last 5 minutes of traffic, with the request rate behind them', async () => {
    const { registry, serve } = httpRegistry();
    let now = T0;
    const figures = createFigureReader({ now: () => now, registry });
    serve(1000, 200, 0.01); // old traffic, before the window: must not count
    expect(await figures.read()).toMatchObject({ http_error_ratio: [], http_p95_seconds: [] }); // one reading: no rate yet
    now += 240_000;
    await figures.read();
    now += 90_000; // the first reading is now out of the 5-minute window
    serve(90, 200, 0.7);
    serve(10, 500, 0.7);
    const f = await figures.read();
    expect(f.http_error_ratio).toHaveLength(1);
    expect(f.http_error_ratio![0]!.value).toBeCloseTo(0.1);
    expect(f.http_error_ratio![0]!.traffic).toBeCloseTo(100 / 90);
    expect(f.http_p95_seconds![0]!.value).toBeGreaterThan(0.5);
    expect(f.http_p95_seconds![0]!.value).toBeLessThanOrEqual(0.75);
    expect(f.http_p95_seconds![0]!.traffic).toBeCloseTo(100 / 90);
  });

  it('every circuit breaker of the process, by target, as the breaker metrics report it', async () => {
    const registry = new Registry();
    const observer = breakerObserver(registry, { warn: () => undefined, info: () => undefined });
    const figures = createFigureReader({ now: () => T0, registry });
    expect((await figures.read()).breaker_state).toEqual([]);
    observer.track('module:user');
    observer.track('s3');
    observer.transition('module:user', 'open');
    const f = await figures.read();
    expect(f.breaker_state).toEqual(
      expect.arrayContaining([
        { labels: { target: 'module:user' }, value: 1 },
        { labels: { target: 's3' }, value: 0 },
      ]),
    );
    expect(f.breaker_state).toHaveLength(2);
  });

  it('cache hit ratio from the hit/miss counts; pool use; a ping that fails or hangs is down', async () => {
    let now = T0;
    const stats = { hits: 0, misses: 0 };
    const figures = createFigureReader({
      now: () => now,
      cacheStats: () => stats,
      poolStats: () => ({ inUse: 9, max: 10 }),
      pings: { db: async () => undefined, cache: () => new Promise(() => undefined), bus: async () => Promise.reject(new Error('connection refused')) },
      pingTimeoutMs: 50,
    });
    await figures.read();
    now += 60_000;
    stats.hits = 60;
    stats.misses = 40;
    const f = await figures.read();
    expect(f.cache_hit_ratio).toEqual([{ value: 0.6, traffic: 100 / 60 }]);
    expect(f.db_pool_ratio).toEqual([{ value: 0.9 }]);
    expect(f).toMatchObject({ db_up: [{ value: 1 }], cache_up: [{ value: 0 }], bus_up: [{ value: 0 }] });
    expect(f.app_up).toBeUndefined(); // no source: not evaluated
  });

  it('backup freshness and failures from the catalog; a catalog that cannot be read leaves them unknown', async () => {
    const now = T0;
    const iso = (hoursAgo: number) => new Date(now - hoursAgo * 3600_000).toISOString().replace('T', ' ').replace('Z', '');
    let rows = [
      { type: 'full' as const, status: 'complete' as const, started_at: iso(30), finished_at: iso(29) },
      { type: 'full' as const, status: 'failed' as const, started_at: iso(5), finished_at: iso(5) },
      { type: 'incremental' as const, status: 'complete' as const, started_at: iso(3.5), finished_at: iso(3) },
      { type: 'binlog' as const, status: 'complete' as const, started_at: iso(1), finished_at: iso(0.5) },
    ];
    let broken = false;
    const figures = createFigureReader({ now: () => now, backups: async () => (broken ? Promise.reject(new Error('db down')) : rows) });
    const f = await figures.read();
    expect(f.backup_full_age_seconds).toEqual([{ labels: { type: 'full' }, value: 29 * 3600 }]);
    expect(f.backup_incremental_age_seconds).toEqual([{ value: 0.5 * 3600 }]); // the newer of incremental and binlog
    expect(f.backup_failures).toContainEqual({ labels: { type: 'full' }, value: 1 });
    expect(f.backup_failures).toContainEqual({ labels: { type: 'incremental' }, value: 0 });
    rows = rows.filter((r) => r.type !== 'incremental');
    expect((await figures.read()).backup_incremental_age_seconds).toEqual([]); // no incremental backups used: not checked
    broken = true;
    expect((await figures.read()).backup_full_age_seconds).toBeUndefined();
  });

  it('never a full backup: overdue once the watchdog has watched for 26 hours', async () => {
    let now = T0;
    const figures = createFigureReader({ now: () => now, backups: async () => [] });
    expect((await figures.read()).backup_full_age_seconds).toEqual([]);
    now += 26 * 3600_000 + 1000;
    expect((await figures.read()).backup_full_age_seconds).toEqual([{ labels: { type: 'full' }, value: Infinity }]);
  });

  describe('MySQL/MariaDB server', () => {
    const database = createDatabase(`${SERVICES.mysql}/mysql`, { size: 1, overflow: 0, timeoutSeconds: 5, recycleSeconds: 3600 });
    afterAll(() => database.close());

    it('reads connections, max_connections, Slow_queries and long_query_time; a server that is no replica has no replication figures', async () => {
      const s = await mysqlServerFigures(database.db);
      expect(s.threadsConnected).toBeGreaterThanOrEqual(1);
      expect(s.maxConnections).toBeGreaterThan(s.threadsConnected);
      expect(s.slowQueries).toBeGreaterThanOrEqual(0);
      expect(s.longQueryTime).toBeGreaterThan(0);
      expect(await replicaStatus(database.db, '127.0.0.1:3306')).toBeUndefined();
      const f = await createFigureReader({ now: () => T0, mysqlServer: () => mysqlServerFigures(database.db) }).read();
      expect(f.db_connections_ratio![0]!.value).toBeCloseTo(s.threadsConnected / s.maxConnections, 1);
      expect(f.db_long_query_time_seconds).toEqual([{ value: s.longQueryTime }]);
    });
  });
});
