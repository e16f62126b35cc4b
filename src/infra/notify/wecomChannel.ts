import type { NotificationChannel } from './channel.js';
import { hostOf, jsonHeaders, sendHttp } from './http.js';
import { checkMessage } from './notifyRules.js';
import { robotResult } from './robot.js';
import { fitBody, type NotifyLang } from './truncate.js';

/** A WeCom (企业微信) group robot. */
export interface WecomConfig {
  /** Secret: `https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…`. */
  webhookUrl: string;
}

export const WECOM_LIMITS = { perMinute: 20, maxBodyBytes: 4096 } as const;
/** errcode 45009: the robot's frequency limit (20 a minute). */
export const WECOM_TOO_FAST = 45009;

/**
 * Markdown message whose content fits 4,096 bytes. WeCom's markdown cannot mention by phone number,
 * so `message.to` is not used.
 */
export function createWecomChannel(config: WecomConfig, o: { timeoutMs?: number; lang?: NotifyLang } = {}): NotificationChannel {
  const what = `WeCom robot at ${hostOf(config.webhookUrl)}`;
  const secrets = [new URL(config.webhookUrl).searchParams.get('key') ?? undefined];
  return {
    type: 'wecom',
    limits: WECOM_LIMITS,
    async send(message) {
      checkMessage(message, 'wecom');
      const content = fitBody(`**${message.subject}**\n${message.text}`, WECOM_LIMITS.maxBodyBytes, message.link, o.lang);
      const body = JSON.stringify({ msgtype: 'markdown', markdown: { content } });
      const res = await sendHttp({ url: config.webhookUrl, method: 'POST', headers: jsonHeaders(), body, timeoutMs: o.timeoutMs, what });
      return robotResult(what, res, { code: (b) => b.errcode, message: (b) => b.errmsg, rateLimited: [WECOM_TOO_FAST], retryAfterMs: 60_000, secrets });
    },
  };
}
