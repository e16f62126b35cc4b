import type { Logger } from 'pino';
import type { NotificationChannel } from './channel.js';
import { checkMessage } from './notifyRules.js';

/** The embedded twin of the e-mail channel: the message as one line of the app log (no SMTP server needed). */
export function createLogChannel(log: Pick<Logger, 'info'>): NotificationChannel {
  return {
    name: 'log',
    async send(message) {
      checkMessage(message);
      log.info({ notify: { to: message.to, subject: message.subject, text: message.text } }, `notification: ${message.subject}`);
      return {};
    },
  };
}
