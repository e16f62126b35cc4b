import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createChannel } from '../../../src/infra/notify/createChannel.js';
import { useHttpReceiver } from '../../support/httpReceiver.js';
import { freePort } from '../../support/smtpServer.js';
import { expectSendError } from './channelErrors.js';

/** The generic webhook and the generic HTTP SMS/voice provider against a real local HTTP receiver. */
const log = { warn: () => {} };
const HOOK_SECRET = 'whsec-7f3a9c1e55d2';
const AUTH = 'Bearer sms-token-0b8e4a2f';

const rx = useHttpReceiver({ status: 200, body: { ok: true } });

const message = {
  subject: '【紧急】数据库不可用',
  text: '主库无法连接\n"db-1"',
  to: ['13800138000', '13900139000'],
  link: 'https://ops.example.com/alerts/abc',
  idempotencyKey: 'alert:abc:firing:1',
  fields: { name: '数据库不可用', severity: '紧急' },
};

describe('generic webhook', () => {
  const hook = (o: { secret?: string; url?: string; timeoutMs?: number } = {}) =>
    createChannel(
      'webhook',
      { url: o.url ?? `${rx.url}/hooks/alerts?token=abc`, ...(o.secret ? { secret: o.secret } : {}), headers: { 'X-Team': 'ops' } },
      { log, timeoutMs: o.timeoutMs },
    );

  it('posts the message as JSON with the idempotency key header, signed as sha256=HMAC(secret, timestamp.body)', async () => {
    const before = Math.floor(Date.now() / 1000);
    expect(await hook({ secret: HOOK_SECRET }).send(message)).toEqual({ providerCode: '200' });
    const req = rx.requests[0]!;
    expect(req.method).toBe('POST');
    expect(req.path).toBe('/hooks/alerts');
    expect(req.json).toEqual({
      subject: message.subject,
      text: message.text,
      to: message.to,
      link: message.link,
      fields: message.fields,
      idempotencyKey: message.idempotencyKey,
    });
    expect(req.headers['x-mcp-idempotency-key']).toBe('alert:abc:firing:1');
    expect(req.headers['x-team']).toBe('ops');
    const ts = Number(req.headers['x-mcp-timestamp']);
    expect(ts).toBeGreaterThanOrEqual(before);
    const expected = createHmac('sha256', HOOK_SECRET).update(`${ts}.${req.body}`).digest('hex');
    expect(req.headers['x-mcp-signature']).toBe(`sha256=${expected}`);
  });

  it('sends no signature headers without a secret', async () => {
    await hook().send({ subject: 's', text: 't', to: [] });
    expect(rx.requests[0]!.headers).not.toHaveProperty('x-mcp-signature');
    expect(rx.requests[0]!.headers).not.toHaveProperty('x-mcp-idempotency-key');
  });

  it('maps 429 (Retry-After) → RATE_LIMITED, 5xx → UNAVAILABLE, 4xx and redirects → INVALID, timeouts → UNAVAILABLE', async () => {
    rx.reply({ status: 429, headers: { 'retry-after': '30' }, body: {} });
    const limited = await expectSendError(hook({ secret: HOOK_SECRET }).send(message), 'RATE_LIMITED', { providerCode: '429', secrets: [HOOK_SECRET, 'token=abc'] });
    expect(limited.details.retryAfterMs).toBe(30_000);
    rx.reply({ status: 503, body: {} });
    await expectSendError(hook().send(message), 'UNAVAILABLE', { providerCode: '503' });
    rx.reply({ status: 404, body: {} });
    await expectSendError(hook().send(message), 'INVALID', { providerCode: '404', secrets: ['token=abc'] });
    rx.reply({ status: 302, headers: { location: 'http://elsewhere.example/' }, body: {} });
    await expectSendError(hook().send(message), 'INVALID', { providerCode: '302' });
    expect(rx.requests).toHaveLength(4); // the redirect was not followed
    rx.reply({ hang: true });
    await expectSendError(hook({ timeoutMs: 200 }).send(message), 'UNAVAILABLE', { secrets: ['token=abc'] });
    const port = await freePort();
    await expectSendError(hook({ url: `http://127.0.0.1:${port}/x?token=abc` }).send(message), 'UNAVAILABLE', { secrets: ['token=abc'] });
  });
});

describe('generic HTTP SMS / voice provider', () => {
  const body = { mobiles: '{{to}}', content: '{{subject}}: {{text}}', requestId: '{{key}}', vars: { alert: '{{fields.name}}', level: '{{ fields.severity }}' }, fixed: 1 };
  const provider = (type: 'sms' | 'voice', perRecipient?: boolean) =>
    createChannel(type, { provider: 'http', url: `${rx.url}/sms/send`, headers: { Authorization: AUTH }, body, ...(perRecipient !== undefined ? { perRecipient } : {}) }, { log });

  it('posts the body template with placeholders filled (JSON-safe), numbers comma-joined for SMS', async () => {
    expect(await provider('sms').send(message)).toEqual({ providerCode: '200' });
    expect(rx.requests).toHaveLength(1);
    const req = rx.requests[0]!;
    expect(req.method).toBe('POST');
    expect(req.headers.authorization).toBe(AUTH);
    expect(req.json).toEqual({
      mobiles: '13800138000,13900139000',
      content: '【紧急】数据库不可用: 主库无法连接\n"db-1"',
      requestId: 'alert:abc:firing:1',
      vars: { alert: '数据库不可用', level: '紧急' },
      fixed: 1,
    });
  });

  it('places one request per number for voice', async () => {
    await provider('voice').send(message);
    expect(rx.requests.map((r) => (r.json as { mobiles: string }).mobiles)).toEqual(['13800138000', '13900139000']);
  });

  it('maps statuses like the contract says and never shows the Authorization header', async () => {
    rx.reply({ status: 429, headers: { 'retry-after': '5' }, body: {} });
    const limited = await expectSendError(provider('sms').send(message), 'RATE_LIMITED', { providerCode: '429', secrets: [AUTH] });
    expect(limited.details.retryAfterMs).toBe(5000);
    rx.reply({ status: 500, body: 'oops' });
    await expectSendError(provider('sms').send(message), 'UNAVAILABLE', { providerCode: '500', secrets: [AUTH] });
    rx.reply({ status: 401, body: { error: 'bad token' } });
    await expectSendError(provider('sms').send(message), 'INVALID', { providerCode: '401', secrets: [AUTH] });
  });
});
