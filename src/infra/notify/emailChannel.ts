import { createHash } from 'node:crypto';
import nodemailer from 'nodemailer';
import { AppError } from '../../errors/appError.js';
import type { NotificationChannel } from './channel.js';
import { checkMessage } from './notifyRules.js';

export interface EmailChannelOptions {
  /** `smtp://user:pass@host:587` (STARTTLS when offered) or `smtps://user:pass@host:465` (TLS). */
  url: string;
  /** Sender address; defaults to the URL's user when it is an address, else `mcp-platform@<host>`. */
  from?: string;
  /** Milliseconds for connecting, greeting and each SMTP command. */
  timeoutMs?: number;
}

/** The SMTP server as `host:port`, never with its credentials (for messages and logs). */
function serverOf(url: string): string {
  const u = new URL(url);
  return `${u.hostname}:${u.port || (u.protocol === 'smtps:' ? '465' : '587')}`;
}

/**
 * The Message-ID for an idempotency key: `<key@mcp-platform>`, so a message sent twice carries the
 * same id and mail clients show it once. A key with characters a Message-ID cannot hold (RFC 5322
 * dot-atom) is replaced by its SHA-256.
 */
export function messageIdOf(idempotencyKey: string): string {
  const local =
    /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/.test(idempotencyKey) && idempotencyKey.length <= 200
      ? idempotencyKey
      : createHash('sha256').update(idempotencyKey, 'utf8').digest('hex');
  return `<${local}@mcp-platform>`;
}

/** The real e-mail channel: nodemailer over MCP_SMTP_URL, one connection per message. */
export function createEmailChannel(options: EmailChannelOptions): NotificationChannel {
  const timeout = options.timeoutMs ?? 10_000;
  const u = new URL(options.url);
  const user = decodeURIComponent(u.username);
  const server = serverOf(options.url);
  const from = options.from ?? (user.includes('@') ? user : `mcp-platform@${u.hostname}`);
  return {
    type: 'email',
    limits: {},
    async send(message) {
      checkMessage(message);
      const transport = nodemailer.createTransport({
        host: u.hostname,
        port: Number(u.port || (u.protocol === 'smtps:' ? 465 : 587)),
        secure: u.protocol === 'smtps:',
        auth: user ? { user, pass: decodeURIComponent(u.password) } : undefined,
        connectionTimeout: timeout,
        greetingTimeout: timeout,
        socketTimeout: timeout,
        logger: false,
        debug: false,
      });
      try {
        const info = await transport.sendMail({
          from,
          to: message.to,
          subject: message.subject,
          text: message.text,
          ...(message.idempotencyKey ? { messageId: messageIdOf(message.idempotencyKey) } : {}),
        });
        return { id: info.messageId, ...(info.response ? { providerCode: info.response.slice(0, 3) } : {}) };
      } catch (e) {
        const err = e as { code?: string; responseCode?: number; message?: string };
        const reason =
          err.code === 'EAUTH'
            ? 'authentication refused (check the user and password in MCP_SMTP_URL)'
            : err.code === 'ETIMEDOUT'
              ? `no answer within ${timeout} ms`
              : err.code === 'ECONNECTION' || err.code === 'ESOCKET'
                ? `cannot connect (${(err.message ?? '').replace(/\s+/g, ' ').slice(0, 120)})`
                : `${err.code ?? 'error'}${err.responseCode ? ` ${err.responseCode}` : ''}`;
        const providerCode = err.responseCode ? String(err.responseCode) : undefined;
        // A 5xx answer to the envelope (unknown mailbox, relay refused) is permanent; anything else may pass later.
        const permanent = err.code === 'EENVELOPE' && (err.responseCode ?? 0) >= 500;
        throw new AppError(
          permanent ? 'INVALID' : 'UNAVAILABLE',
          `SMTP server ${server}: ${reason}`,
          { server, code: err.code, ...(providerCode ? { providerCode } : {}) },
          { cause: e },
        );
      } finally {
        transport.close();
      }
    },
  };
}
