import { createPool, type Pool, type PoolConnection } from 'mysql2';
import type { MysqlPool, MysqlPoolConnection } from 'kysely';
import type { PoolConfig } from '../../config/config.js';
import { unavailable } from '../../errors/appError.js';

/** Figures of a connection pool, for readiness detail and metrics. */
export interface PoolStats {
  max: number;
  total: number;
  inUse: number;
  idle: number;
  waiting: number;
}

/** A MySQL/MariaDB server: where the pool's connections go. */
export interface Endpoint {
  host: string;
  port: number;
}

export const endpointLabel = (e: Endpoint): string => `${e.host}:${e.port}`;

export interface ManagedMysqlPool extends MysqlPool {
  stats(): PoolStats;
  /** The server new connections go to. */
  target(): Endpoint;
  /**
   * New connections go to `to` from now on (the primary changed); connections to the old server
   * finish what they run and are closed when released, the old pool ended once none is in use.
   */
  retarget(to: Endpoint): void;
}

export interface MysqlPoolOptions {
  /**
   * Called when a statement fails because the server is read-only (errno 1290 / 1836: a demoted
   * primary). It should find the primary and `retarget` the pool; the statement is then run once
   * more on the new target when it was not inside a transaction — inside one, it fails with
   * UNAVAILABLE (nothing of the transaction was written) and the caller may retry.
   */
  onReadOnly?: () => Promise<void>;
}

/** errno of "the server is read-only": ER_OPTION_PREVENTS_STATEMENT (1290, --read-only) and ER_READ_ONLY_MODE (1836). */
export function isReadOnlyError(err: unknown): boolean {
  const errno = (err as { errno?: unknown } | null)?.errno;
  return errno === 1290 || errno === 1836;
}

const TX_BEGIN = /^\s*(start\s+transaction|begin)\b/i;
const TX_END = /^\s*(commit|rollback)\s*$/i;

/**
 * A mysql2 pool shaped like the manual's §7.2 SQLAlchemy QueuePool: `size` connections kept,
 * up to `overflow` more under load (closed again once idle), a caller waits at most
 * `timeoutSeconds` for a connection, and a connection older than `recycleSeconds` is replaced
 * instead of being handed out. It can be pointed at another server while running (`retarget`).
 */
export function createMysqlPool(url: string, cfg: PoolConfig, options: MysqlPoolOptions = {}): ManagedMysqlPool {
  const u = new URL(url);
  const max = cfg.size + cfg.overflow;
  interface Generation {
    endpoint: Endpoint;
    raw: Pool;
    inUse: number;
    retired: boolean;
  }
  const bornAt = new WeakMap<object, number>();
  const open = (endpoint: Endpoint): Generation => {
    const raw: Pool = createPool({
      host: endpoint.host,
      port: endpoint.port,
      user: decodeURIComponent(u.username) || 'root',
      password: decodeURIComponent(u.password),
      database: decodeURIComponent(u.pathname.replace(/^\//, '')),
      connectionLimit: max,
      maxIdle: cfg.size,
      idleTimeout: 60_000,
      waitForConnections: true,
      queueLimit: 0,
      connectTimeout: 5_000,
      dateStrings: true,
      timezone: 'Z',
      charset: 'utf8mb4_unicode_ci',
      supportBigNumbers: true,
      enableKeepAlive: true,
    });
    // A dropped connection raises 'error' on the pool's connection; mysql2 removes it from the
    // pool itself. Without a listener the process would crash.
    raw.on('connection', (conn) => {
      bornAt.set(conn, Date.now());
      conn.on('error', () => {});
    });
    return { endpoint, raw, inUse: 0, retired: false };
  };
  let current = open({ host: u.hostname, port: u.port ? Number(u.port) : 3306 });
  let waiting = 0;
  let closed = false;
  const retired: Generation[] = [];
  const endWhenIdle = (g: Generation) => {
    if (!g.retired || g.inUse !== 0) return;
    const i = retired.indexOf(g);
    if (i < 0) return; // already ended
    retired.splice(i, 1);
    g.raw.end(() => undefined);
  };

  /** Runs one statement again on a fresh connection of the current target (after a read-only error). */
  const rerun = (sql: unknown, params: unknown, cb: (err: unknown, result?: unknown) => void) => {
    current.raw.getConnection((err, conn) => {
      if (err) return cb(err);
      conn.query(sql as string, params as unknown[], (e, r) => {
        conn.release();
        cb(e, r);
      });
    });
  };

  function acquire(deadline: number, cb: (error: unknown, connection: MysqlPoolConnection) => void): void {
    let settled = false;
    const timer = setTimeout(
      () => {
        settled = true;
        waiting--;
        cb(unavailable(`no free database connection within ${cfg.timeoutSeconds} s (pool of ${max} busy)`), undefined as never);
      },
      Math.max(0, deadline - Date.now()),
    );
    const g = current;
    g.raw.getConnection((err, conn: PoolConnection) => {
      if (settled) {
        conn?.release();
        return;
      }
      settled = true;
      clearTimeout(timer);
      if (err) {
        waiting--;
        cb(err, undefined as never);
        return;
      }
      const age = Date.now() - (bornAt.get(conn) ?? Date.now());
      if (age > cfg.recycleSeconds * 1000) {
        conn.destroy();
        acquire(deadline, cb);
        return;
      }
      waiting--;
      g.inUse++;
      let released = false;
      let inTransaction = false;
      const query = ((sql: unknown, params: unknown, callback?: (err: unknown, result?: unknown) => void) => {
        if (!callback) return conn.query(sql as string, params as unknown[]); // a streamed query
        const text = typeof sql === 'string' ? sql : String((sql as { sql?: unknown }).sql ?? '');
        conn.query(sql as string, params as unknown[], (e: unknown, result: unknown) => {
          if (!e) {
            if (TX_BEGIN.test(text)) inTransaction = true;
            else if (TX_END.test(text)) inTransaction = false;
            return callback(null, result);
          }
          if (!isReadOnlyError(e) || !options.onReadOnly) return callback(e);
          const inTx = inTransaction;
          options.onReadOnly().then(
            () => {
              if (inTx) return callback(unavailable('the database primary changed during this transaction; none of it was written — retry', e, { code: 'PRIMARY_CHANGED' }));
              rerun(sql, params, callback);
            },
            () => callback(e),
          );
        });
      }) as MysqlPoolConnection['query'];
      const handle = {
        query,
        release: () => {
          if (released) return;
          released = true;
          g.inUse--;
          // a connection to a server that is no longer the target is not reused
          if (g.retired) conn.destroy();
          else conn.release();
          endWhenIdle(g);
        },
      };
      cb(null, handle);
    });
  }

  return {
    getConnection(cb) {
      waiting++;
      acquire(Date.now() + cfg.timeoutSeconds * 1000, cb);
    },
    end(cb) {
      // every pool this one opened, the retired ones too: no idle timer may keep the process alive
      closed = true;
      const all = [current, ...retired.splice(0)];
      Promise.all(all.map((g) => new Promise<unknown>((resolve) => g.raw.end((err) => resolve(err))))).then((errs) => cb((errs.find(Boolean) as Error | undefined) ?? null));
    },
    target: () => ({ ...current.endpoint }),
    retarget(to) {
      if (closed) return;
      if (to.host === current.endpoint.host && to.port === current.endpoint.port) return;
      const old = current;
      current = open({ ...to });
      old.retired = true;
      retired.push(old);
      endWhenIdle(old);
    },
    stats() {
      const internals = current.raw as unknown as { _allConnections?: { length: number }; _freeConnections?: { length: number } };
      const inUse = current.inUse;
      const total = internals._allConnections?.length ?? inUse;
      return { max, total, inUse, idle: internals._freeConnections?.length ?? Math.max(0, total - inUse), waiting };
    },
  };
}

const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EPIPE',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ER_CON_COUNT_ERROR',
  'ER_SERVER_SHUTDOWN',
  'ER_ACCESS_DENIED_ERROR',
  'ER_BAD_DB_ERROR',
]);

/** True when a driver error means "the database cannot be used right now" (→ 503), not a bad query. */
export function isMysqlUnreachable(err: unknown): boolean {
  const e = err as { code?: string; fatal?: boolean } | null;
  if (!e || typeof e !== 'object') return false;
  return (e.code !== undefined && UNREACHABLE_CODES.has(e.code)) || e.fatal === true;
}
