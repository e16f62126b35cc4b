import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { rpcSignature } from '../../../src/infra/notify/aliyunRpc.js';
import { createChannel } from '../../../src/infra/notify/createChannel.js';
import { type ReceivedRequest, useHttpReceiver } from '../../support/httpReceiver.js';
import { freePort } from '../../support/smtpServer.js';
import { expectSendError } from './channelErrors.js';

/** Aliyun SMS (SendSms) and voice (SingleCallByTts) against a real local HTTP receiver standing in for dysmsapi/dyvmsapi. */
const SECRET = 'AkSecret-9f8e7d6c5b4a';
const KEY_ID = 'LTAI5tTestKeyId';
const log = { warn: () => {} };

/** RFC 3986 encoding written independently of the adapter. */
const enc = (s: string) =>
  Array.from(Buffer.from(s, 'utf8'))
    .map((b) => (/[A-Za-z0-9\-_.~]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`))
    .join('');

/** Recomputes the signature from the query exactly as received (every parameter but Signature) and the secret. */
function verifySignature(req: ReceivedRequest): void {
  const pairs = req.rawQuery.split('&').map((p) => p.split('=').map((x) => decodeURIComponent(x)) as [string, string]);
  const received = pairs.find(([k]) => k === 'Signature')?.[1];
  const canonical = pairs
    .filter(([k]) => k !== 'Signature')
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${enc(k)}=${enc(v)}`)
    .join('&');
  const expected = createHmac('sha1', `${SECRET}&`)
    .update(`GET&%2F&${enc(canonical)}`)
    .digest('base64');
  expect(received).toBe(expected);
  expect(req.rawQuery).not.toMatch(/\+/); // spaces as %20, never +
}

describe('Aliyun RPC signature', () => {
  it("matches Aliyun's published example (DescribeRegions, testid/testsecret)", () => {
    const params = {
      TimeStamp: '2016-02-23T12:46:24Z',
      Format: 'XML',
      AccessKeyId: 'testid',
      Action: 'DescribeRegions',
      SignatureMethod: 'HMAC-SHA1',
      SignatureNonce: '3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf',
      Version: '2014-05-26',
      SignatureVersion: '1.0',
    };
    expect(rpcSignature(params, 'testsecret')).toBe('CT9X0VtwR86fNWSnsc6v8YGOjuE=');
  });
});

describe('Aliyun SMS', () => {
  const rx = useHttpReceiver({ status: 200, body: { Code: 'OK', Message: 'OK', BizId: '900619746936498440^0', RequestId: 'F655A8D5' } });
  const sms = (timeoutMs?: number, endpoint = `${rx.url}/`) =>
    createChannel('sms', { provider: 'aliyun', accessKeyId: KEY_ID, accessKeySecret: SECRET, signName: '运维 平台', templateCode: 'SMS_154950909', endpoint }, { log, timeoutMs });
  const message = {
    subject: '【紧急】数据库不可用',
    text: '主库无法连接',
    to: ['13800138000', '+8613900139000'],
    idempotencyKey: `k-${'x'.repeat(80)}`,
    fields: { name: '数据库不可用', instance: "db-1 (primary)*! it's", summary: '主库 db-1:3306 连续三次健康检查失败，复制延迟未知，请立即处理并确认' },
  };

  it('sends one signed SendSms GET with the numbers comma-joined, template variables cut to 35 characters and OutId from the key', async () => {
    const result = await sms().send(message);
    expect(result).toEqual({ id: '900619746936498440^0', providerCode: 'OK' });
    expect(rx.requests).toHaveLength(1);
    const req = rx.requests[0]!;
    expect(req.method).toBe('GET');
    expect(req.path).toBe('/');
    expect(req.query).toMatchObject({
      Action: 'SendSms',
      Version: '2017-05-25',
      Format: 'JSON',
      AccessKeyId: KEY_ID,
      SignatureMethod: 'HMAC-SHA1',
      SignatureVersion: '1.0',
      PhoneNumbers: '13800138000,+8613900139000',
      SignName: '运维 平台',
      TemplateCode: 'SMS_154950909',
      OutId: message.idempotencyKey.slice(0, 64),
    });
    expect(req.query.Timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(req.query.SignatureNonce).toMatch(/^[0-9a-f-]{36}$/);
    const vars = JSON.parse(req.query.TemplateParam!) as Record<string, string>;
    expect(vars.name).toBe('数据库不可用');
    expect(vars.instance).toBe("db-1 (primary)*! it's");
    expect(req.rawQuery).not.toMatch(/[!'()*]/); // RFC 3986: sub-delimiters percent-encoded
    expect(vars.subject).toBe('【紧急】数据库不可用');
    expect(Array.from(vars.summary!)).toHaveLength(35);
    expect(vars.summary!.endsWith('…')).toBe(true);
    expect(JSON.stringify(req)).not.toContain(SECRET);
    verifySignature(req);
  });

  it('uses a fresh nonce per request and splits more than 1,000 numbers into batches', async () => {
    const to = Array.from({ length: 1001 }, (_, i) => `139${String(i).padStart(8, '0')}`);
    await sms().send({ ...message, to });
    expect(rx.requests.map((r) => r.query.PhoneNumbers!.split(',').length)).toEqual([1000, 1]);
    expect(rx.requests[0]!.query.SignatureNonce).not.toBe(rx.requests[1]!.query.SignatureNonce);
    for (const r of rx.requests) verifySignature(r);
    rx.requests.length = 0;
    rx.reply({ status: 200, body: { Code: 'OK', BizId: 'b1' } }, { status: 500, body: { Code: 'isp.SYSTEM_ERROR' } });
    const err = await expectSendError(sms().send({ ...message, to }), 'UNAVAILABLE', { providerCode: 'isp.SYSTEM_ERROR' });
    expect(err.details.delivered).toEqual(to.slice(0, 1000)); // a retry can leave the first batch out
    expect(err.details.failed).toEqual([{ to: to[1000], code: 'UNAVAILABLE', providerCode: 'isp.SYSTEM_ERROR' }]);
  });

  it('maps Aliyun codes: flow control → RATE_LIMITED, template/sign errors → INVALID, system errors and 5xx → UNAVAILABLE', async () => {
    rx.reply({ status: 200, body: { Code: 'isv.BUSINESS_LIMIT_CONTROL', Message: '触发号码天级流控' } });
    const limited = await expectSendError(sms().send(message), 'RATE_LIMITED', { providerCode: 'isv.BUSINESS_LIMIT_CONTROL', secrets: [SECRET] });
    expect(limited.details.retryAfterMs).toBe(60_000);

    rx.reply({ status: 400, body: { Code: 'Throttling.User', Message: 'Request was denied due to user flow control.' } });
    await expectSendError(sms().send(message), 'RATE_LIMITED', { providerCode: 'Throttling.User' });

    rx.reply({ status: 200, body: { Code: 'isv.SMS_TEMPLATE_ILLEGAL', Message: '模板不合法(不存在或被拉黑)' } });
    const bad = await expectSendError(sms().send(message), 'INVALID', { providerCode: 'isv.SMS_TEMPLATE_ILLEGAL' });
    expect(bad.message).toContain('模板不合法');

    rx.reply({ status: 400, body: { Code: 'SignatureDoesNotMatch', Message: `Specified signature is not matched with our calculation. secret ${SECRET}` } });
    await expectSendError(sms().send(message), 'INVALID', { providerCode: 'SignatureDoesNotMatch', secrets: [SECRET] });

    rx.reply({ status: 500, body: { Code: 'isp.SYSTEM_ERROR', Message: 'system error' } });
    await expectSendError(sms().send(message), 'UNAVAILABLE', { providerCode: 'isp.SYSTEM_ERROR' });

    rx.reply({ status: 503, body: 'Service Unavailable' });
    await expectSendError(sms().send(message), 'UNAVAILABLE', { providerCode: '503' });
  });

  it('fails UNAVAILABLE when the server never answers (timeout) or nothing listens (connection refused), without secrets', async () => {
    rx.reply({ hang: true });
    const slow = await expectSendError(sms(300).send(message), 'UNAVAILABLE', { secrets: [SECRET] });
    expect(slow.message).toBe(`Aliyun SMS at 127.0.0.1:${rx.port}: no answer within 300 ms`);

    const port = await freePort();
    const refused = await expectSendError(sms(2000, `http://127.0.0.1:${port}/`).send(message), 'UNAVAILABLE', { secrets: [SECRET] });
    expect(refused.message).toBe(`Aliyun SMS at 127.0.0.1:${port}: cannot connect (ECONNREFUSED)`);
  });

  it('refuses a message without phone numbers before calling Aliyun', async () => {
    await expectSendError(sms().send({ ...message, to: ['ops@example.com'] }), 'INVALID');
    await expectSendError(sms().send({ ...message, to: [] }), 'INVALID');
    expect(rx.requests).toHaveLength(0);
  });
});

describe('Aliyun voice (TTS call)', () => {
  const rx = useHttpReceiver({ status: 200, body: { Code: 'OK', Message: 'OK', CallId: '116012354148^10281378', RequestId: 'D9CB3933' } });
  const voice = () =>
    createChannel(
      'voice',
      { provider: 'aliyun', accessKeyId: KEY_ID, accessKeySecret: SECRET, calledShowNumber: '4001112222', ttsCode: 'TTS_10001', playTimes: 2, endpoint: `${rx.url}/` },
      { log },
    );
  const message = { subject: '【紧急】应用宕机', text: 'app down', to: ['13800138000', '13900139000', '13700137000'], idempotencyKey: 'n-42', fields: { name: '应用宕机' } };

  it('places one signed SingleCallByTts per number with the TTS variables', async () => {
    const result = await voice().send(message);
    expect(result.providerCode).toBe('OK');
    expect(result.id).toBe(['116012354148^10281378', '116012354148^10281378', '116012354148^10281378'].join(','));
    expect(rx.requests.map((r) => r.query.CalledNumber)).toEqual(message.to);
    for (const req of rx.requests) {
      expect(req.query).toMatchObject({
        Action: 'SingleCallByTts',
        Version: '2017-05-25',
        CalledShowNumber: '4001112222',
        TtsCode: 'TTS_10001',
        PlayTimes: '2',
        OutId: 'n-42',
      });
      expect(JSON.parse(req.query.TtsParam!)).toEqual({ subject: '【紧急】应用宕机', name: '应用宕机' });
      verifySignature(req);
    }
  });

  it('still calls the other numbers when one fails, and reports who was reached', async () => {
    rx.reply({ status: 200, body: { Code: 'OK', CallId: 'c1' } }, { status: 200, body: { Code: 'isv.MOBILE_NUMBER_ILLEGAL', Message: '号码格式非法' } });
    const err = await expectSendError(voice().send(message), 'INVALID', { providerCode: 'isv.MOBILE_NUMBER_ILLEGAL' });
    expect(rx.requests).toHaveLength(3);
    expect(err.details.delivered).toEqual(['13800138000', '13700137000']);
    expect(err.details.failed).toEqual([{ to: '13900139000', code: 'INVALID', providerCode: 'isv.MOBILE_NUMBER_ILLEGAL' }]);
  });

  it('prefers a retryable error when one number is throttled and another refused', async () => {
    rx.reply({ status: 200, body: { Code: 'isv.MOBILE_NUMBER_ILLEGAL' } }, { status: 200, body: { Code: 'isv.BUSINESS_LIMIT_CONTROL' } });
    const err = await expectSendError(voice().send(message), 'RATE_LIMITED', { providerCode: 'isv.BUSINESS_LIMIT_CONTROL' });
    expect(err.details.delivered).toEqual(['13700137000']);
  });
});
