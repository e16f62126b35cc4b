import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, startTestPlatform, type TestPlatform } from '../support/testPlatform.js';

/** The CSP as a map of directive → sources. */
function csp(header: unknown): Map<string, string[]> {
  return new Map(
    String(header ?? '')
      .split(';')
      .map((d) => d.trim().split(/\s+/))
      .filter((d) => d[0])
      .map(([name, ...sources]) => [name!, sources]),
  );
}

/** Issue 13 item 3: security headers on every response — API, console, docs, errors. */
describe('security headers', () => {
  let tp: TestPlatform;
  let admin: string;

  beforeAll(async () => {
    tp = await startTestPlatform('embedded', { env: { MCP_TRUST_PROXY: 'true' } });
    admin = (await tp.login('admin', ADMIN_PASSWORD)).accessToken;
  });
  afterAll(async () => tp?.close());

  it('every response (API success, /, the docs page, 401, 404, 400) carries the CSP, nosniff, no framing and a referrer policy', async () => {
    const responses = [
      await tp.request({ method: 'GET', url: '/api/users', token: admin }),
      await tp.request({ method: 'GET', url: '/' }),
      await tp.request({ method: 'GET', url: '/api/docs' }),
      await tp.request({ method: 'GET', url: '/health' }),
      await tp.request({ method: 'GET', url: '/api/users' }),
      await tp.request({ method: 'GET', url: '/api/no/such/route' }),
      await tp.request({ method: 'POST', url: '/api/auth/login', body: '{not json' }),
    ];
    expect(responses.map((r) => r.status)).toEqual([200, expect.any(Number), 200, 200, 401, 404, 400]);
    for (const r of responses) {
      const policy = csp(r.headers['content-security-policy']);
      expect(policy.get('script-src')).toEqual(["'self'"]);
      expect(policy.get('script-src-attr')).toEqual(["'none'"]);
      expect(policy.get('default-src')).toEqual(["'self'"]);
      expect(policy.get('frame-ancestors')).toEqual(["'none'"]);
      expect(policy.get('object-src')).toEqual(["'none'"]);
      expect(policy.get('base-uri')).toEqual(["'self'"]);
      // inline styles are allowed (Ant Design's CSS-in-JS), inline scripts never
      expect(policy.get('style-src')).toContain("'unsafe-inline'");
      expect(String(r.headers['content-security-policy'])).not.toMatch(/script-src[^;]*unsafe/);
      // plain-HTTP deployments must keep working: no forced upgrade to https
      expect(policy.has('upgrade-insecure-requests')).toBe(false);
      expect(r.headers['x-content-type-options']).toBe('nosniff');
      expect(r.headers['x-frame-options']).toBe('DENY');
      expect(r.headers['referrer-policy']).toBe('no-referrer');
      // HSTS only over TLS
      expect(r.headers['strict-transport-security']).toBeUndefined();
    }
  });

  it('HSTS is sent when the request came over TLS (X-Forwarded-Proto from a trusted proxy), never over plain HTTP', async () => {
    const tls = await tp.request({ method: 'GET', url: '/health', headers: { 'x-forwarded-proto': 'https' } });
    expect(tls.headers['strict-transport-security']).toMatch(/^max-age=\d{7,}/);
    const err = await tp.request({ method: 'GET', url: '/api/users', headers: { 'x-forwarded-proto': 'https' } });
    expect(err.status).toBe(401);
    expect(err.headers['strict-transport-security']).toMatch(/^max-age=/);
    const plain = await tp.request({ method: 'GET', url: '/health', headers: { 'x-forwarded-proto': 'http' } });
    expect(plain.headers['strict-transport-security']).toBeUndefined();
  });

  it('without MCP_TRUST_PROXY a client cannot claim TLS with X-Forwarded-Proto', async () => {
    const direct = await startTestPlatform('embedded');
    try {
      const res = await direct.request({ method: 'GET', url: '/health', headers: { 'x-forwarded-proto': 'https' } });
      expect(res.headers['strict-transport-security']).toBeUndefined();
    } finally {
      await direct.close();
    }
  });
});
