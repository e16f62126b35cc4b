// An SMTP server inside the benchmark process (the smtp-server package, AUTH PLAIN/LOGIN without
// TLS, like test/support/smtpServer.ts) that decodes each message's subject and text and stamps
// the moment it accepted it (end of DATA, just before its 250) on the benchmark's monotonic clock.
import { SMTPServer } from 'smtp-server';

/** Decodes `=?UTF-8?B?…?=` / `=?UTF-8?Q?…?=` words of a header. */
function decodeWords(value) {
  return value
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/=\?utf-8\?([bq])\?([^?]*)\?=/gi, (_, enc, data) => (enc.toLowerCase() === 'b' ? Buffer.from(data, 'base64').toString('utf8') : decodeQp(data.replace(/_/g, ' '))));
}

function decodeQp(data) {
  const bytes = [];
  const s = data.replace(/=\r?\n/g, '');
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '=' && /^[0-9A-F]{2}$/i.test(s.slice(i + 1, i + 3))) {
      bytes.push(Number.parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(...Buffer.from(s[i], 'utf8'));
  }
  return Buffer.from(bytes).toString('utf8');
}

/** Subject and text of a message: single-part, or the text/plain (else first) part of a multipart one. */
export function parseMail(raw) {
  const split = raw.indexOf('\r\n\r\n');
  const head = raw.slice(0, split < 0 ? raw.length : split).replace(/\r\n[ \t]+/g, ' ');
  const body = split < 0 ? '' : raw.slice(split + 4);
  const header = (h, name) => new RegExp(`^${name}:\\s*(.*)$`, 'im').exec(h)?.[1] ?? '';
  const decodeBody = (h, b) => {
    const enc = header(h, 'Content-Transfer-Encoding').toLowerCase();
    return enc === 'base64' ? Buffer.from(b.replace(/\s+/g, ''), 'base64').toString('utf8') : enc === 'quoted-printable' ? decodeQp(b) : b;
  };
  const subject = decodeWords(header(head, 'Subject'));
  const boundary = /boundary="?([^";\s]+)"?/i.exec(header(head, 'Content-Type'))?.[1];
  if (!boundary) return { subject, text: decodeBody(head, body) };
  const parts = body
    .split(`--${boundary}`)
    .slice(1)
    .filter((p) => !p.startsWith('--'))
    .map((p) => {
      const s = p.replace(/^\r\n/, '');
      const i = s.indexOf('\r\n\r\n');
      return { head: s.slice(0, i).replace(/\r\n[ \t]+/g, ' '), body: s.slice(i + 4) };
    });
  const part = parts.find((p) => /text\/plain/i.test(header(p.head, 'Content-Type'))) ?? parts[0];
  return { subject, text: part ? decodeBody(part.head, part.body) : '' };
}

/**
 * Starts the sink on a free 127.0.0.1 port requiring `user`/`password`. `onMail({ subject, text,
 * to, at })` runs for every accepted message (`at` = `now()` when DATA ended).
 */
export async function startSmtpSink({ user, password, now, onMail }) {
  let accepted = 0;
  let refusedAuth = 0;
  const server = new SMTPServer({
    authOptional: false,
    allowInsecureAuth: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    size: 10 * 2 ** 20,
    maxClients: 1000,
    disableReverseLookup: true, // no DNS round trip per connection: it would add ~100 ms to every message, platform and baseline alike
    onAuth(auth, _session, cb) {
      if (auth.username === user && auth.password === password) cb(null, { user });
      else {
        refusedAuth++;
        cb(new Error('Invalid username or password'));
      }
    },
    onData(stream, session, cb) {
      const chunks = [];
      stream.on('data', (c) => chunks.push(c));
      stream.on('end', () => {
        const at = now();
        accepted++;
        const raw = Buffer.concat(chunks).toString('utf8');
        try {
          onMail({ ...parseMail(raw), to: session.envelope.rcptTo.map((r) => r.address), at, raw });
        } finally {
          cb();
        }
      });
    },
  });
  server.on('error', () => {}); // a client that drops its connection is not the sink's failure
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: server.server.address().port,
    stats: () => ({ accepted, refusedAuth }),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
