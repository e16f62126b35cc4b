import { createHmac } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { CHANNEL_LIMITS, createChannel } from '../../../src/infra/notify/createChannel.js';
import { dingtalkSign } from '../../../src/infra/notify/dingtalkChannel.js';
import { useHttpReceiver } from '../../support/httpReceiver.js';
import { freePort } from '../../support/smtpServer.js';
import { expectSendError } from './channelErrors.js';

/** DingTalk, WeCom and Feishu robots against a real local HTTP receiver: payloads, signatures, error codes, limits. */
const log = { warn: () => {} };
const TOKEN = 'ding-token-5c1f0e9a7b';
const SIGN_SECRET = 'SECd41d8cd98f00b204e9800998ecf8427e';
const LINK = 'https://ops.example.com/alerts/abc';
const utf8 = (s: string) => Buffer.byteLength(s, 'utf8');
const longChinese = '数据库主库不可用，复制延迟持续升高，请立即检查。'.repeat(2000);

const rx = useHttpReceiver();

describe('DingTalk robot', () => {
  beforeEach(() => rx.setDefault({ status: 200, body: { errcode: 0, errmsg: 'ok' } }));
  const ding = (secret?: string, url = `${rx.url}/robot/send?access_token=${TOKEN}`) =>
    createChannel('dingtalk', { webhookUrl: url, ...(secret ? { secret } : {}) }, { log, timeoutMs: 300 });

  it('matches a published signature vector', () => {
    expect(encodeURIComponent(dingtalkSign(1700000000000, 'secret'))).toBe('OuzzJR5%2BxZ4%2FEYwqtNt6sMYZQMTa%2FHEGvc9miJe7XzY%3D');
  });

  it('posts a Markdown message with @mentions, signed with timestamp (ms) and sign = base64 HMAC-SHA256(secret, ts\\nsecret)', async () => {
    const before = Date.now();
    const result = await ding(SIGN_SECRET).send({ subject: '【紧急】数据库不可用', text: '级别：紧急\n状态：告警中', to: ['13800138000'] });
    expect(result).toEqual({ providerCode: '0' });
    const req = rx.requests[0]!;
    expect(req.method).toBe('POST');
    expect(req.path).toBe('/robot/send');
    expect(req.headers['content-type']).toContain('application/json');
    expect(req.json).toEqual({
      msgtype: 'markdown',
      markdown: { title: '【紧急】数据库不可用', text: '#### 【紧急】数据库不可用\n\n级别：紧急\n\n状态：告警中\n\n@13800138000' },
      at: { atMobiles: ['13800138000'], isAtAll: false },
    });
    expect(req.query.access_token).toBe(TOKEN);
    const ts = Number(req.query.timestamp);
    expect(ts).toBeGreaterThanOrEqual(before);
    expect(ts).toBeLessThanOrEqual(Date.now());
    const expected = createHmac('sha256', SIGN_SECRET).update(`${ts}\n${SIGN_SECRET}`).digest('base64');
    expect(req.query.sign).toBe(expected);
    expect(req.rawQuery).toContain(`sign=${encodeURIComponent(expected)}`);
  });

  it('sends no timestamp/sign without a secret', async () => {
    await ding().send({ subject: 's', text: 't', to: [] });
    expect(Object.keys(rx.requests[0]!.query)).toEqual(['access_token']);
  });

  it('truncates the body to 20,000 bytes with the link', async () => {
    await ding().send({ subject: '【紧急】数据库不可用', text: longChinese, to: [], link: LINK });
    const req = rx.requests[0]!;
    expect(utf8(req.body)).toBeLessThanOrEqual(20_000);
    expect(utf8(req.body)).toBeGreaterThan(19_900);
    expect((req.json as { markdown: { text: string } }).markdown.text.endsWith(`…（已截断，完整内容：${LINK}）`)).toBe(true);
    expect(CHANNEL_LIMITS.dingtalk).toEqual({ perMinute: 20, maxBodyBytes: 20_000 });
  });

  it('maps errcodes: 130101 → RATE_LIMITED (60 s), 310000 → INVALID, 5xx → UNAVAILABLE; no token or secret in errors', async () => {
    const secrets = [TOKEN, SIGN_SECRET];
    const m = { subject: 's', text: 't', to: [] };
    rx.reply({ body: { errcode: 130101, errmsg: 'send too fast, exceed 20 times per minute' } });
    const fast = await expectSendError(ding(SIGN_SECRET).send(m), 'RATE_LIMITED', { providerCode: '130101', secrets });
    expect(fast.details.retryAfterMs).toBe(60_000);
    rx.reply({ body: { errcode: 310000, errmsg: `sign not match, more: [access_token=${TOKEN}]` } });
    const sign = await expectSendError(ding(SIGN_SECRET).send(m), 'INVALID', { providerCode: '310000', secrets });
    expect(sign.message).toContain('sign not match');
    rx.reply({ body: { errcode: 300001, errmsg: 'token is not exist' } });
    await expectSendError(ding().send(m), 'INVALID', { providerCode: '300001', secrets });
    rx.reply({ status: 502, body: 'Bad Gateway' });
    await expectSendError(ding().send(m), 'UNAVAILABLE', { providerCode: '502', secrets });
    rx.reply({ status: 200, body: 'not json' });
    await expectSendError(ding().send(m), 'UNAVAILABLE', { secrets });
    rx.reply({ hang: true });
    const slow = await expectSendError(ding(SIGN_SECRET).send(m), 'UNAVAILABLE', { secrets });
    expect(slow.message).toBe(`DingTalk robot at 127.0.0.1:${rx.port}: no answer within 300 ms`);
    const port = await freePort();
    await expectSendError(ding(SIGN_SECRET, `http://127.0.0.1:${port}/robot/send?access_token=${TOKEN}`).send(m), 'UNAVAILABLE', { secrets });
  });

  it('refuses @mentions that are not phone numbers before posting', async () => {
    await expectSendError(ding().send({ subject: 's', text: 't', to: ['ops@example.com'] }), 'INVALID');
    expect(rx.requests).toHaveLength(0);
  });
});

describe('WeCom robot', () => {
  const KEY = 'wecom-key-693a91f6-7b';
  beforeEach(() => rx.setDefault({ status: 200, body: { errcode: 0, errmsg: 'ok' } }));
  const wecom = () => createChannel('wecom', { webhookUrl: `${rx.url}/cgi-bin/webhook/send?key=${KEY}` }, { log });

  it('posts {msgtype:markdown, markdown:{content}}', async () => {
    await wecom().send({ subject: '【重要】应用错误率过高', text: '错误率：7%', to: [] });
    const req = rx.requests[0]!;
    expect(req.path).toBe('/cgi-bin/webhook/send');
    expect(req.query.key).toBe(KEY);
    expect(req.json).toEqual({ msgtype: 'markdown', markdown: { content: '**【重要】应用错误率过高**\n错误率：7%' } });
  });

  it('keeps the Markdown content within 4,096 bytes with the link', async () => {
    await wecom().send({ subject: '【重要】应用错误率过高', text: longChinese, to: [], link: LINK });
    const content = (rx.requests[0]!.json as { markdown: { content: string } }).markdown.content;
    expect(utf8(content)).toBeLessThanOrEqual(4096);
    expect(utf8(content)).toBeGreaterThan(4090);
    expect(content.endsWith(`…（已截断，完整内容：${LINK}）`)).toBe(true);
  });

  it('maps 45009 → RATE_LIMITED and 93000 → INVALID without the key', async () => {
    rx.reply({ body: { errcode: 45009, errmsg: 'api freq out of limit' } }, { body: { errcode: 93000, errmsg: `invalid webhook url, key=${KEY}` } });
    await expectSendError(wecom().send({ subject: 's', text: 't', to: [] }), 'RATE_LIMITED', { providerCode: '45009', secrets: [KEY] });
    await expectSendError(wecom().send({ subject: 's', text: 't', to: [] }), 'INVALID', { providerCode: '93000', secrets: [KEY] });
  });
});

describe('Feishu robot', () => {
  const HOOK = 'b1f0c7f2-8d4b-4e5f-9a6d-3c2b1a0f9e8d';
  const FS_SECRET = 'feishu-sign-key-qQ7xZ';
  beforeEach(() => rx.setDefault({ status: 200, body: { code: 0, msg: 'success', data: {} } }));
  const feishu = (secret?: string) => createChannel('feishu', { webhookUrl: `${rx.url}/open-apis/bot/v2/hook/${HOOK}`, ...(secret ? { secret } : {}) }, { log, lang: 'en' });

  it('posts an interactive card signed with timestamp (s) and sign = base64 HMAC-SHA256(key = ts\\nsecret, empty)', async () => {
    const before = Math.floor(Date.now() / 1000);
    await feishu(FS_SECRET).send({ subject: '【紧急】数据库不可用', text: '状态：告警中', to: [], fields: { severity: '紧急' } });
    const req = rx.requests[0]!;
    expect(req.path).toBe(`/open-apis/bot/v2/hook/${HOOK}`);
    const body = req.json as Record<string, unknown>;
    expect(body).toMatchObject({
      msg_type: 'interactive',
      card: {
        header: { title: { tag: 'plain_text', content: '【紧急】数据库不可用' }, template: 'red' },
        elements: [{ tag: 'markdown', content: '状态：告警中' }],
      },
    });
    const ts = Number(body.timestamp);
    expect(typeof body.timestamp).toBe('string');
    expect(ts).toBeGreaterThanOrEqual(before);
    expect(ts).toBeLessThanOrEqual(Math.floor(Date.now() / 1000));
    expect(body.sign).toBe(createHmac('sha256', `${ts}\n${FS_SECRET}`).update('').digest('base64'));
  });

  it('sends no timestamp/sign without a secret, and keeps the request within 20 KB (English note)', async () => {
    await feishu().send({ subject: 's', text: longChinese, to: [], link: LINK });
    const req = rx.requests[0]!;
    expect(req.json).not.toHaveProperty('sign');
    expect(utf8(req.body)).toBeLessThanOrEqual(20 * 1024);
    expect(utf8(req.body)).toBeGreaterThan(20 * 1024 - 100);
    expect(req.body).toContain(`… (truncated, full text: ${LINK})`);
  });

  it('accepts the old StatusCode answer; maps 9499/11232 → RATE_LIMITED, 19021 → INVALID, without the hook token or secret', async () => {
    const m = { subject: 's', text: 't', to: [] };
    const secrets = [HOOK, FS_SECRET];
    rx.reply({ body: { StatusCode: 0, StatusMessage: 'success', Extra: null } });
    expect(await feishu(FS_SECRET).send(m)).toEqual({ providerCode: '0' });
    rx.reply({ body: { code: 9499, msg: 'too many request', data: {} } }, { body: { code: 11232, msg: 'frequency limited psm' } });
    await expectSendError(feishu(FS_SECRET).send(m), 'RATE_LIMITED', { providerCode: '9499', secrets });
    await expectSendError(feishu(FS_SECRET).send(m), 'RATE_LIMITED', { providerCode: '11232', secrets });
    rx.reply({ body: { code: 19021, msg: `sign match fail or timestamp is not within one hour from current time, hook ${HOOK}` } });
    const sign = await expectSendError(feishu(FS_SECRET).send(m), 'INVALID', { providerCode: '19021', secrets });
    expect(sign.message).toContain('sign match fail');
    rx.reply({ status: 429, headers: { 'retry-after': '7' }, body: { code: 9499, msg: 'too many request' } });
    const limited = await expectSendError(feishu(FS_SECRET).send(m), 'RATE_LIMITED', { providerCode: '9499', secrets });
    expect(limited.details.retryAfterMs).toBe(7000); // Retry-After honoured
    rx.reply({ status: 500, body: {} });
    await expectSendError(feishu(FS_SECRET).send(m), 'UNAVAILABLE', { providerCode: '500', secrets });
  });
});
