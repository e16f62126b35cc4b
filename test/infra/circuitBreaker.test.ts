import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BreakerState, createBreaker } from '../../src/infra/circuitBreaker.js';

/**
 * The circuit breaker (RES-3) against a real socket that accepts and never answers: each call ends
 * at its timeout (not the client's default minutes), the circuit opens after the failures in a row,
 * then calls fail at once until the open time has passed and a trial call decides.
 */
describe('circuit breaker', () => {
  let hung: net.Server;
  let port: number;
  const held: net.Socket[] = [];
  beforeAll(async () => {
    hung = net.createServer((s) => held.push(s));
    port = await new Promise<number>((r) => hung.listen(0, '127.0.0.1', () => r((hung.address() as net.AddressInfo).port)));
  });
  afterAll(() => {
    for (const s of held) s.destroy();
    hung.close();
  });

  it('times out each call, opens after the failures in a row, fails fast while open, and closes after a good trial call', async () => {
    const seen: BreakerState[] = [];
    const b = createBreaker('hung-service', { timeoutMs: 300, failures: 2, openSeconds: 1 }, { transition: (_t, to) => seen.push(to) });
    let target = `http://127.0.0.1:${port}/`;
    const call = () => b.call(async (signal) => (await fetch(target, { signal })).status, { idempotent: true });

    for (let i = 0; i < 2; i++) {
      const t0 = Date.now();
      await expect(call()).rejects.toMatchObject({ code: 'UNAVAILABLE', message: 'hung-service did not answer within 300 ms' });
      expect(Date.now() - t0).toBeLessThan(2_000);
    }
    expect(b.state()).toBe('open');
    const t0 = Date.now();
    await expect(call()).rejects.toMatchObject({
      code: 'UNAVAILABLE',
      message: expect.stringMatching(/^hung-service is unavailable: the circuit is open after 2 failed calls in a row \(last: no answer within 300 ms\); retry in 1 s$/),
      details: { retryAfterSeconds: 1 },
    });
    expect(Date.now() - t0).toBeLessThan(100);
    expect(() => b.rejectIfOpen()).toThrow(/circuit is open/);

    // the service is back (a real HTTP server on another port): after the open time one trial call closes it
    const ok = net.createServer((s) => s.end('HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n'));
    const okPort = await new Promise<number>((r) => ok.listen(0, '127.0.0.1', () => r((ok.address() as net.AddressInfo).port)));
    target = `http://127.0.0.1:${okPort}/`;
    try {
      await new Promise((r) => setTimeout(r, 1_100));
      // due for its trial: asking first no longer refuses, so the trial call can be made
      expect(() => b.rejectIfOpen()).not.toThrow();
      await expect(call()).resolves.toBe(204);
      expect(b.state()).toBe('closed');
      expect(seen).toEqual(['open', 'half-open', 'closed']);
    } finally {
      ok.close();
    }
  });
});
