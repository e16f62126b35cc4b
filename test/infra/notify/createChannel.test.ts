import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AppError } from '../../../src/errors/appError.js';
import { CHANNEL_TYPES, type ChannelType } from '../../../src/infra/notify/channel.js';
import { CHANNEL_LIMITS, CHANNEL_SECRET_FIELDS, createChannel, createTwinChannel, maskChannelConfig, validateChannelConfig } from '../../../src/infra/notify/createChannel.js';
import { expectSendError } from './channelErrors.js';

/** The channel factory: one validated config schema per type, secrets named, limits published, twins for the embedded default. */
const log = { warn: () => {} };
const SECRET = 'TopSecret-4b7c9d';

function invalid(type: ChannelType, config: unknown): AppError {
  try {
    validateChannelConfig(type, config);
  } catch (e) {
    expect(e).toBeInstanceOf(AppError);
    expect((e as AppError).code).toBe('INVALID');
    expect((e as AppError).message).not.toContain(SECRET);
    return e as AppError;
  }
  throw new Error(`config accepted: ${JSON.stringify(config)}`);
}

const good: Record<ChannelType, Record<string, unknown>> = {
  email: { url: `smtp://u:${SECRET}@mail.example.com:587`, from: 'alerts@example.com' },
  sms: { provider: 'aliyun', accessKeyId: 'LTAI5t', accessKeySecret: SECRET, signName: '运维平台', templateCode: 'SMS_1' },
  voice: { provider: 'aliyun', accessKeyId: 'LTAI5t', accessKeySecret: SECRET, calledShowNumber: '4001112222', ttsCode: 'TTS_1' },
  dingtalk: { webhookUrl: `https://oapi.dingtalk.com/robot/send?access_token=${SECRET}`, secret: `SEC${SECRET}` },
  wecom: { webhookUrl: `https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=${SECRET}` },
  feishu: { webhookUrl: `https://open.feishu.cn/open-apis/bot/v2/hook/${SECRET}`, secret: SECRET },
  webhook: { url: 'https://hooks.example.com/alerts', secret: SECRET, headers: { Authorization: `Bearer ${SECRET}` } },
  log: {},
};

describe('validateChannelConfig', () => {
  it('accepts a good config of every type and fills in defaults', () => {
    for (const type of CHANNEL_TYPES) expect(() => validateChannelConfig(type, good[type]), type).not.toThrow();
    expect(validateChannelConfig('sms', good.sms).endpoint).toBe('https://dysmsapi.aliyuncs.com/');
    expect(validateChannelConfig('voice', good.voice).endpoint).toBe('https://dyvmsapi.aliyuncs.com/');
    const http = validateChannelConfig('voice', { provider: 'http', url: 'https://sms.example.com/send', body: { to: '{{to}}' } });
    expect(http).toMatchObject({ method: 'POST', perRecipient: true });
  });

  it('names the field that is wrong, never its value', () => {
    expect(invalid('dingtalk', { secret: SECRET }).message).toBe('dingtalk channel: field "webhookUrl" is required');
    expect(invalid('dingtalk', { ...good.dingtalk, extra: 1 }).message).toBe('dingtalk channel: field "extra" is not a known setting');
    expect(invalid('dingtalk', { webhookUrl: `ftp://x/robot/send?access_token=${SECRET}` }).message).toBe(
      'dingtalk channel: field "webhookUrl" must be an http:// or https:// URL',
    );
    expect(invalid('dingtalk', { webhookUrl: `https://user:${SECRET}@oapi.dingtalk.com/robot/send?access_token=x` }).message).toBe(
      'dingtalk channel: field "webhookUrl" must not contain a user name or password',
    );
    expect(invalid('dingtalk', { webhookUrl: 'https://oapi.dingtalk.com/robot/send' }).message).toContain('access_token');
    expect(invalid('wecom', { webhookUrl: 'https://qyapi.weixin.qq.com/cgi-bin/webhook/send' }).message).toContain('key=');
    expect(invalid('feishu', { webhookUrl: 'not a url' }).message).toBe('feishu channel: field "webhookUrl" is not a URL');
    expect(invalid('sms', { ...good.sms, provider: 'twilio' }).message).toBe('sms channel: field "provider" must be "aliyun" or "http"');
    expect(invalid('sms', { ...good.sms, signName: '' }).details).toEqual({ field: 'signName' });
    expect(invalid('voice', { ...good.voice, playTimes: 9 }).details).toEqual({ field: 'playTimes' });
    expect(invalid('voice', { ...good.voice, endpoint: 'https://dyvmsapi.aliyuncs.com/?x=1' }).details).toEqual({ field: 'endpoint' });
    expect(invalid('sms', { provider: 'http', url: 'https://sms.example.com/', body: 'text' }).details).toEqual({ field: 'body' });
    expect(invalid('webhook', { url: 'https://h.example.com/', headers: { 'Bad Header': 'x' } }).details).toEqual({ field: 'headers.Bad Header' });
    expect(invalid('sms', { provider: 'http', url: 'https://s.example.com/', body: {}, headers: { 'a:b': 'x' } }).details).toEqual({ field: 'headers.a:b' });
    expect(invalid('webhook', { url: 'https://h.example.com/', headers: { 'X-A': `a\r\nX-Injected: ${SECRET}` } }).details).toEqual({ field: 'headers.X-A' });
    expect(invalid('email', { url: `http://u:${SECRET}@mail.example.com` }).message).toBe('email channel: field "url" must be an smtp:// or smtps:// URL');
    expect(invalid('email', { ...good.email, from: 'nobody' }).details).toEqual({ field: 'from' });
    expect(invalid('log', [])).toBeInstanceOf(AppError);
    expect(() => validateChannelConfig('pager' as ChannelType, {})).toThrow(/unknown channel type/);
  });

  it('createChannel validates too', () => {
    expect(() => createChannel('wecom', {}, { log })).toThrow(AppError);
  });

  it('names the secret fields of every type and masks them', () => {
    expect(CHANNEL_SECRET_FIELDS.dingtalk).toEqual(['webhookUrl', 'secret']);
    for (const type of CHANNEL_TYPES) expect(JSON.stringify(maskChannelConfig(type, good[type])), type).not.toContain(SECRET);
    expect(maskChannelConfig('sms', good.sms)).toMatchObject({ accessKeyId: 'LTAI5t', accessKeySecret: '***', signName: '运维平台' });
  });

  it('publishes the providers limits per type, also on the built channel', () => {
    expect(CHANNEL_LIMITS.wecom).toEqual({ perMinute: 20, maxBodyBytes: 4096 });
    expect(CHANNEL_LIMITS.feishu).toEqual({ perMinute: 100, perSecond: 5, maxBodyBytes: 20480 });
    for (const type of CHANNEL_TYPES) expect(createChannel(type, good[type], { log }).limits, type).toEqual(CHANNEL_LIMITS[type]);
  });
});

describe('twins', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mcp-notify-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('the file twin appends one JSON line per message to a 0600 file', async () => {
    const file = join(dir, 'sent.jsonl');
    const twin = createTwinChannel('sms', { log, file });
    await twin.send({ subject: '【紧急】数据库不可用', text: '主库\n无法连接', to: ['13800138000'], idempotencyKey: 'k1', fields: { name: '数据库不可用' } });
    await twin.send({ subject: '第二条', text: 't', to: ['13900139000'] });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const lines = readFileSync(file, 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({
      as: 'sms',
      to: ['13800138000'],
      subject: '【紧急】数据库不可用',
      text: '主库\n无法连接',
      idempotencyKey: 'k1',
      fields: { name: '数据库不可用' },
    });
    expect(lines[1]).toMatchObject({ subject: '第二条' });
    await expectSendError(twin.send({ subject: 's', text: 't', to: ['ops@example.com'] }), 'INVALID');
  });

  it('the file twin tightens an existing file to 0600', async () => {
    const file = join(dir, 'open.jsonl');
    writeFileSync(file, '', { mode: 0o644 });
    await createChannel('log', { file }, { log }).send({ subject: 's', text: 't', to: [] });
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('the log twin writes one warn line with the recipient rules of the type it stands in for', async () => {
    const lines: unknown[] = [];
    const twin = createTwinChannel('dingtalk', { log: { warn: (obj: unknown, msg?: string) => void lines.push([obj, msg]) } as never });
    await twin.send({ subject: '【重要】应用错误率过高', text: 'x', to: [] });
    expect(lines).toEqual([[{ notify: { as: 'dingtalk', to: [], subject: '【重要】应用错误率过高', text: 'x' } }, 'notification: 【重要】应用错误率过高']]);
    await expectSendError(createTwinChannel('email', { log }).send({ subject: 's', text: 't', to: [] }), 'INVALID');
  });
});
