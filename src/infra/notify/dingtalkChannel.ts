import { createHmac } from 'node:crypto';
import type { NotificationChannel } from './channel.js';
import { hostOf, jsonHeaders, sendHttp } from './http.js';
import { checkMessage } from './notifyRules.js';
import { robotResult } from './robot.js';
import { fitInRequest, type NotifyLang, utf8Bytes } from './truncate.js';

/** A DingTalk group robot (自定义机器人). */
export interface DingtalkConfig {
  /** Secret: `https://oapi.dingtalk.com/robot/send?access_token=…`. */
  webhookUrl: string;
  /** Secret: the 加签 key (`SEC…`); when set, every request is signed. */
  secret?: string;
}

export const DINGTALK_LIMITS = { perMinute: 20, maxBodyBytes: 20_000 } as const;
/** errcode 130101: more than 20 messages a minute (the robot is then blocked for a while). */
export const DINGTALK_TOO_FAST = 130101;

/** DingTalk's 加签: base64(HMAC-SHA256(key = secret, message = `${timestamp}\n${secret}`)), timestamp in milliseconds. */
export function dingtalkSign(timestampMs: number, secret: string): string {
  return createHmac('sha256', secret).update(`${timestampMs}\n${secret}`, 'utf8').digest('base64');
}

/** The webhook URL with `timestamp` and `sign` (URL-encoded) appended when a secret is configured. */
export function dingtalkUrl(config: DingtalkConfig, now = Date.now()): string {
  if (!config.secret) return config.webhookUrl;
  const u = new URL(config.webhookUrl);
  u.searchParams.set('timestamp', String(now));
  u.searchParams.set('sign', dingtalkSign(now, config.secret));
  return u.toString();
}

/** Markdown message with @mentions of `message.to` (phone numbers); the body fits 20,000 bytes. */
export function createDingtalkChannel(config: DingtalkConfig, o: { timeoutMs?: number; lang?: NotifyLang } = {}): NotificationChannel {
  const what = `DingTalk robot at ${hostOf(config.webhookUrl)}`;
  const secrets = [config.secret, new URL(config.webhookUrl).searchParams.get('access_token') ?? undefined];
  return {
    type: 'dingtalk',
    limits: DINGTALK_LIMITS,
    async send(message) {
      checkMessage(message, 'dingtalk');
      const mentions = message.to.length ? `\n\n${message.to.map((n) => `@${n}`).join(' ')}` : '';
      const build = (text: string) =>
        JSON.stringify({
          msgtype: 'markdown',
          // DingTalk's Markdown breaks lines only between paragraphs.
          markdown: { title: message.subject, text: `#### ${message.subject}\n\n${text.replace(/\n+/g, '\n\n')}${mentions}` },
          at: { atMobiles: message.to, isAtAll: false },
        });
      const text = fitInRequest(message.text, DINGTALK_LIMITS.maxBodyBytes, (t) => utf8Bytes(build(t)), message.link, o.lang);
      const res = await sendHttp({ url: dingtalkUrl(config), method: 'POST', headers: jsonHeaders(), body: build(text), timeoutMs: o.timeoutMs, what });
      return robotResult(what, res, {
        code: (b) => b.errcode,
        message: (b) => b.errmsg,
        rateLimited: [DINGTALK_TOO_FAST],
        retryAfterMs: 60_000,
        secrets,
      });
    },
  };
}
