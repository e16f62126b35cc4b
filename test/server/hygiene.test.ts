import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, startTestPlatform, type TestPlatform } from '../support/testPlatform.js';

/** Response hygiene (issue 9 D8): nosniff everywhere, deep JSON refused with 400, /metrics behind a token when set. */
describe('HTTP hygiene', () => {
  let tp: TestPlatform;
  let admin: string;
  const METRICS_TOKEN = 'metrics-token-0123456789abcdef';

  beforeAll(async () => {
    tp = await startTestPlatform('embedded', { env: { MCP_METRICS_TOKEN: METRICS_TOKEN } });
    admin = (await tp.login('admin', ADMIN_PASSWORD)).accessToken;
  });
  afterAll(async () => tp?.close());

  it('every response carries X-Content-Type-Options: nosniff (success, 401, 404, 400)', async () => {
    const responses = [
      await tp.request({ method: 'GET', url: '/health' }),
      await tp.request({ method: 'GET', url: '/api/users', token: admin }),
      await tp.request({ method: 'GET', url: '/api/users' }),
      await tp.request({ method: 'GET', url: '/api/no/such/route' }),
      await tp.request({ method: 'POST', url: '/api/auth/login', body: '{not json' }),
    ];
    expect(responses.map((r) => r.status)).toEqual([200, 200, 401, 404, 400]);
    for (const r of responses) expect(r.headers['x-content-type-options']).toBe('nosniff');
  });

  it('a deeply nested JSON body is 400 INVALID and stores nothing; ordinary nesting and brackets inside strings pass', async () => {
    for (const body of [`{"value":${'['.repeat(5000)}${']'.repeat(5000)}}`, `{"value":${'{"a":'.repeat(100)}1${'}'.repeat(100)}}`]) {
      const res = await tp.request({ method: 'PUT', url: '/api/system/settings/deep', token: admin, body });
      expect(res.status, JSON.stringify(res.body)).toBe(400);
      expect(res.body.error.code).toBe('INVALID');
      expect(res.body.error.message).toContain('nested deeper than 32');
    }
    expect((await tp.request({ method: 'GET', url: '/api/system/settings/deep', token: admin })).status).toBe(404);
    const ok = await tp.request({
      method: 'PUT',
      url: '/api/system/settings/deep',
      token: admin,
      body: { value: { text: '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{\\"', nested: [[[[[[[[[[1]]]]]]]]]] } },
    });
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
  });

  it('with MCP_METRICS_TOKEN, /metrics answers only a matching bearer token', async () => {
    const none = await tp.request({ method: 'GET', url: '/metrics' });
    expect(none.status).toBe(401);
    expect(none.body.error.code).toBe('UNAUTHORIZED');
    expect(JSON.stringify(none.body)).not.toContain('nodejs_version_info');
    expect((await tp.request({ method: 'GET', url: '/metrics', headers: { authorization: 'Bearer wrong-token-wrong-token' } })).status).toBe(401);
    expect((await tp.request({ method: 'GET', url: '/metrics', token: admin })).status).toBe(401); // a user's token is not the metrics token
    const ok = await tp.request({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(ok.status).toBe(200);
    expect(String(ok.body)).toContain('http_requests_total');
  });

  it('without MCP_METRICS_TOKEN, /metrics stays open (the default Prometheus scrape keeps working)', async () => {
    const open = await startTestPlatform('embedded');
    try {
      const res = await open.request({ method: 'GET', url: '/metrics' });
      expect(res.status).toBe(200);
      expect(res.headers['x-content-type-options']).toBe('nosniff');
    } finally {
      await open.close();
    }
  });
});
