import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SERVICES, hostPort } from '../support/services.js';
import { startTcpProxy, type TcpProxy } from '../support/tcpProxy.js';
import { ADMIN_PASSWORD, startTestPlatform, type TestPlatform } from '../support/testPlatform.js';

/**
 * Dependencies failing under a running platform. The machine's shared MariaDB, Redis and
 * RabbitMQ are never touched: the platform reaches each through a TCP proxy the test cuts.
 */
async function eventually<T>(probe: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: T;
  do {
    last = await probe();
    if (ok(last)) return last;
    await new Promise((r) => setTimeout(r, 200));
  } while (Date.now() < until);
  return last;
}

describe('faults on the real backend', () => {
  let db: TcpProxy;
  let redis: TcpProxy;
  let amqp: TcpProxy;
  let tp: TestPlatform;
  let token: string;
  let viewerId: number;

  beforeAll(async () => {
    const m = hostPort(`${SERVICES.mysql}/x`);
    const r = hostPort(SERVICES.redis);
    const a = hostPort(SERVICES.amqp);
    [db, redis, amqp] = await Promise.all([startTcpProxy(m.host, m.port), startTcpProxy(r.host, r.port), startTcpProxy(a.host, a.port)]);
    tp = await startTestPlatform('real', {
      urls: { mysqlBase: `mysql://root@127.0.0.1:${db.port}`, redis: `redis://127.0.0.1:${redis.port}/0`, amqp: `amqp://guest:guest@127.0.0.1:${amqp.port}` },
    });
    token = (await tp.login('admin', ADMIN_PASSWORD)).accessToken;
    const v = await tp.request({
      method: 'POST',
      url: '/api/users',
      token,
      body: { username: 'faultviewer', email: 'fv@example.com', password: 'Str0ng-Pass!', roles: ['viewer'] },
    });
    viewerId = v.body.id;
  });
  afterAll(async () => {
    await Promise.all([db?.restore(), redis?.restore(), amqp?.restore()].map((p) => p?.catch(() => {})));
    await tp?.close();
    await Promise.all([db?.close(), redis?.close(), amqp?.close()]);
  });

  it('cache down: reads and logins are served from the database, no 5xx; /ready names the cache', async () => {
    redis.cut();
    const read = await tp.request({ method: 'GET', url: `/api/users/${viewerId}`, token });
    expect(read.status).toBe(200);
    expect(read.body.username).toBe('faultviewer');
    const login = await tp.request({ method: 'POST', url: '/api/auth/login', body: { username: 'faultviewer', password: 'Str0ng-Pass!' } });
    expect(login.status).toBe(200);
    expect((await tp.request({ method: 'GET', url: '/api/auth/me', token: login.body.accessToken })).status).toBe(200);
    const ready = await tp.request({ method: 'GET', url: '/ready' });
    expect(ready.status).toBe(503);
    expect(ready.body.checks.cache.ok).toBe(false);
    expect(ready.body.checks.db.ok).toBe(true);
    expect((await tp.request({ method: 'GET', url: '/health' })).status).toBe(200);

    await redis.restore();
    const back = await eventually(
      () => tp.request({ method: 'GET', url: '/ready' }),
      (r) => r.status === 200,
    );
    expect(back.status).toBe(200);
  });

  it('database down: clear 503s, /health stays 200, a refused write leaves nothing behind, recovery needs no restart', async () => {
    const usersBefore = (await tp.request({ method: 'GET', url: '/api/users', token })).body.total;
    db.cut();
    const create = await tp.request({ method: 'POST', url: '/api/users', token, body: { username: 'ghost', email: 'ghost@example.com', password: 'Str0ng-Pass!' } });
    expect(create.status).toBe(503);
    expect(create.body.error.code).toBe('UNAVAILABLE');
    expect(create.headers['retry-after']).toBeDefined();
    const list = await tp.request({ method: 'GET', url: '/api/users', token });
    expect(list.status).toBe(503);
    const login = await tp.request({ method: 'POST', url: '/api/auth/login', body: { username: 'admin', password: ADMIN_PASSWORD } });
    expect(login.status).toBe(503);
    expect((await tp.request({ method: 'GET', url: '/health' })).status).toBe(200);
    const ready = await tp.request({ method: 'GET', url: '/ready' });
    expect(ready.status).toBe(503);
    expect(ready.body.checks.db.ok).toBe(false);
    expect(ready.body.checks.db.error).toMatch(/unavailable|answer/i);
    // the scrape still works (the backup gauges cannot read the catalog) and says the DB is down
    await new Promise((r) => setTimeout(r, 1100)); // past the backup gauges' one-second cache
    const scrape = await tp.request({ method: 'GET', url: '/metrics' });
    expect(scrape.status).toBe(200);
    expect(String(scrape.body)).toMatch(/mcp_dependency_up\{dependency="db"\} 0/);

    await db.restore();
    const recovered = await eventually(
      () => tp.request({ method: 'GET', url: '/api/users', token }),
      (r) => r.status === 200,
    );
    expect(recovered.status).toBe(200);
    expect(recovered.body.total).toBe(usersBefore);
    expect(recovered.body.items.some((u: { username: string }) => u.username === 'ghost')).toBe(false);
    expect((await tp.request({ method: 'GET', url: '/api/system/audit-logs/verify', token })).body.ok).toBe(true);
    expect((await tp.request({ method: 'GET', url: '/ready' })).status).toBe(200);
  });

  it('bus down: the API keeps working, /ready names the bus, and it recovers by itself', async () => {
    amqp.cut();
    const ready = await eventually(
      () => tp.request({ method: 'GET', url: '/ready' }),
      (r) => r.status === 503,
    );
    expect(ready.body.checks.bus.ok).toBe(false);
    const role = await tp.request({ method: 'POST', url: '/api/roles', token, body: { name: 'while-bus-down', permissions: ['ops:read'] } });
    expect(role.status).toBe(201);
    await amqp.restore();
    const back = await eventually(
      () => tp.request({ method: 'GET', url: '/ready' }),
      (r) => r.status === 200,
      30_000,
    );
    expect(back.status).toBe(200);
  });
});
