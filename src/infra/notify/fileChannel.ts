import { open } from 'node:fs/promises';
import type { ChannelType, NotificationChannel } from './channel.js';
import { checkMessage } from './notifyRules.js';

/**
 * The file twin: every message appended as one JSON line to a file created with mode 0600 — for
 * tests and for an operator who wants to see what would be sent. `as` is the channel type it
 * stands in for (its recipient rules apply, and it is written into each line).
 */
export function createFileChannel(path: string, as: ChannelType = 'log'): NotificationChannel {
  return {
    type: 'log',
    limits: {},
    async send(message) {
      checkMessage(message, as);
      const line = `${JSON.stringify({
        at: new Date().toISOString(),
        as,
        to: message.to,
        subject: message.subject,
        text: message.text,
        ...(message.link ? { link: message.link } : {}),
        ...(message.fields ? { fields: message.fields } : {}),
        ...(message.idempotencyKey ? { idempotencyKey: message.idempotencyKey } : {}),
      })}\n`;
      const file = await open(path, 'a', 0o600);
      try {
        await file.chmod(0o600);
        await file.appendFile(line, 'utf8');
      } finally {
        await file.close();
      }
      return {};
    },
  };
}
