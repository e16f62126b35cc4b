import type { Logger } from 'pino';
import type { ChannelType, NotificationChannel } from './channel.js';
import { checkMessage } from './notifyRules.js';

/**
 * The embedded twin of every channel: the message as one line of the app log (no server needed),
 * at level warn so it shows wherever warnings do (the server's app log, the CLI's stderr). `as` is
 * the channel type it stands in for: that type's recipient rules apply (default e-mail).
 */
export function createLogChannel(log: Pick<Logger, 'warn'>, as: ChannelType = 'email'): NotificationChannel {
  return {
    type: 'log',
    limits: {},
    async send(message) {
      checkMessage(message, as);
      log.warn({ notify: { as, to: message.to, subject: message.subject, text: message.text } }, `notification: ${message.subject}`);
      return {};
    },
  };
}
