import { createConnection, type Connection } from 'mysql2/promise';
import { type Endpoint, endpointLabel } from './mysqlPool.js';

/**
 * Finds the primary among the servers the platform knows (MCP_DB_URL's and MCP_DB_REPLICA_URLS'),
 * by what they report — not by a file or a restart (issue 12 item 3). The primary is the one
 * writable server that replicates from nobody (`@@read_only = 0`, no replica status). While a
 * switchover runs no server qualifies for a moment, and with two writable servers (split brain)
 * nothing is decided: in both cases the pool keeps its target, so a write on a demoted primary
 * fails (read-only) rather than landing on the wrong server.
 *
 * The check runs every `intervalMs` (each server over one kept connection) and at once on
 * `refresh()` — which the pool calls when a statement hits a read-only server.
 */
export interface PrimaryWatch {
  /** Checks now (concurrent calls share one check); resolves once `onPrimary` was called if the primary moved. */
  refresh(): Promise<void>;
  /** The servers and what each reported at the last check. */
  last(): { endpoint: string; reachable: boolean; readOnly: boolean | null; replica: boolean | null }[];
  stop(): Promise<void>;
}

export interface PrimaryWatchOptions {
  endpoints: readonly Endpoint[];
  user: string;
  password: string;
  intervalMs: number;
  /** The pool's current target. */
  current(): Endpoint;
  /** Called with the new primary when it is not the current target. */
  onPrimary(primary: Endpoint): void;
  log?: { warn(obj: object, msg: string): void; info(obj: object, msg: string): void };
}

const same = (a: Endpoint, b: Endpoint) => a.host === b.host && a.port === b.port;

export function watchPrimary(o: PrimaryWatchOptions): PrimaryWatch {
  const conns = new Map<string, Connection>();
  let report: ReturnType<PrimaryWatch['last']> = [];
  let stopped = false;
  let running: Promise<void> | undefined;
  let warned = '';

  const ask = async (e: Endpoint): Promise<{ readOnly: boolean; replica: boolean | null }> => {
    const key = endpointLabel(e);
    let c = conns.get(key);
    if (!c) {
      c = await createConnection({ host: e.host, port: e.port, user: o.user, password: o.password, connectTimeout: Math.max(500, Math.min(o.intervalMs, 2000)) });
      c.on('error', () => conns.delete(key));
      conns.set(key, c);
    }
    try {
      const [rows] = (await c.query('SELECT @@global.read_only AS ro')) as unknown as [{ ro: number | string }[]];
      let replica: boolean | null = null;
      try {
        const [status] = (await c.query('SHOW SLAVE STATUS')) as unknown as [unknown[]];
        replica = status.length > 0;
      } catch {
        // no REPLICATION CLIENT / SLAVE MONITOR privilege: read_only alone decides
      }
      return { readOnly: Number(rows[0]?.ro) === 1, replica };
    } catch (err) {
      conns.delete(key);
      c.destroy();
      throw err;
    }
  };

  const check = async () => {
    const results = await Promise.all(
      o.endpoints.map(async (endpoint) => {
        try {
          return { endpoint, reachable: true, ...(await ask(endpoint)) };
        } catch {
          return { endpoint, reachable: false, readOnly: null, replica: null };
        }
      }),
    );
    report = results.map((r) => ({ endpoint: endpointLabel(r.endpoint), reachable: r.reachable, readOnly: r.readOnly, replica: r.replica }));
    const writable = results.filter((r) => r.reachable && r.readOnly === false && r.replica !== true);
    if (writable.length > 1) {
      const which = writable.map((w) => endpointLabel(w.endpoint)).join(', ');
      if (warned !== which) o.log?.warn({ writable: which }, 'more than one database server is writable (split brain): the write pool keeps its target');
      warned = which;
      return;
    }
    warned = '';
    const primary = writable[0]?.endpoint;
    if (primary && !same(primary, o.current())) {
      o.log?.info({ from: endpointLabel(o.current()), to: endpointLabel(primary) }, 'the database primary moved: the write pool follows it');
      o.onPrimary(primary);
    }
  };

  const run = () =>
    (running ??= check()
      .catch(() => undefined)
      .finally(() => {
        running = undefined;
      }));
  // A refresh must see the servers as they are now: it waits for a check already under way (which
  // may have read them before the change) and then checks again; callers meanwhile share that one.
  let queued: Promise<void> | undefined;
  const refresh = () =>
    (queued ??= (async () => {
      await running;
      queued = undefined;
      await run();
    })());

  let timer: NodeJS.Timeout | undefined;
  const loop = () => {
    if (stopped) return;
    void run().finally(() => {
      if (!stopped) timer = setTimeout(loop, o.intervalMs);
      timer?.unref();
    });
  };
  loop();

  return {
    refresh,
    last: () => report,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
      await Promise.allSettled([...conns.values()].map((c) => c.end()));
      conns.clear();
    },
  };
}
