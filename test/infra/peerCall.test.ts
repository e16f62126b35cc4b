import { createServer, type Server } from 'node:http';
import Type from 'typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../src/errors/appError.js';
import { createBreaker } from '../../src/infra/circuitBreaker.js';
import { createPeerClient, PEER_HEADER, PEER_SIGNATURE_REFUSED, peerKey, type PeerSpec, signPeerCall, verifyPeerCall } from '../../src/infra/peer/peerCall.js';

/**
 * The client of another module's peer methods (split mode): its own refusals come back as the same
 * error and never count against the breaker; a module that fails (5xx, refused connection) does,
 * and then calls fail at once as 503. Signatures bind the caller, the time, the method and the body.
 */
const spec: PeerSpec<unknown> = {
  module: 'user',
  methods: {
    account: { idempotent: true, args: Type.Tuple([Type.Integer()]), serve: async () => undefined },
    setOwnPassword: { idempotent: false, args: Type.Tuple([]), serve: async () => undefined },
  },
};
const key = peerKey('k'.repeat(48));

describe('peer calls', () => {
  let server: Server;
  let url: string;
  let answer: { status: number; body: unknown } = { status: 200, body: { result: 1 } };
  const seen: { path: string; signedBy?: string }[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        const method = req.url!.split('/').pop()!;
        seen.push({ path: req.url!, signedBy: verifyPeerCall(key, req.headers[PEER_HEADER], `user.${method}`, body) });
        res.writeHead(answer.status, { 'content-type': 'application/json' }).end(JSON.stringify(answer.body));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const a = server.address();
    url = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const client = () => {
    const breaker = createBreaker('module:user', { timeoutMs: 2_000, failures: 3, openSeconds: 30, retries: 0 });
    return { breaker, c: createPeerClient({ spec, url, caller: 'auth', key, breaker }) };
  };

  it('sends a signed call and returns its result; null reads back as undefined', async () => {
    const { c } = client();
    expect(() => c.ensureAvailable()).not.toThrow(); // closed
    answer = { status: 200, body: { result: { username: 'admin' } } };
    expect(await c.call('account', [1])).toEqual({ username: 'admin' });
    expect(seen.at(-1)).toEqual({ path: '/internal/user/account', signedBy: 'auth' });
    answer = { status: 200, body: { result: null } };
    expect(await c.call('account', [2])).toBeUndefined();
    await c.close();
  });

  it("the module's own refusals (4xx) come back as the same error and leave the circuit closed", async () => {
    const { c, breaker } = client();
    answer = { status: 404, body: { error: { code: 'NOT_FOUND', message: 'user not found' } } };
    for (let i = 0; i < 5; i++) {
      const e = await c.call('account', [9]).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(AppError);
      expect(e).toMatchObject({ code: 'NOT_FOUND', status: 404, message: 'user not found' });
    }
    expect(breaker.state()).toBe('closed');
    await c.close();
  });

  it('failures (5xx, nobody listening) open the circuit; then calls fail at once with 503 and Retry-After', async () => {
    const { c, breaker } = client();
    answer = { status: 500, body: { error: { code: 'INTERNAL', message: 'boom' } } };
    for (let i = 0; i < 3; i++) await expect(c.call('account', [1])).rejects.toMatchObject({ code: 'UNAVAILABLE', status: 503 });
    expect(breaker.state()).toBe('open');
    const before = seen.length;
    const e = (await c.call('account', [1]).catch((x: unknown) => x)) as AppError;
    expect(e).toMatchObject({ code: 'UNAVAILABLE', details: { retryAfterSeconds: expect.any(Number) } });
    expect(e.message).toContain('circuit is open');
    expect(seen.length).toBe(before); // nothing was sent
    // a caller can ask first, before doing work that would end in the refused call
    expect(() => c.ensureAvailable()).toThrow(/circuit is open/);
    await c.close();

    const gone = createPeerClient({ spec, url: 'http://127.0.0.1:1', caller: 'auth', key, breaker: createBreaker('x', { timeoutMs: 2_000, failures: 3, openSeconds: 30 }) });
    const refused = (await gone.call('account', [1]).catch((x: unknown) => x)) as AppError;
    expect(refused).toMatchObject({ code: 'UNAVAILABLE' });
    expect(refused.message).toContain('cannot be reached');
    await gone.close();
  });

  it('a module that refuses our signature (another MCP_JWT_SECRET) is a clear 503 naming the setting', async () => {
    const { c } = client();
    answer = { status: 401, body: { error: { code: 'UNAUTHORIZED', message: PEER_SIGNATURE_REFUSED } } };
    const e = (await c.call('account', [1]).catch((x: unknown) => x)) as AppError;
    expect(e).toMatchObject({ code: 'UNAVAILABLE', status: 503 });
    expect(e.message).toContain('MCP_JWT_SECRET');
    await c.close();
  });

  it('a signature holds for its caller, method, body and minute only', () => {
    const body = '{"args":[1]}';
    const now = Date.now();
    const h = signPeerCall(key, 'auth', 'user.account', body, now);
    expect(verifyPeerCall(key, h, 'user.account', body, now)).toBe('auth');
    expect(verifyPeerCall(key, h, 'user.account', body, now + 59_000)).toBe('auth');
    expect(verifyPeerCall(key, h, 'user.account', body, now + 61_000)).toBeUndefined();
    expect(verifyPeerCall(key, h, 'user.credentials', body, now)).toBeUndefined();
    expect(verifyPeerCall(key, h, 'user.account', '{"args":[2]}', now)).toBeUndefined();
    expect(verifyPeerCall(peerKey('other'.repeat(10)), h, 'user.account', body, now)).toBeUndefined();
    expect(verifyPeerCall(key, h.replace('.auth.', '.user.'), 'user.account', body, now)).toBeUndefined();
    expect(verifyPeerCall(key, undefined, 'user.account', body, now)).toBeUndefined();
  });
});
