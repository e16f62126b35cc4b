import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createAccessTokens } from '../../src/services/auth/tokens.js';

const SECRET = 'a-test-secret-that-is-long-enough-0123456789';
const now = new Date('2026-11-26T04:00:00Z');
const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
const forge = (header: unknown, payload: unknown, secret = SECRET) => {
  const body = `${b64(header)}.${b64(payload)}`;
  return `${body}.${createHmac('sha256', secret).update(body).digest('base64url')}`;
};
const t = Math.floor(now.getTime() / 1000);
const good = { sub: '7', sid: 's1', name: 'bob', iss: 'mcp-platform', iat: t, exp: t + 900 };

describe('access tokens', () => {
  const tokens = createAccessTokens(SECRET, 900);

  it('verifies what it signs', async () => {
    const jwt = await tokens.sign({ userId: 7, sessionId: 's1', username: 'bob' }, now);
    expect(await tokens.verify(jwt, now)).toEqual({ userId: 7, sessionId: 's1', username: 'bob', expiresAt: t + 900 });
  });

  it('accepts a hand-made token with the exact header it writes', async () => {
    expect((await tokens.verify(forge({ alg: 'HS256', typ: 'JWT' }, good), now)).userId).toBe(7);
  });

  it.each([
    ['alg none', `${b64({ alg: 'none', typ: 'JWT' })}.${b64(good)}.`],
    ['another algorithm header', forge({ alg: 'HS512', typ: 'JWT' }, good)],
    ['extra header fields', forge({ alg: 'HS256', typ: 'JWT', crit: ['x'] }, good)],
    ['another secret', forge({ alg: 'HS256', typ: 'JWT' }, good, 'some-other-secret-some-other-secret-00')],
    ['another issuer', forge({ alg: 'HS256', typ: 'JWT' }, { ...good, iss: 'evil' })],
    ['issued in the future', forge({ alg: 'HS256', typ: 'JWT' }, { ...good, iat: t + 3600, exp: t + 7200 })],
    ['no expiry', forge({ alg: 'HS256', typ: 'JWT' }, { ...good, exp: undefined })],
    ['numeric subject', forge({ alg: 'HS256', typ: 'JWT' }, { ...good, sub: 7 })],
    ['garbage', 'a.b.c'],
  ])('refuses %s', async (_name, token) => {
    await expect(tokens.verify(token, now)).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
  });

  it('refuses a tampered payload', async () => {
    const jwt = await tokens.sign({ userId: 7, sessionId: 's1', username: 'bob' }, now);
    const [h, , s] = jwt.split('.');
    await expect(tokens.verify(`${h}.${b64({ ...good, sub: '1' })}.${s}`, now)).rejects.toMatchObject({ details: { reason: 'invalid' } });
  });

  it('says when a token has expired', async () => {
    const jwt = await tokens.sign({ userId: 7, sessionId: 's1', username: 'bob' }, now);
    await expect(tokens.verify(jwt, new Date(now.getTime() + 901_000))).rejects.toMatchObject({ details: { reason: 'expired' } });
  });
});
