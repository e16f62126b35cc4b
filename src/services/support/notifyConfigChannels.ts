import type { Logger } from 'pino';
import { AppError, invalid } from '../../errors/appError.js';
import type { ChannelType, NotificationChannel } from '../../infra/notify/channel.js';
import { createEmailChannel } from '../../infra/notify/emailChannel.js';
import { createLogChannel } from '../../infra/notify/logChannel.js';

/**
 * What the notification configuration needs from the channel adapters: which config fields are
 * secret, validation of a whole config (INVALID naming the field), and building the channel.
 * The adapters' factory (src/infra/notify/createChannel.ts: CHANNEL_SECRET_FIELDS,
 * validateChannelConfig, createChannel) provides all three; `basicChannelFactory` below covers
 * e-mail and the log twin only, for the faces until that factory is wired in
 * (`defaultChannelFactory` is the one place to switch).
 */
export interface ChannelFactory {
  secretFields(type: ChannelType): readonly string[];
  /** The normalised config; throws INVALID naming the field. */
  validate(type: ChannelType, config: unknown): Record<string, unknown>;
  create(type: ChannelType, config: Record<string, unknown>): NotificationChannel;
}

const EMAIL_FIELDS = ['host', 'port', 'secure', 'username', 'password', 'from'];

/**
 * E-mail (`{host, port?, secure?, username?, password?, from?}`, `password` secret) and log (`{}`);
 * every other type is refused with INVALID until the adapters' factory is wired in.
 */
export function basicChannelFactory(log: Pick<Logger, 'warn'>, o: { timeoutMs?: number } = {}): ChannelFactory {
  return {
    secretFields: (type) => (type === 'email' ? ['password'] : []),
    validate(type, config) {
      if (typeof config !== 'object' || config === null || Array.isArray(config)) throw invalid('config: must be an object', { field: 'config' });
      const c = config as Record<string, unknown>;
      if (type === 'log') {
        const extra = Object.keys(c);
        if (extra.length) throw invalid(`config.${extra[0]}: unknown field`, { field: `config.${extra[0]}` });
        return {};
      }
      if (type !== 'email') throw invalid(`type: channel type ${type} is not available here`, { field: 'type' });
      for (const k of Object.keys(c)) if (!EMAIL_FIELDS.includes(k)) throw invalid(`config.${k}: unknown field`, { field: `config.${k}` });
      if (typeof c.host !== 'string' || !/^[a-zA-Z0-9.-]{1,253}$/.test(c.host)) throw invalid('config.host: a host name is required', { field: 'config.host' });
      const port = c.port ?? 587;
      if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) throw invalid('config.port: must be an integer 1–65535', { field: 'config.port' });
      if (c.secure !== undefined && typeof c.secure !== 'boolean') throw invalid('config.secure: must be true or false', { field: 'config.secure' });
      for (const k of ['username', 'password', 'from'] as const)
        if (c[k] !== undefined && (typeof c[k] !== 'string' || (c[k] as string).length > 255)) throw invalid(`config.${k}: must be a string`, { field: `config.${k}` });
      return { ...c, port };
    },
    create(type, config) {
      if (type === 'log') return createLogChannel(log);
      if (type !== 'email') throw new AppError('INVALID', `channel type ${type} is not available here`);
      const auth = config.username ? `${encodeURIComponent(String(config.username))}:${encodeURIComponent(String(config.password ?? ''))}@` : '';
      const url = `${config.secure ? 'smtps' : 'smtp'}://${auth}${String(config.host)}:${String(config.port ?? 587)}`;
      return createEmailChannel({ url, from: config.from as string | undefined, timeoutMs: o.timeoutMs });
    },
  };
}

/** The factory the CLI and the server use. */
export function defaultChannelFactory(log: Pick<Logger, 'warn'>): ChannelFactory {
  return basicChannelFactory(log);
}
