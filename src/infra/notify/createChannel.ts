import type { Logger } from 'pino';
import Type, { type TSchema } from 'typebox';
import Value from 'typebox/value';
import { AppError } from '../../errors/appError.js';
import { ALIYUN_SMS_ENDPOINT, type AliyunSmsConfig, createAliyunSmsChannel } from './aliyunSmsChannel.js';
import { ALIYUN_VOICE_ENDPOINT, type AliyunVoiceConfig, createAliyunVoiceChannel } from './aliyunVoiceChannel.js';
import type { ChannelType, NotificationChannel, ProviderLimits } from './channel.js';
import { createDingtalkChannel, DINGTALK_LIMITS, type DingtalkConfig } from './dingtalkChannel.js';
import { createEmailChannel } from './emailChannel.js';
import { createFeishuChannel, FEISHU_LIMITS, type FeishuConfig } from './feishuChannel.js';
import { createFileChannel } from './fileChannel.js';
import { createHttpSmsChannel, type HttpSmsConfig } from './httpSmsChannel.js';
import { createLogChannel } from './logChannel.js';
import type { NotifyLang } from './truncate.js';
import { createWebhookChannel, type WebhookConfig } from './webhookChannel.js';
import { createWecomChannel, WECOM_LIMITS, type WecomConfig } from './wecomChannel.js';
import { isEmailAddress } from './notifyRules.js';

/**
 * The one place that knows every channel type (issue 11 item 1): each type's configuration
 * schema, which of its fields are secrets (stored encrypted, never returned), its provider limits,
 * and the adapter built from it.
 */

/** Fields holding secrets, per type (for sms/voice: the union over both providers). */
export const CHANNEL_SECRET_FIELDS: Record<ChannelType, readonly string[]> = {
  email: ['url', 'password'],
  sms: ['accessKeySecret', 'url', 'headers'],
  voice: ['accessKeySecret', 'url', 'headers'],
  dingtalk: ['webhookUrl', 'secret'],
  wecom: ['webhookUrl'],
  feishu: ['webhookUrl', 'secret'],
  webhook: ['url', 'secret', 'headers'],
  log: [],
};

/** The providers' published limits, per type. */
export const CHANNEL_LIMITS: Record<ChannelType, ProviderLimits> = {
  email: {},
  sms: {},
  voice: {},
  dingtalk: DINGTALK_LIMITS,
  wecom: WECOM_LIMITS,
  feishu: FEISHU_LIMITS,
  webhook: {},
  log: {},
};

const Str = (max: number) => Type.String({ minLength: 1, maxLength: max });
const Url = Str(2048);
const Secret = Str(512);
const Headers = Type.Record(Type.String(), Type.String({ maxLength: 4096, pattern: '^[^\\r\\n]*$' }), {
  maxProperties: 32,
});
const closed = { additionalProperties: false } as const;

const AliyunCommon = {
  provider: Type.Literal('aliyun'),
  accessKeyId: Str(128),
  accessKeySecret: Secret,
  endpoint: Type.Optional(Url),
  regionId: Type.Optional(Type.String({ pattern: '^[a-z0-9-]{1,64}$' })),
};
const HttpProvider = Type.Object(
  {
    provider: Type.Literal('http'),
    url: Url,
    method: Type.Optional(Type.Literal('POST')),
    headers: Type.Optional(Headers),
    body: Type.Union([Type.Object({}), Type.Array(Type.Unknown())]),
    perRecipient: Type.Optional(Type.Boolean()),
  },
  closed,
);

const EMAIL_PARTS = Type.Object(
  {
    host: Type.String({ pattern: '^[A-Za-z0-9.-]{1,253}$' }),
    port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535 })),
    secure: Type.Optional(Type.Boolean()),
    username: Type.Optional(Str(255)),
    password: Type.Optional(Str(255)),
    from: Type.Optional(Str(254)),
  },
  closed,
);

const SCHEMAS: Record<Exclude<ChannelType, 'sms' | 'voice'>, TSchema> & Record<'sms' | 'voice', Record<'aliyun' | 'http', TSchema>> = {
  // either one smtp(s):// URL (secret as a whole), or the server's parts with only the password secret
  email: Type.Object({ url: Url, from: Type.Optional(Str(254)) }, closed),
  sms: {
    aliyun: Type.Object({ ...AliyunCommon, signName: Str(64), templateCode: Str(64) }, closed),
    http: HttpProvider,
  },
  voice: {
    aliyun: Type.Object(
      { ...AliyunCommon, calledShowNumber: Type.String({ pattern: '^\\+?[0-9]{3,20}$' }), ttsCode: Str(64), playTimes: Type.Optional(Type.Integer({ minimum: 1, maximum: 3 })) },
      closed,
    ),
    http: HttpProvider,
  },
  dingtalk: Type.Object({ webhookUrl: Url, secret: Type.Optional(Secret) }, closed),
  wecom: Type.Object({ webhookUrl: Url }, closed),
  feishu: Type.Object({ webhookUrl: Url, secret: Type.Optional(Secret) }, closed),
  webhook: Type.Object({ url: Url, secret: Type.Optional(Secret), headers: Type.Optional(Headers) }, closed),
  log: Type.Object({ file: Type.Optional(Str(1024)) }, closed),
};

function invalidField(type: ChannelType, field: string, problem: string): AppError {
  return new AppError('INVALID', `${type} channel: ${field ? `field "${field}" ` : ''}${problem}`, { field });
}

/** The first schema error as INVALID naming the field (never its value: it may be a secret). */
function check(type: ChannelType, schema: TSchema, config: unknown): void {
  if (Value.Check(schema, config)) return;
  const errors = [...Value.Errors(schema, config)];
  const extra = errors.find((e) => e.keyword === 'additionalProperties');
  if (extra) {
    const names = (extra.params as { additionalProperties?: string[] }).additionalProperties ?? [];
    const at = extra.instancePath.split('/').filter(Boolean).join('.');
    throw invalidField(type, [at, names[0]].filter(Boolean).join('.'), 'is not a known setting');
  }
  const required = errors.find((e) => e.keyword === 'required');
  if (required) {
    const names = (required.params as { requiredProperties?: string[] }).requiredProperties ?? [];
    const at = required.instancePath.split('/').filter(Boolean).join('.');
    throw invalidField(type, [at, names[0]].filter(Boolean).join('.'), 'is required');
  }
  const first = errors.find((e) => e.keyword !== 'boolean' && e.keyword !== 'anyOf') ?? errors[0]!;
  throw invalidField(type, first.instancePath.split('/').filter(Boolean).join('.'), first.message);
}

/** An http(s) URL without user:password (robot tokens belong in the documented query or path). */
function checkUrl(type: ChannelType, field: string, value: string, o: { query?: string } = {}): void {
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    throw invalidField(type, field, 'is not a URL');
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') throw invalidField(type, field, 'must be an http:// or https:// URL');
  if (u.username || u.password) throw invalidField(type, field, 'must not contain a user name or password');
  if (o.query && !u.searchParams.get(o.query)) throw invalidField(type, field, `must contain the robot's ${o.query}= parameter`);
}

/** Header names must be HTTP tokens (values are checked by the schema: no line breaks). */
function checkHeaders(type: ChannelType, headers: unknown): void {
  for (const name of Object.keys((headers as Record<string, string> | undefined) ?? {})) {
    if (!/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,128}$/.test(name)) throw invalidField(type, `headers.${name}`, 'is not a valid header name');
  }
}

/**
 * Validates a channel's config (TypeBox schema per type; sms/voice have provider `aliyun` | `http`);
 * throws INVALID naming the field. Returns the normalised config (defaults filled in).
 */
export function validateChannelConfig(type: ChannelType, config: unknown): Record<string, unknown> {
  if (!(type in SCHEMAS)) throw new AppError('INVALID', `unknown channel type: ${String(type)}`, { field: 'type' });
  if (!config || typeof config !== 'object' || Array.isArray(config)) throw invalidField(type, '', 'the configuration must be an object');
  const c = config as Record<string, unknown>;
  if (type === 'sms' || type === 'voice') {
    if (c.provider !== 'aliyun' && c.provider !== 'http') throw invalidField(type, 'provider', 'must be "aliyun" or "http"');
    check(type, SCHEMAS[type][c.provider], c);
    if (c.provider === 'aliyun') {
      const endpoint = (c.endpoint as string | undefined) ?? (type === 'sms' ? ALIYUN_SMS_ENDPOINT : ALIYUN_VOICE_ENDPOINT);
      checkUrl(type, 'endpoint', endpoint);
      if (new URL(endpoint).search) throw invalidField(type, 'endpoint', 'must not contain a query');
      return { ...c, endpoint };
    }
    checkUrl(type, 'url', c.url as string);
    checkHeaders(type, c.headers);
    return { ...c, method: 'POST', perRecipient: (c.perRecipient as boolean | undefined) ?? type === 'voice' };
  }
  if (type === 'email' && c.url === undefined) {
    check(type, EMAIL_PARTS, c);
    if (c.from !== undefined && !isEmailAddress(c.from as string)) throw invalidField(type, 'from', 'is not an e-mail address');
    return { ...c, port: c.port ?? (c.secure ? 465 : 587) };
  }
  check(type, SCHEMAS[type], c);
  switch (type) {
    case 'email': {
      let u: URL;
      try {
        u = new URL(c.url as string);
      } catch {
        throw invalidField(type, 'url', 'is not a URL (smtp://user:pass@host:587 or smtps://user:pass@host:465)');
      }
      if (u.protocol !== 'smtp:' && u.protocol !== 'smtps:') throw invalidField(type, 'url', 'must be an smtp:// or smtps:// URL');
      if (!u.hostname) throw invalidField(type, 'url', 'has no host');
      if (c.from !== undefined && !isEmailAddress(c.from as string)) throw invalidField(type, 'from', 'is not an e-mail address');
      return { ...c };
    }
    case 'dingtalk':
      checkUrl(type, 'webhookUrl', c.webhookUrl as string, { query: 'access_token' });
      return { ...c };
    case 'wecom':
      checkUrl(type, 'webhookUrl', c.webhookUrl as string, { query: 'key' });
      return { ...c };
    case 'feishu': {
      checkUrl(type, 'webhookUrl', c.webhookUrl as string);
      if (!new URL(c.webhookUrl as string).pathname.split('/').pop()) throw invalidField(type, 'webhookUrl', 'must end with the robot token (…/bot/v2/hook/<token>)');
      return { ...c };
    }
    case 'webhook':
      checkUrl(type, 'url', c.url as string);
      checkHeaders(type, c.headers);
      return { ...c };
    default:
      return { ...c };
  }
}

/** The config with every secret field replaced by `***` (for API answers, logs and audit details). */
export function maskChannelConfig(type: ChannelType, config: Record<string, unknown>): Record<string, unknown> {
  const secret = new Set(CHANNEL_SECRET_FIELDS[type]);
  return Object.fromEntries(Object.entries(config).map(([k, v]) => [k, secret.has(k) && v !== undefined ? '***' : v]));
}

export interface ChannelDeps {
  log: Pick<Logger, 'warn'>;
  /** Milliseconds to wait for a provider (default 10 s). */
  timeoutMs?: number;
  /** Language of the truncation note robots append (default zh-CN). */
  lang?: NotifyLang;
}

/** The adapter for a channel; the config is validated first (INVALID naming the field). */
export function createChannel(type: ChannelType, config: Record<string, unknown>, deps: ChannelDeps): NotificationChannel {
  const c = validateChannelConfig(type, config);
  const o = { timeoutMs: deps.timeoutMs, lang: deps.lang };
  switch (type) {
    case 'email':
      return createEmailChannel({ url: (c.url as string | undefined) ?? smtpUrlOf(c), from: c.from as string | undefined, timeoutMs: deps.timeoutMs });
    case 'sms':
      return c.provider === 'aliyun' ? createAliyunSmsChannel(c as unknown as AliyunSmsConfig, o) : createHttpSmsChannel('sms', c as unknown as HttpSmsConfig, o);
    case 'voice':
      return c.provider === 'aliyun' ? createAliyunVoiceChannel(c as unknown as AliyunVoiceConfig, o) : createHttpSmsChannel('voice', c as unknown as HttpSmsConfig, o);
    case 'dingtalk':
      return createDingtalkChannel(c as unknown as DingtalkConfig, o);
    case 'wecom':
      return createWecomChannel(c as unknown as WecomConfig, o);
    case 'feishu':
      return createFeishuChannel(c as unknown as FeishuConfig, o);
    case 'webhook':
      return createWebhookChannel(c as unknown as WebhookConfig, o);
    case 'log':
      return c.file ? createFileChannel(c.file as string) : createLogChannel(deps.log, 'log');
  }
}

/**
 * The embedded twin standing in for a channel of type `as` (nothing real configured, or tests):
 * the app log, or one JSON line per message in `file`. The recipient rules of `as` apply.
 */
export function createTwinChannel(as: ChannelType, deps: { log: Pick<Logger, 'warn'>; file?: string }): NotificationChannel {
  return deps.file ? createFileChannel(deps.file, as) : createLogChannel(deps.log, as);
}

/** The SMTP URL of an e-mail channel given by its parts. */
function smtpUrlOf(c: Record<string, unknown>): string {
  const auth = c.username ? `${encodeURIComponent(String(c.username))}:${encodeURIComponent(String(c.password ?? ''))}@` : '';
  return `${c.secure ? 'smtps' : 'smtp'}://${auth}${String(c.host)}:${String(c.port)}`;
}
