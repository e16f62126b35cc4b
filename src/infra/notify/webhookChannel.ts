import { createHmac } from 'node:crypto';
import type { NotificationChannel } from './channel.js';
import { hostOf, httpFailure, jsonHeaders, sendHttp } from './http.js';
import { checkMessage } from './notifyRules.js';

/**
 * A generic webhook: the message as JSON `{subject,text,to,link,fields,idempotencyKey}` POSTed to
 * `url`, with `X-MCP-Idempotency-Key`; with a `secret`, also `X-MCP-Timestamp` (Unix seconds) and
 * `X-MCP-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>` so the receiver can
 * check the sender and refuse replays. 2xx is success; 429/5xx/other as the contract says.
 */
export interface WebhookConfig {
  /** Secret (it may carry a token). */
  url: string;
  /** Secret: the signing key. */
  secret?: string;
  /** Secret: extra headers (e.g. `Authorization`). */
  headers?: Record<string, string>;
}

/** The signature header value for a body sent at `timestampSec`. */
export function webhookSignature(secret: string, timestampSec: number, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestampSec}.${body}`, 'utf8').digest('hex')}`;
}

export function createWebhookChannel(config: WebhookConfig, o: { timeoutMs?: number } = {}): NotificationChannel {
  const what = `webhook at ${hostOf(config.url)}`;
  return {
    type: 'webhook',
    limits: {},
    async send(message) {
      checkMessage(message, 'webhook');
      const body = JSON.stringify({
        subject: message.subject,
        text: message.text,
        to: message.to,
        link: message.link ?? null,
        fields: message.fields ?? {},
        idempotencyKey: message.idempotencyKey ?? null,
      });
      const headers: Record<string, string> = { ...config.headers };
      if (message.idempotencyKey) headers['x-mcp-idempotency-key'] = message.idempotencyKey;
      if (config.secret) {
        const ts = Math.floor(Date.now() / 1000);
        headers['x-mcp-timestamp'] = String(ts);
        headers['x-mcp-signature'] = webhookSignature(config.secret, ts, body);
      }
      const res = await sendHttp({ url: config.url, method: 'POST', headers: jsonHeaders(headers), body, timeoutMs: o.timeoutMs, what });
      if (res.status < 200 || res.status >= 300) throw httpFailure(what, res);
      return { providerCode: String(res.status) };
    },
  };
}
