import type { Logger } from 'pino';
import type { Lang } from '../../i18n/messages.js';
import type { ChannelType, NotificationChannel } from '../../infra/notify/channel.js';
import { CHANNEL_SECRET_FIELDS, createChannel, validateChannelConfig } from '../../infra/notify/createChannel.js';

/**
 * What the notification configuration needs from the channel adapters: which config fields are
 * secret, validation of a whole config (INVALID naming the field), and building the channel.
 * The adapters' factory (src/infra/notify/createChannel.ts: CHANNEL_SECRET_FIELDS,
 * validateChannelConfig, createChannel) provides all three.
 */
export interface ChannelFactory {
  secretFields(type: ChannelType): readonly string[];
  /** The normalised config; throws INVALID naming the field. */
  validate(type: ChannelType, config: unknown): Record<string, unknown>;
  create(type: ChannelType, config: Record<string, unknown>): NotificationChannel;
}

/** The factory the CLI and the server use. */
export function defaultChannelFactory(log: Pick<Logger, 'warn'>, o: { timeoutMs?: number; lang?: Lang } = {}): ChannelFactory {
  return {
    secretFields: (type) => CHANNEL_SECRET_FIELDS[type],
    validate: validateChannelConfig,
    create: (type, config) => createChannel(type, config, { log, timeoutMs: o.timeoutMs, lang: o.lang }),
  };
}
