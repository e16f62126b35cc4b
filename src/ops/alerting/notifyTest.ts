import type { Logger } from 'pino';
import type { Config } from '../../config/config.js';
import { AppError } from '../../errors/appError.js';
import type { Lang } from '../../i18n/messages.js';
import type { NotificationChannel } from '../../infra/notify/channel.js';
import { createEmailChannel } from '../../infra/notify/emailChannel.js';
import { createLogChannel } from '../../infra/notify/logChannel.js';
import type { Actor } from '../../services/actor.js';
import type { NotifyConfigService } from '../../services/support/notifyConfig.js';
import type { AuditLog } from '../../services/system/contract.js';
import { runAudited } from '../audited.js';

export type ChannelName = 'email' | 'log';
export const CHANNELS: readonly ChannelName[] = ['email', 'log'];

export interface NotifyDeps {
  audit: AuditLog;
  log: Logger;
  notify: Config['notify'];
  /** Milliseconds the e-mail channel waits for the SMTP server (default 10 s). */
  smtpTimeoutMs?: number;
  /** The stored channels (issue 11): `channel` may name one of them. */
  notifyConfig?: NotifyConfigService;
}

export interface NotifyTestResult {
  channel: string;
  to: string[];
  subject: string;
  id?: string;
}

const TEXT = {
  'zh-CN': {
    subject: 'mcp-platform 测试通知',
    body: (channel: string, actor: string) => `这是一条来自 mcp-platform 的测试通知（渠道：${channel}，发起人：${actor}）。收到此消息说明通知渠道配置正确，无需处理。`,
  },
  en: {
    subject: 'mcp-platform test notification',
    body: (channel: string, actor: string) =>
      `This is a test notification from mcp-platform (channel: ${channel}, sent by ${actor}). Receiving it means the channel is configured correctly; no action is needed.`,
  },
} as const;

/** The channel by name: `email` needs MCP_SMTP_URL, `log` is always there. */
export function notificationChannel(deps: NotifyDeps, name: ChannelName): NotificationChannel {
  if (name === 'log') return createLogChannel(deps.log, 'log');
  if (!deps.notify.smtpUrl) throw new AppError('INVALID', 'the e-mail channel is not configured: set MCP_SMTP_URL (smtp://user:pass@host:587)');
  return createEmailChannel({ url: deps.notify.smtpUrl, timeoutMs: deps.smtpTimeoutMs });
}

/**
 * Sends a test message through one channel (manual §3), audited as `ops.notify.test` (started, then
 * finished with success or failure and the error). The built-ins `email` and `log` send to
 * MCP_NOTIFY_EMAIL_TO; a stored channel sends to the recipients its routes give it (for e-mail,
 * MCP_NOTIFY_EMAIL_TO when no route gives it any).
 */
export async function sendTestNotification(deps: NotifyDeps, o: { channel: string; actor: Actor; lang?: Lang }): Promise<NotifyTestResult> {
  const builtin = (CHANNELS as readonly string[]).includes(o.channel);
  if (!builtin && !deps.notifyConfig) throw new AppError('INVALID', `channel: ${o.channel} (email or log)`);
  let to: string[];
  if (builtin || !deps.notifyConfig) {
    to = deps.notify.emailTo;
    // the log channel needs nobody: it writes to the app log
    if (to.length === 0 && o.channel !== 'log') throw new AppError('INVALID', 'no recipient is configured: set MCP_NOTIFY_EMAIL_TO (ops@example.com,oncall@example.com)');
  } else {
    const r = await deps.notifyConfig.recipientsOf(o.channel);
    to = r.to;
    if (to.length === 0 && r.type !== 'webhook' && !['dingtalk', 'wecom', 'feishu'].includes(r.type))
      throw new AppError('INVALID', `channel ${o.channel} has no recipient: put it in a route whose groups have contacts (or set MCP_NOTIFY_EMAIL_TO for e-mail)`);
  }
  const t = TEXT[o.lang ?? 'zh-CN'];
  const subject = t.subject;
  return runAudited({ audit: deps.audit, log: deps.log }, { kind: 'notify.test', actor: o.actor, target: `notify:${o.channel}`, details: { channel: o.channel, to } }, async () => {
    const channel = builtin || !deps.notifyConfig ? notificationChannel(deps, o.channel as ChannelName) : await deps.notifyConfig.loadChannel(o.channel);
    const sent = await channel.send({ subject, text: t.body(o.channel, o.actor.actor), to });
    return { channel: o.channel, to, subject, ...(sent.id ? { id: sent.id } : {}) };
  });
}
