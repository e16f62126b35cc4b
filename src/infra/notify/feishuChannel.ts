import { createHmac } from 'node:crypto';
import type { NotificationChannel, NotifyMessage } from './channel.js';
import { hostOf, jsonHeaders, sendHttp } from './http.js';
import { checkMessage } from './notifyRules.js';
import { robotResult } from './robot.js';
import { fitInRequest, type NotifyLang, utf8Bytes } from './truncate.js';

/** A Feishu (飞书) group custom robot. */
export interface FeishuConfig {
  /** Secret: `https://open.feishu.cn/open-apis/bot/v2/hook/<token>`. */
  webhookUrl: string;
  /** Secret: the 签名校验 key; when set, every request carries `timestamp` and `sign`. */
  secret?: string;
}

export const FEISHU_LIMITS = { perMinute: 100, perSecond: 5, maxBodyBytes: 20 * 1024 } as const;
/** Frequency-limit codes: 9499 (too many requests), 11232 (frequency limited). */
export const FEISHU_TOO_FAST = [9499, 11232] as const;

/** Feishu's signature: base64(HMAC-SHA256(key = `${timestamp}\n${secret}`, message = empty)), timestamp in seconds. */
export function feishuSign(timestampSec: number, secret: string): string {
  return createHmac('sha256', `${timestampSec}\n${secret}`).update('').digest('base64');
}

/** Header colour of the card, from the severity or status in the message's fields. */
function colourOf(message: NotifyMessage): string {
  const f = message.fields ?? {};
  const said = `${f.status ?? ''} ${f.severity ?? ''}`;
  if (/已恢复|resolved/i.test(said)) return 'green';
  if (/紧急|critical/i.test(said)) return 'red';
  if (/重要|major/i.test(said)) return 'orange';
  if (/一般|minor/i.test(said)) return 'yellow';
  return 'blue';
}

/** Interactive card (title + Markdown body); the request fits 20 KB. `message.to` is not used (Feishu mentions need user ids). */
export function createFeishuChannel(config: FeishuConfig, o: { timeoutMs?: number; lang?: NotifyLang } = {}): NotificationChannel {
  const what = `Feishu robot at ${hostOf(config.webhookUrl)}`;
  const secrets = [config.secret, new URL(config.webhookUrl).pathname.split('/').pop()];
  return {
    type: 'feishu',
    limits: FEISHU_LIMITS,
    async send(message) {
      checkMessage(message, 'feishu');
      const timestamp = Math.floor(Date.now() / 1000);
      const signing = config.secret ? { timestamp: String(timestamp), sign: feishuSign(timestamp, config.secret) } : {};
      const build = (text: string) =>
        JSON.stringify({
          ...signing,
          msg_type: 'interactive',
          card: {
            config: { wide_screen_mode: true },
            header: { title: { tag: 'plain_text', content: message.subject }, template: colourOf(message) },
            elements: [{ tag: 'markdown', content: text }],
          },
        });
      const text = fitInRequest(message.text, FEISHU_LIMITS.maxBodyBytes, (t) => utf8Bytes(build(t)), message.link, o.lang);
      const res = await sendHttp({ url: config.webhookUrl, method: 'POST', headers: jsonHeaders(), body: build(text), timeoutMs: o.timeoutMs, what });
      return robotResult(what, res, {
        code: (b) => b.code ?? b.StatusCode,
        message: (b) => b.msg ?? b.StatusMessage,
        rateLimited: FEISHU_TOO_FAST,
        retryAfterMs: 60_000,
        secrets,
      });
    },
  };
}
