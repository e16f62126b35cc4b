/**
 * A notification channel (issue 11 item 1): one way of delivering a message to people. Every
 * adapter (e-mail, SMS, voice, DingTalk, WeCom, Feishu, webhook) implements this contract, and the
 * log channel is the embedded twin used when nothing real is configured and in tests.
 *
 * Errors: every adapter rejects with an AppError —
 * - INVALID: the message or the configuration is refused and retrying cannot help (bad address,
 *   no recipient, the provider says the template or signature is wrong). Delivery stops.
 * - UNAVAILABLE: the channel cannot deliver now (server down, timeout, 5xx). Delivery retries.
 * - RATE_LIMITED: the provider throttles (its own rate-limit error code); `details.retryAfterMs`
 *   when the provider says how long. Delivery retries after that.
 * `details.providerCode` carries the provider's own error code (DingTalk `errcode`, Aliyun `Code`,
 * SMTP response code…) so it is recorded with the attempt. Secrets never appear in messages.
 */
export type ChannelType = 'email' | 'sms' | 'voice' | 'dingtalk' | 'wecom' | 'feishu' | 'webhook' | 'log';
export const CHANNEL_TYPES: readonly ChannelType[] = ['email', 'sms', 'voice', 'dingtalk', 'wecom', 'feishu', 'webhook', 'log'];

export interface NotifyMessage {
  /** One line: the e-mail subject, the robot message title, the SMS/voice alert name. */
  subject: string;
  /** The body: plain text (Markdown-friendly for robots). Adapters truncate to their provider's limit. */
  text: string;
  /** E-mail addresses (email) or phone numbers (sms, voice, robots' @mentions); empty for webhook/robots without mentions. */
  to: string[];
  /** Where the full alert can be read; appended when the body had to be truncated. */
  link?: string;
  /** Stable per notification: passed to providers that accept one (e-mail Message-ID, webhook header, Aliyun OutId). */
  idempotencyKey?: string;
  /** Structured fields for template-based providers (SMS/voice templates, webhook JSON). */
  fields?: Record<string, string>;
}

export interface SendResult {
  /** The provider's message or call id, when it returns one. */
  id?: string;
  /** The provider's success code, when it returns one (e.g. Aliyun `OK`, DingTalk `0`). */
  providerCode?: string;
}

/** The provider's published limits, used by delivery to pace and merge (issue 11 item 3). */
export interface ProviderLimits {
  /** Messages a minute one robot/account accepts (DingTalk 20, WeCom 20, Feishu 100). */
  perMinute?: number;
  /** Messages a second (Feishu 5). */
  perSecond?: number;
  /** Largest body in UTF-8 bytes (DingTalk 20,000, WeCom markdown 4,096). */
  maxBodyBytes?: number;
}

export interface NotificationChannel {
  readonly type: ChannelType;
  readonly limits: ProviderLimits;
  send(message: NotifyMessage): Promise<SendResult>;
}
