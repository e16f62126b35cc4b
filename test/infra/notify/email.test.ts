import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChannel } from '../../../src/infra/notify/createChannel.js';
import { messageIdOf } from '../../../src/infra/notify/emailChannel.js';
import { startSmtpServer } from '../../support/smtpServer.js';
import { expectSendError } from './channelErrors.js';

/** The e-mail channel over a real SMTP server (smtp-server): Message-ID from the idempotency key, permanent refusals. */
const log = { warn: () => {} };
const PASS = 'Smtp-Pass!42';

describe('e-mail channel', () => {
  let smtp: Awaited<ReturnType<typeof startSmtpServer>>;
  beforeAll(async () => {
    smtp = await startSmtpServer('alerts@example.com', PASS);
  });
  afterAll(async () => smtp?.close());
  const email = () => createChannel('email', { url: `smtp://alerts%40example.com:${encodeURIComponent(PASS)}@127.0.0.1:${smtp.port}` }, { log });

  it('sends with Message-ID <key@mcp-platform>, the same for a repeated send', async () => {
    const m = { subject: '【紧急】数据库不可用', text: '主库无法连接', to: ['ops@example.com'], idempotencyKey: 'alert.abc.firing.1' };
    const first = await email().send(m);
    await email().send(m);
    expect(first.id).toBe('<alert.abc.firing.1@mcp-platform>');
    expect(first.providerCode).toBe('250');
    const ids = smtp.mails.slice(-2).map((mail) => /^Message-ID:\s*(.*)$/im.exec(mail.raw)?.[1]);
    expect(ids).toEqual(['<alert.abc.firing.1@mcp-platform>', '<alert.abc.firing.1@mcp-platform>']);
    expect(smtp.mails.at(-1)!.subject).toBe('【紧急】数据库不可用');
  });

  it('hashes a key that cannot be a Message-ID', () => {
    expect(messageIdOf('alert:abc firing')).toMatch(/^<[0-9a-f]{64}@mcp-platform>$/);
    expect(messageIdOf('alert:abc firing')).toBe(messageIdOf('alert:abc firing'));
  });

  it('has no provider limits', () => {
    expect(email().limits).toEqual({});
  });
});

describe('e-mail channel, recipient refused', () => {
  let server: SMTPServer;
  let port: number;
  beforeAll(async () => {
    server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onRcptTo(address, _session, cb) {
        const err = Object.assign(new Error(`mailbox ${address.address} unavailable`), { responseCode: 550 });
        cb(err);
      },
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.server.address() as AddressInfo).port;
  });
  afterAll(async () => new Promise<void>((resolve) => server.close(() => resolve())));

  it('is INVALID with the SMTP code as providerCode (retrying cannot help)', async () => {
    const channel = createChannel('email', { url: `smtp://127.0.0.1:${port}`, from: 'alerts@example.com' }, { log });
    await expectSendError(channel.send({ subject: 's', text: 't', to: ['nobody@example.com'] }), 'INVALID', { providerCode: '550' });
  });
});
