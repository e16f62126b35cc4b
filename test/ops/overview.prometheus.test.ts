import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PromStack, startPromStack } from '../support/promStack.js';
import { ADMIN_PASSWORD, startTestPlatform, type TestPlatform } from '../support/testPlatform.js';
import { waitFor } from '../support/waitFor.js';

/**
 * The overview's second series source: with MCP_PROMETHEUS_URL the charts come from a real
 * Prometheus (Debian's package) scraping the platform, through its query_range API.
 */
describe('overview series from Prometheus (MCP_PROMETHEUS_URL)', () => {
  let scraped: TestPlatform;
  let stack: PromStack;
  let tp: TestPlatform;
  let admin: string;

  beforeAll(async () => {
    scraped = await startTestPlatform('embedded');
    const url = await scraped.app.listen({ host: '127.0.0.1', port: 0 });
    stack = await startPromStack({
      platformUrl: url,
      webhookToken: 'unused-webhook-token-0123456789',
      ruleGroups: [],
      scrape: [{ job: 'mcp-platform', targets: [new URL(url).host] }],
      intervalSeconds: 1,
    });
    tp = await startTestPlatform('embedded', { env: { MCP_PROMETHEUS_URL: stack.prometheusUrl } });
    admin = (await tp.login('admin', ADMIN_PASSWORD)).accessToken;
    // traffic on the scraped platform, and enough scrapes for rate() to have two samples
    for (let i = 0; i < 20; i++) await fetch(`${url}/health`);
    await waitFor('a request rate in Prometheus', async () => (await stack.query('sum(rate(http_requests_total{job="mcp-platform"}[5m]))')).length > 0, 20_000);
  }, 60_000);
  afterAll(async () => {
    await tp?.close();
    await stack?.stop();
    await scraped?.close();
  });

  it('GET /api/ops/overview/series answers from Prometheus: the platform’s request rate and memory over the span', async () => {
    const res = await tp.request({ method: 'GET', url: '/api/ops/overview/series?minutes=5', token: admin });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.source).toBe('prometheus');
    const series = new Map<string, { points: { t: number; v: number | null }[] }>(res.body.series.map((s: { key: string }) => [s.key, s]));
    const qps = series.get('qps')!.points.filter((p) => p.v !== null);
    expect(qps.length).toBeGreaterThan(0);
    expect(qps.at(-1)!.v).toBeGreaterThan(0);
    const memory = series.get('memory')!.points.filter((p) => p.v !== null);
    expect(memory.at(-1)!.v).toBeGreaterThan(0);
    expect(memory.at(-1)!.v).toBeLessThan(1);
    for (const p of qps) {
      expect(p.t).toBeGreaterThanOrEqual(Date.parse(res.body.from) - 1000);
      expect(p.t).toBeLessThanOrEqual(Date.parse(res.body.to) + 1000);
    }
  });

  it('a Prometheus that does not answer is a 503 with the reason, not an empty chart', async () => {
    const down = await startTestPlatform('embedded', { env: { MCP_PROMETHEUS_URL: 'http://127.0.0.1:1' } });
    try {
      const token = (await down.login('admin', ADMIN_PASSWORD)).accessToken;
      const res = await down.request({ method: 'GET', url: '/api/ops/overview/series', token });
      expect(res.status).toBe(503);
      expect(res.body.error.message).toContain('Prometheus');
    } finally {
      await down.close();
    }
  });
});
