import type { Logger } from 'pino';
import type { Config } from '../../config/config.js';
import type { Clock } from '../../infra/clock.js';
import type { Database } from '../../infra/db/database.js';
import type { AuditLog } from '../system/contract.js';
import { createNotifyConfigService, type NotifyConfigService } from './notifyConfig.js';
import { type ChannelFactory, defaultChannelFactory } from './notifyConfigChannels.js';
import { notifyKeyOf } from './secretBox.js';

/**
 * The notification configuration over a platform's parts (the CLI and the server): the key from
 * MCP_NOTIFY_KEY (or generated into the data dir), the built-in channels from MCP_SMTP_URL and
 * MCP_NOTIFY_EMAIL_TO, and the channel factory (default: `defaultChannelFactory`).
 */
export function notifyConfigOf(
  p: { database: Database; audit: AuditLog; clock: Clock; log: Pick<Logger, 'warn'>; config: Pick<Config, 'dataDir' | 'notify'> },
  o: { channels?: ChannelFactory; smtpTimeoutMs?: number } = {},
): NotifyConfigService {
  return createNotifyConfigService({
    database: p.database,
    audit: p.audit,
    clock: p.clock,
    log: p.log,
    key: notifyKeyOf(p.config),
    channels: o.channels ?? defaultChannelFactory(p.log),
    env: p.config.notify,
    smtpTimeoutMs: o.smtpTimeoutMs,
  });
}
