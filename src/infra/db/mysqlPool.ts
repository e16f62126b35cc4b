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

export interface ManagedMysqlPool extends MysqlPool {
  stats(): PoolStats;
}

/**
 * A mysql2 pool shaped like the manual's §7.2 SQLAlchemy QueuePool: `size` connections kept,
 * up to `overflow` more under load (closed again once idle), a caller waits at most
 * `timeoutSeconds` for a connection, and a connection older than `recycleSeconds` is replaced
 * instead of being handed out.
 */
export function createMysqlPool(url: string, cfg: PoolConfig): ManagedMysqlPool {
  const u = new URL(url);
  const raw: Pool = createPool({
    host: u.hostname,
    port: u.port ? Number(u.port) : 3306,
    user: decodeURIComponent(u.username) || 'root',
    password: decodeURIComponent(u.password),
    database: decodeURIComponent(u.pathname.replace(/^\//, '')),
    connectionLimit: cfg.size + cfg.overflow,
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
  const bornAt = new WeakMap<object, number>();
  // A dropped connection raises 'error' on the pool's connection; mysql2 removes it from the
  // pool itself. Without a listener the process would crash.
  raw.on('connection', (conn) => {
    bornAt.set(conn, Date.now());
    conn.on('error', () => {});
  });
  let inUse = 0;
  let waiting = 0;
  const max = cfg.size + cfg.overflow;

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
    raw.getConnection((err, conn: PoolConnection) => {
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
      inUse++;
      let released = false;
      const handle = {
        query: conn.query.bind(conn) as MysqlPoolConnection['query'],
        release: () => {
          if (released) return;
          released = true;
          inUse--;
          conn.release();
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
      raw.end((err) => cb(err ?? null));
    },
    stats() {
      const internals = raw as unknown as { _allConnections?: { length: number }; _freeConnections?: { length: number } };
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
