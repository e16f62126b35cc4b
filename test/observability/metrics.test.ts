import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, startTestPlatform, type TestPlatform } from '../support/testPlatform.js';

/** Reads one sample's value from Prometheus text exposition; undefined when absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const m = /^[^{\s]+(?:\{(.*)\})? (\S+)/.exec(line);
    if (!m) continue;
    const have = Object.fromEntries([...(m[1] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(m[2]);
  }
  return undefined;
}

describe('/metrics', () => {
  let tp: TestPlatform;
  let token: string;
  beforeAll(async () => {
    tp = await startTestPlatform('embedded');
    await tp.request({ method: 'POST', url: '/api/auth/login', body: { username: 'admin', password: 'not-it' } });
    token = (await tp.login('admin', ADMIN_PASSWORD)).accessToken;
    for (let i = 0; i < 3; i++) await tp.request({ method: 'GET', url: '/api/users/1', token });
    await tp.request({ method: 'GET', url: '/api/users/424242', token });
    // a POST: a GET outside /api is the console's (index.html) once web/dist is built
    await tp.request({ method: 'POST', url: '/no/such/page/12345' });
    await tp.request({ method: 'GET', url: '/ready' });
  });
  afterAll(() => tp?.close());

  const scrape = async () => {
    const res = await tp.app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/plain');
    return res.body;
  };

  it('counts requests by method, route template and status — never the raw URL', async () => {
    const text = await scrape();
    expect(sample(text, 'http_requests_total', { method: 'GET', route: '/api/users/:id', status: '200' })).toBe(3);
    expect(sample(text, 'http_requests_total', { method: 'GET', route: '/api/users/:id', status: '404' })).toBe(1);
    expect(sample(text, 'http_requests_total', { method: 'POST', route: '/api/auth/login', status: '401' })).toBe(1);
    expect(sample(text, 'http_requests_total', { route: 'unmatched', status: '404' })).toBe(1);
    expect(text).not.toContain('424242');
    expect(text).not.toContain('/no/such/page');
  });

  it('has a latency histogram whose buckets resolve 0.5 s and 1 s', async () => {
    const text = await scrape();
    const labels = { method: 'GET', route: '/api/users/:id', status: '200' };
    expect(sample(text, 'http_request_duration_seconds_bucket', { ...labels, le: '0.5' })).toBe(3);
    expect(sample(text, 'http_request_duration_seconds_bucket', { ...labels, le: '1' })).toBe(3);
    expect(sample(text, 'http_request_duration_seconds_count', labels)).toBe(3);
    expect(sample(text, 'http_request_duration_seconds_sum', labels)).toBeGreaterThan(0);
  });

  it('reports logins, pool, cache, bus, dependencies, process and host figures', async () => {
    const text = await scrape();
    expect(sample(text, 'mcp_login_attempts_total', { result: 'failure' })).toBe(1);
    expect(sample(text, 'mcp_login_attempts_total', { result: 'success' })).toBe(1);
    expect(sample(text, 'mcp_db_pool_max')).toBe(1); // SQLite: one connection
    expect(sample(text, 'mcp_db_pool_in_use')).toBe(0);
    expect(sample(text, 'mcp_cache_requests_total', { result: 'hit' })).toBeGreaterThanOrEqual(2);
    expect(sample(text, 'mcp_cache_requests_total', { result: 'miss' })).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'mcp_bus_messages_total', { event: 'published' })).toBeGreaterThanOrEqual(0);
    for (const d of ['db', 'cache', 'bus']) expect(sample(text, 'mcp_dependency_up', { dependency: d })).toBe(1);
    expect(sample(text, 'process_resident_memory_bytes')).toBeGreaterThan(0);
    for (const name of ['mcp_host_memory_utilization_ratio', 'mcp_host_cpu_utilization_ratio']) {
      await scrape(); // CPU needs two readings
      const v = sample(await scrape(), name);
      expect(v, name).toBeGreaterThanOrEqual(0);
      expect(v, name).toBeLessThanOrEqual(1);
    }
    const disk = sample(text, 'mcp_host_disk_utilization_ratio');
    expect(disk).toBeGreaterThan(0);
    expect(disk).toBeLessThan(1);
  });
});
