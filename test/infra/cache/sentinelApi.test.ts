import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RedisSentinelCluster, startRedisSentinel } from '../../support/redisSentinel.js';
import { ADMIN_PASSWORD, startTestPlatform, type TestPlatform } from '../../support/testPlatform.js';

/**
 * HA-5 over the API: the platform on the real backend (MariaDB, RabbitMQ of the machine) with its
 * cache behind our own Redis Sentinel deployment. While the Redis primary is killed with -9 and the
 * sentinels promote the replica, requests that use the cache (login, GET /api/users/:id, the
 * permission check of every authenticated request) keep answering 2xx from the database; after the
 * switch the cache is used again on the new primary, without restarting anything.
 */
describe('API during a Redis Sentinel failover', () => {
  let cluster: RedisSentinelCluster;
  let tp: TestPlatform;
  let token: string;
  let viewerId: number;
  const viewer = { username: 'sentinelviewer', password: 'Str0ng-Pass!' };

  beforeAll(async () => {
    cluster = await startRedisSentinel();
    tp = await startTestPlatform('real', { urls: { redis: cluster.url }, env: { MCP_LOG_LEVEL: 'warn' } });
    token = (await tp.login('admin', ADMIN_PASSWORD)).accessToken;
    const created = await tp.request({
      method: 'POST',
      url: '/api/users',
      token,
      body: { username: viewer.username, email: 'sv@example.com', password: viewer.password, roles: ['viewer'] },
    });
    expect(created.status).toBe(201);
    viewerId = created.body.id;
  }, 90_000);
  afterAll(async () => {
    await tp?.close();
    await cluster?.stop();
  });

  const userKey = () => `${tp.config.redisKeyPrefix}user:${viewerId}`;
  const cacheErrorsMetric = async (): Promise<number> => {
    const text = String((await tp.request({ method: 'GET', url: '/metrics' })).body);
    return Number(/^mcp_cache_errors_total (\d+)/m.exec(text)?.[1] ?? Number.NaN);
  };

  it('keeps answering 2xx through kill -9 of the Redis primary, then caches on the new primary', async () => {
    // warm: the user's JSON is cached on the current primary
    expect((await tp.request({ method: 'GET', url: `/api/users/${viewerId}`, token })).status).toBe(200);
    const oldPrimary = await cluster.primaryPort();
    expect(await cluster.command(oldPrimary, 'EXISTS', userKey())).toBe(1);
    const errorsBefore = await cacheErrorsMetric();
    expect(errorsBefore).toBeGreaterThanOrEqual(0);

    const statuses: { what: string; status: number }[] = [];
    let running = true;
    const load = async (what: string, call: () => Promise<{ status: number }>) => {
      while (running) {
        statuses.push({ what, status: (await call()).status });
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    const loops = [
      load('GET /api/users/:id', () => tp.request({ method: 'GET', url: `/api/users/${viewerId}`, token })),
      load('GET /api/users', () => tp.request({ method: 'GET', url: '/api/users', token })),
      load('GET /api/auth/me', () => tp.request({ method: 'GET', url: '/api/auth/me', token })),
      load('POST /api/auth/login', () => tp.request({ method: 'POST', url: '/api/auth/login', body: viewer })),
    ];

    const { killed, promoted } = await cluster.kill9Primary();
    // keep the load on for a moment after the promotion: the cache reconnects meanwhile
    await new Promise((r) => setTimeout(r, 2_000));
    running = false;
    await Promise.all(loops);

    expect(promoted).toBeDefined();
    expect(promoted).not.toBe(killed);
    // every request answered, none with an error
    const failed = statuses.filter((s) => s.status < 200 || s.status >= 300);
    expect(failed).toEqual([]);
    for (const what of ['GET /api/users/:id', 'GET /api/users', 'GET /api/auth/me', 'POST /api/auth/login']) {
      expect(statuses.filter((s) => s.what === what).length).toBeGreaterThan(3);
    }
    // the cache did fail during the window (so the 2xx above came from the database fallback), and
    // operators can see it: the errors metric grew and the app log says what happened…
    expect(await cacheErrorsMetric()).toBeGreaterThan(errorsBefore);
    expect(readFileSync(join(tp.config.logDir, 'app.log'), 'utf8')).toContain('cache unavailable; serving from the database');

    // …and is back on the new primary without a restart: a read caches the user there again.
    const deadline = Date.now() + 10_000;
    let cachedOnNew = 0;
    while (Date.now() < deadline) {
      await cluster.command(promoted!, 'DEL', userKey());
      expect((await tp.request({ method: 'GET', url: `/api/users/${viewerId}`, token })).status).toBe(200);
      cachedOnNew = (await cluster.command(promoted!, 'EXISTS', userKey())) as number;
      if (cachedOnNew === 1) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(cachedOnNew).toBe(1);
  }, 90_000);
});
