import net from 'node:net';

/**
 * A TCP proxy on 127.0.0.1 for fault tests: point a client at `port` instead of the real service,
 * then `cut()` to simulate the service going away (every proxied connection is reset and new
 * connections are refused) and `restore()` to bring it back on the same port. The real service is
 * never touched.
 */
export interface TcpProxy {
  readonly port: number;
  /** Resets all proxied connections and stops listening, so new connections are refused. */
  cut(): void;
  /** Listens again on the same port. */
  restore(): Promise<void>;
  /** Resets all connections and stops listening for good. */
  close(): Promise<void>;
}

function listen(server: net.Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      const address = server.address();
      if (address === null || typeof address === 'string') reject(new Error('proxy has no TCP address'));
      else resolve(address.port);
    });
  });
}

/**
 * `delayMs`: every chunk is forwarded that long after it arrived, in both directions, in order — a
 * slow network path (one-way latency). Bytes still "on the wire" when the proxy is cut are lost.
 */
export async function startTcpProxy(targetHost: string, targetPort: number, o: { delayMs?: number } = {}): Promise<TcpProxy> {
  const sockets = new Set<net.Socket>();
  const track = (socket: net.Socket): void => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  };

  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, targetHost);
    track(client);
    track(upstream);
    // Either side failing or closing tears down the pair, as a broken network path would.
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    if (o.delayMs) {
      forwardLater(client, upstream, o.delayMs);
      forwardLater(upstream, client, o.delayMs);
    } else {
      client.pipe(upstream);
      upstream.pipe(client);
    }
  });
  const port = await listen(server, 0);

  /** Settles once the server has fully stopped (all its connections gone). */
  let stopped: Promise<void> = Promise.resolve();
  const cutAll = (): Promise<void> => {
    if (server.listening) stopped = new Promise((resolve) => server.close(() => resolve()));
    for (const socket of sockets) socket.resetAndDestroy();
    sockets.clear();
    return stopped;
  };

  return {
    port,
    cut() {
      void cutAll();
    },
    async restore() {
      await stopped;
      if (!server.listening) await listen(server, port);
    },
    close: cutAll,
  };
}

/** Writes each chunk of `from` to `to` `delayMs` after it arrived (timers of one delay fire in order). */
function forwardLater(from: net.Socket, to: net.Socket, delayMs: number): void {
  from.on('data', (chunk) => {
    setTimeout(() => {
      if (!to.destroyed) to.write(chunk);
    }, delayMs);
  });
}
