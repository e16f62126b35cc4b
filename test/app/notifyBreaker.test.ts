import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAlerting } from '../../src/app/alerting.js';
import { startHttpReceiver, type HttpReceiver } from '../support/httpReceiver.js';
import { ADMIN_PASSWORD, startTestPlatform, type TestPlatform } from '../support/testPlatform.js';

/**
 * A notification channel whose provider keeps failing (a real HTTP endpoint answering 500): after
 * MCP_BREAKER_FAILURES sends in a row the channel's circuit opens and delivery stops calling it —
 * attempts fail at once, naming the last failure — until the open time has passed; then it sends again.
 */
describe('notification channels behind a circuit breaker', () => {
  let tp: TestPlatform;
  let hook: HttpReceiver;
  beforeAll(async () => {
    hook = await startHttpReceiver({ status: 500, body: { error: 'provider down' } });
    tp = await startTestPlatform('embedded', { env: { MCP_BREAKER_FAILURES: '3', MCP_BREAKER_OPEN_SECONDS: '1' } });
    const admin = (await tp.login('admin', ADMIN_PASSWORD)).accessToken;
    const res = await tp.request({
      method: 'POST',
      url: '/api/support/notify/channels',
      token: admin,
      body: { name: 'ops-hook', type: 'webhook', config: { url: `${hook.url}/hook` } },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
  });
  afterAll(async () => {
    await tp?.close();
    await hook?.close();
  });

  it('stops calling a failing provider after N failures, fails fast while open, and sends again once it is back', async () => {
    const { delivery } = createAlerting(tp.platform);
    const message = { subject: '数据库不可用', text: '【紧急】数据库不可用', to: ['ops@example.com'], idempotencyKey: 'k1' };
    const channel = await delivery.channel('ops-hook', 'webhook');
    for (let i = 0; i < 3; i++) await expect(channel.send(message)).rejects.toBeDefined();
    expect(hook.requests).toHaveLength(3);
    const t0 = Date.now();
    await expect(channel.send(message)).rejects.toMatchObject({
      code: 'UNAVAILABLE',
      message: expect.stringMatching(/^notify:ops-hook is unavailable: the circuit is open after 3 failed calls in a row \(last: .+\); retry in 1 s$/),
    });
    expect(Date.now() - t0).toBeLessThan(200);
    expect(hook.requests).toHaveLength(3); // not called while open
    const metrics = (await tp.request({ method: 'GET', url: '/metrics' })).body as string;
    expect(metrics).toContain('mcp_circuit_breaker_state{target="notify:ops-hook"} 1');

    hook.setDefault({ status: 200, body: {} });
    await new Promise((r) => setTimeout(r, 1_100));
    const again = await delivery.channel('ops-hook', 'webhook');
    await expect(again.send(message)).resolves.toBeDefined();
    expect(hook.requests).toHaveLength(4);
    expect((await tp.request({ method: 'GET', url: '/metrics' })).body as string).toContain('mcp_circuit_breaker_state{target="notify:ops-hook"} 0');
  });
});
