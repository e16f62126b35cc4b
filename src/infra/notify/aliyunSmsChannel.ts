import type { NotificationChannel, NotifyMessage } from './channel.js';
import { aliyunClient, callAliyunRpc } from './aliyunRpc.js';
import { checkMessage, deliverEach } from './notifyRules.js';

/** Aliyun SMS (dysmsapi SendSms, API 2017-05-25) configuration. */
export interface AliyunSmsConfig {
  provider: 'aliyun';
  accessKeyId: string;
  /** Secret. */
  accessKeySecret: string;
  /** 短信签名, e.g. `阿里云短信测试`. */
  signName: string;
  /** 模板 code, e.g. `SMS_154950909`. */
  templateCode: string;
  /** Default https://dysmsapi.aliyuncs.com/ */
  endpoint?: string;
  regionId?: string;
}

export const ALIYUN_SMS_ENDPOINT = 'https://dysmsapi.aliyuncs.com/';
/** Numbers one SendSms request takes. */
export const SMS_MAX_NUMBERS = 1000;
/** Longest value of a template variable (characters). */
export const SMS_MAX_VARIABLE_LENGTH = 35;
/** Longest OutId. */
export const OUT_ID_MAX_LENGTH = 64;

/** The template variables: `subject` plus `message.fields`, each value cut to `max` characters (the last one `…`). */
export function templateParam(message: NotifyMessage, max?: number): string {
  const vars: Record<string, string> = { subject: message.subject, ...message.fields };
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(vars)) {
    const chars = Array.from(v);
    out[k] = max !== undefined && chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : v;
  }
  return JSON.stringify(out);
}

/** The OutId Aliyun echoes in its receipts: the idempotency key, at most 64 characters. */
export function outIdOf(message: NotifyMessage): Record<string, string> {
  return message.idempotencyKey ? { OutId: message.idempotencyKey.slice(0, OUT_ID_MAX_LENGTH) } : {};
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** SMS through Aliyun: one SendSms per 1,000 numbers (comma-joined), template variables from the message's fields. */
export function createAliyunSmsChannel(config: AliyunSmsConfig, o: { timeoutMs?: number } = {}): NotificationChannel {
  const client = aliyunClient('Aliyun SMS', ALIYUN_SMS_ENDPOINT, config, o.timeoutMs);
  return {
    type: 'sms',
    limits: {},
    async send(message) {
      checkMessage(message, 'sms');
      const param = templateParam(message, SMS_MAX_VARIABLE_LENGTH);
      const answers = await deliverEach(
        chunks(message.to, SMS_MAX_NUMBERS),
        (batch) => batch,
        (batch) =>
          callAliyunRpc(client, 'SendSms', '2017-05-25', {
            PhoneNumbers: batch.join(','),
            SignName: config.signName,
            TemplateCode: config.templateCode,
            TemplateParam: param,
            ...outIdOf(message),
          }),
      );
      return { id: answers.map((a) => String(a.BizId ?? '')).join(','), providerCode: 'OK' };
    },
  };
}
