import type { NotificationChannel, NotifyMessage } from './channel.js';
import { hostOf, httpFailure, jsonHeaders, sendHttp } from './http.js';
import { checkMessage, deliverEach } from './notifyRules.js';

/**
 * A generic HTTP SMS / voice provider: one JSON POST built from a body template. In every string of
 * the template `{{to}}` (the numbers, comma-joined; one number with `perRecipient`), `{{subject}}`,
 * `{{text}}`, `{{key}}` (the idempotency key) and `{{fields.NAME}}` are replaced. A 2xx answer is
 * success; 429 → RATE_LIMITED (Retry-After honoured), 5xx → UNAVAILABLE, any other status → INVALID.
 */
export interface HttpSmsConfig {
  provider: 'http';
  /** Secret (it may carry a token). */
  url: string;
  method?: 'POST';
  /** Secret (e.g. `Authorization`). */
  headers?: Record<string, string>;
  /** The JSON body template. */
  body: unknown;
  /** One request per number (default: voice yes, SMS no). */
  perRecipient?: boolean;
}

const PLACEHOLDER = /\{\{\s*(to|subject|text|key|fields\.[A-Za-z0-9_.-]+)\s*\}\}/g;

/** The template with its placeholders filled; JSON-safe because only string values are rewritten. */
export function fillTemplate(template: unknown, message: NotifyMessage, to: readonly string[]): unknown {
  const value = (name: string): string => {
    if (name === 'to') return to.join(',');
    if (name === 'subject') return message.subject;
    if (name === 'text') return message.text;
    if (name === 'key') return message.idempotencyKey ?? '';
    return message.fields?.[name.slice('fields.'.length)] ?? '';
  };
  const walk = (node: unknown): unknown => {
    if (typeof node === 'string') return node.replace(PLACEHOLDER, (_, name: string) => value(name));
    if (Array.isArray(node)) return node.map(walk);
    if (node && typeof node === 'object') return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, walk(v)]));
    return node;
  };
  return walk(template);
}

export function createHttpSmsChannel(type: 'sms' | 'voice', config: HttpSmsConfig, o: { timeoutMs?: number } = {}): NotificationChannel {
  const what = `${type === 'sms' ? 'SMS' : 'voice'} provider at ${hostOf(config.url)}`;
  const perRecipient = config.perRecipient ?? type === 'voice';
  return {
    type,
    limits: {},
    async send(message) {
      checkMessage(message, type);
      const groups = perRecipient ? message.to.map((n) => [n]) : [message.to];
      const statuses = await deliverEach(
        groups,
        (g) => g,
        async (to) => {
          const res = await sendHttp({
            url: config.url,
            method: 'POST',
            headers: jsonHeaders({ ...config.headers, ...(message.idempotencyKey ? { 'x-mcp-idempotency-key': message.idempotencyKey } : {}) }),
            body: JSON.stringify(fillTemplate(config.body, message, to)),
            timeoutMs: o.timeoutMs,
            what,
          });
          if (res.status < 200 || res.status >= 300) throw httpFailure(what, res);
          return res.status;
        },
      );
      return { providerCode: String(statuses[0]) };
    },
  };
}
