import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach } from 'vitest';

/** One request the receiver got. */
export interface ReceivedRequest {
  method: string;
  /** The path without the query. */
  path: string;
  /** The raw query string (without `?`), exactly as sent. */
  rawQuery: string;
  /** The query decoded (last value wins). */
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
  body: string;
  /** The body parsed as JSON, or undefined. */
  json: unknown;
}

/** What the receiver answers: a status and a body (objects sent as JSON); `hang` never answers. */
export interface Reply {
  status?: number;
  body?: unknown;
  headers?: Record<string, string>;
  hang?: boolean;
}

export interface HttpReceiver {
  /** `http://127.0.0.1:<port>` */
  url: string;
  port: number;
  requests: ReceivedRequest[];
  /** Queues replies for the next requests, in order; once empty, the default reply is used. */
  reply(...replies: Reply[]): void;
  /** The reply when the queue is empty (initially 200 with `{}`). */
  setDefault(reply: Reply): void;
  /** Forgets the recorded requests and queued replies; `reply` becomes the default. */
  reset(reply: Reply): void;
  close(): Promise<void>;
}

/** A real HTTP server on a free local port that records every request and answers as programmed. */
export async function startHttpReceiver(defaultReply: Reply = { status: 200, body: {} }): Promise<HttpReceiver> {
  const requests: ReceivedRequest[] = [];
  const queue: Reply[] = [];
  let fallback = defaultReply;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const target = req.url ?? '/';
      const q = target.indexOf('?');
      const rawQuery = q >= 0 ? target.slice(q + 1) : '';
      let json: unknown;
      try {
        json = body ? JSON.parse(body) : undefined;
      } catch {
        json = undefined;
      }
      requests.push({
        method: req.method ?? '',
        path: q >= 0 ? target.slice(0, q) : target,
        rawQuery,
        query: Object.fromEntries(new URLSearchParams(rawQuery)),
        headers: req.headers,
        body,
        json,
      });
      const reply = queue.shift() ?? fallback;
      if (reply.hang) return;
      const payload = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body ?? {});
      res.writeHead(reply.status ?? 200, { 'content-type': typeof reply.body === 'string' ? 'text/plain' : 'application/json', ...reply.headers });
      res.end(payload);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    reply: (...replies) => void queue.push(...replies),
    setDefault: (reply) => void (fallback = reply),
    reset: (reply) => {
      requests.length = 0;
      queue.length = 0;
      fallback = reply;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * One receiver for a test file or describe block: started before all, closed after all, and before
 * each test its recorded requests and queued replies cleared and `defaultReply` set again. The
 * returned object forwards to the running receiver.
 */
export function useHttpReceiver(defaultReply: Reply = { status: 200, body: {} }): HttpReceiver {
  let rx: HttpReceiver | undefined;
  const current = () => {
    if (!rx) throw new Error('the HTTP receiver is not started (use it inside a test)');
    return rx;
  };
  beforeAll(async () => {
    rx = await startHttpReceiver(defaultReply);
  });
  afterAll(async () => rx?.close());
  beforeEach(() => current().reset(defaultReply));
  return {
    get url() {
      return current().url;
    },
    get port() {
      return current().port;
    },
    get requests() {
      return current().requests;
    },
    reply: (...replies) => current().reply(...replies),
    setDefault: (reply) => current().setDefault(reply),
    reset: (reply) => current().reset(reply),
    close: () => current().close(),
  };
}
