import type { Logger } from 'pino';
import type { NotificationChannel } from './channel.js';
import { checkMessage } from './notifyRules.js';

/**
 * The embedded twin of the e-mail channel: the message as one line of the app log (no SMTP server
 * needed), at level warn so it shows wherever warnings do (the server's app log, the CLI's stderr).
 */
export function createLogChannel(log: Pick<Logger, 'warn'>): NotificationChannel {
  return {
    type: 'log',
    limits: {},
    async send(message) {
      checkMessage(message);
      log.warn({ notify: { to: message.to, subject: message.subject, text: message.text } }, `notification: ${message.subject}`);
      return {};
    },
  };
}
