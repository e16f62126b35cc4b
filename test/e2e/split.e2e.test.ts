import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { peerKey, signPeerCall } from '../../src/infra/peer/peerCall.js';
import { loadOrCreateSecret } from '../../src/config/localSecrets.js';
import { startSplitPlatform, type SplitPlatform } from '../support/splitPlatform.js';
import { ADMIN_PASSWORD } from '../support/testPlatform.js';
import { waitFor } from '../support/waitFor.js';
import { CLIENT, SERVER, startOtlpReceiver } from '../support/otlpReceiver.js';

/**
 * Issue 14 item 1, 2 and its "Breaker" test: the modules split into processes behind the nginx
 * gateway (`npm run build` first). Killing the user module under login traffic opens the auth
 * module's breaker on it — logins get a 503 with Retry-After that names the cause instead of
 * hanging — and bringing it back closes it (half-open, then closed) without restarting anything.
 * The calls between modules are signed: nobody else can use them, and the gateway does not route them.
 */
const OPEN_SECONDS = 2;

describe('split modules: breaker and internal calls', () => {
  let sp: SplitPlatform;

  beforeAll(async () => {
    sp = await startSplitPlatform('embedded', { env: { MCP_BREAKER_FAILURES: '3', MCP_BREAKER_OPEN_SECONDS: String(OPEN_SECONDS) } });
  }, 60_000);
  afterAll(async () => sp?.close());

  const login = () => sp.request({ method: 'POST', url: '/api/auth/login', body: { username: 'admin', password: ADMIN_PASSWORD } });
  const breakerState = async () => {
    const text = await (await fetch(`${sp.moduleUrl('auth')}/metrics`)).text();
    const m = /mcp_circuit_breaker_state\{target="module:user"\} (\d)/.exec(text);
    return { state: m ? Number(m[1]) : undefined, text };
  };

  it('kill the user module under login traffic: the breaker opens, logins fail fast with 503 + Retry-After; back up: half-open, closed, logins work', async () => {
    const first = await login();
    expect(first.status).toBe(200);
    const admin = first.body.accessToken as string;

    // steady login traffic from four clients while the user module dies
    let stop = false;
    const answers: { status: number; retryAfter?: string; message?: string; at: number }[] = [];
    const client = async () => {
      while (!stop) {
        const res = await login();
        answers.push({ status: res.status, retryAfter: res.headers['retry-after'] as string | undefined, message: res.body?.error?.message, at: Date.now() });
      }
    };
    const clients = [client(), client(), client(), client()];
    try {
      await waitFor('logins before the kill', () => answers.length >= 8, 10_000);
      const killedAt = Date.now();
      await sp.kill('user');
      await waitFor('the breaker on the user module to open', async () => (await breakerState()).state === 1, 10_000);
      await waitFor('a login refused by the open circuit', () => answers.some((a) => a.at > killedAt && a.message?.includes('circuit is open')), 5_000);
    } finally {
      stop = true;
      await Promise.all(clients);
    }
    const afterKill = answers.filter((a) => a.status !== 200);
    // every failed login is a clear 503 (never a 500, never a lockout of the account)
    expect(new Set(afterKill.map((a) => a.status))).toEqual(new Set([503]));
    const open = afterKill.filter((a) => a.message?.includes('circuit is open'));
    expect(open.length).toBeGreaterThan(0);
    for (const a of open) {
      expect(Number(a.retryAfter)).toBeGreaterThanOrEqual(1);
      expect(Number(a.retryAfter)).toBeLessThanOrEqual(OPEN_SECONDS);
      expect(a.message).toContain('module:user');
    }
    // a path the dead module serves: the gateway's JSON 503 with Retry-After, not an HTML 502
    const users = await sp.request({ method: 'GET', url: '/api/users', token: admin });
    expect(users.status).toBe(503);
    expect(users.body.error.code).toBe('UNAVAILABLE');
    expect(Number(users.headers['retry-after'])).toBeGreaterThan(0);
    // the transition is in the auth module's log stream as metrics say: open
    expect((await breakerState()).text).toMatch(/mcp_circuit_breaker_transitions_total\{target="module:user",to="open"\} [1-9]/);

    await sp.restart('user');
    // after OPEN_SECONDS one trial call goes through (half-open) and, answered, closes the circuit
    let last = '';
    await waitFor(
      'logins to recover after the user module came back',
      async () => {
        const res = await login();
        last = `${res.status} ${JSON.stringify(res.body)}`;
        return res.status === 200;
      },
      30_000,
    ).catch((e: Error) => {
      throw new Error(`${e.message}; last answer: ${last}`);
    });
    const { state, text } = await breakerState();
    expect(state).toBe(0);
    expect(text).toMatch(/mcp_circuit_breaker_transitions_total\{target="module:user",to="half-open"\} [1-9]/);
    expect(text).toMatch(/mcp_circuit_breaker_transitions_total\{target="module:user",to="closed"\} [1-9]/);
    // no attempt was left reserved by the failures: several logins in a row all succeed
    for (let i = 0; i < 5; i++) expect((await login()).status).toBe(200);
  }, 90_000);

  it('internal calls need a valid signature, match the contract, and are not reachable through the gateway', async () => {
    const url = `${sp.moduleUrl('user')}/internal/user/credentials`;
    const body = JSON.stringify({ args: ['admin'] });
    const post = (headers: Record<string, string>, b = body) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: b });
    const key = peerKey(loadOrCreateSecret(sp.config.dataDir, 'jwt.key', 'MCP_JWT_SECRET'));

    // no signature, another key's, a replay a minute and more old, a signature over another body
    const refused = [
      await post({}),
      await post({ 'x-mcp-peer': signPeerCall(peerKey('x'.repeat(48)), 'auth', 'user.credentials', body) }),
      await post({ 'x-mcp-peer': signPeerCall(key, 'auth', 'user.credentials', body, Date.now() - 120_000) }),
      await post({ 'x-mcp-peer': signPeerCall(key, 'auth', 'user.credentials', JSON.stringify({ args: ['nobody'] })) }),
      await post({ 'x-mcp-peer': signPeerCall(key, 'auth', 'user.account', body) }),
    ];
    for (const res of refused) {
      expect(res.status).toBe(401);
      expect(await res.text()).not.toContain('argon2');
    }
    // signed, but arguments outside the contract
    const bad = JSON.stringify({ args: [{ $ne: null }] });
    expect((await post({ 'x-mcp-peer': signPeerCall(key, 'auth', 'user.credentials', bad) }, bad)).status).toBe(400);
    // signed and well-formed: the module answers
    const ok = await post({ 'x-mcp-peer': signPeerCall(key, 'auth', 'user.credentials', body) });
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { result: { username: string } }).result.username).toBe('admin');

    // the gateway never forwards /internal
    const viaGateway = await fetch(`${sp.gateway}/internal/user/credentials`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-mcp-peer': signPeerCall(key, 'auth', 'user.credentials', body) },
      body,
    });
    expect(viaGateway.status).toBe(404);
    expect(await viaGateway.text()).not.toContain('argon2');
  });
});

describe('split modules: one trace across them', () => {
  let sp: SplitPlatform;
  let receiver: Awaited<ReturnType<typeof startOtlpReceiver>>;

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    sp = await startSplitPlatform('embedded', {
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${receiver.port}`, OTEL_TRACES_SAMPLER: 'parentbased_always_off', OTEL_BSP_SCHEDULE_DELAY: '200' },
    });
  }, 60_000);
  afterAll(async () => {
    await sp?.close();
    receiver?.close();
  });

  it("a traced login through the gateway: the auth module's call to the user module is a CLIENT span, the user module's SERVER span its child", async () => {
    const traceId = randomBytes(16).toString('hex');
    const callerSpan = randomBytes(8).toString('hex');
    const res = await sp.request({
      method: 'POST',
      url: '/api/auth/login',
      body: { username: 'admin', password: ADMIN_PASSWORD },
      headers: { traceparent: `00-${traceId}-${callerSpan}-01` },
    });
    expect(res.status).toBe(200);
    const inTrace = () => receiver.spans.filter((s) => s.traceId === traceId);
    // spans are exported as each ends (in batches): wait for the ones this test reads
    const call = await waitFor('the CLIENT span of the call to the user module', () => inTrace().find((s) => s.kind === CLIENT && s.name === 'user.credentials'), 15_000);
    const login = await waitFor('the login SERVER span', () => inTrace().find((s) => s.kind === SERVER && s.name === 'POST /api/auth/login'), 15_000);
    expect(login.parentSpanId).toBe(callerSpan);
    expect(call.parentSpanId).toBe(login.spanId);
    // the user module continued the same trace under that CLIENT span, with its own SQL
    const served = await waitFor('the user module span under the call', () => inTrace().find((s) => s.kind === SERVER && s.parentSpanId === call.spanId), 15_000);
    expect(served.name).toBe('POST /internal/user/credentials');
    await waitFor('the user module SQL under its span', () => inTrace().some((s) => s.kind === CLIENT && s.parentSpanId === served.spanId && s.name.startsWith('sqlite')), 15_000);
    // the login's later call (its time) is traced too
    await waitFor(
      'the recordLogin call under the login',
      () => inTrace().some((s) => s.kind === CLIENT && s.name === 'user.recordLogin' && s.parentSpanId === login.spanId),
      15_000,
    );
  }, 60_000);
});
