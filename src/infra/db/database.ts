import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import { CompiledQuery, Kysely, MysqlDialect, SqliteAdapter, SqliteDialect, sql, type Dialect as KyselyDialect, type Transaction } from 'kysely';
import type { PoolConfig } from '../../config/config.js';
import { redactUrl } from '../../config/config.js';
import { AppError, unavailable } from '../../errors/appError.js';
import { createMysqlPool, type Endpoint, endpointLabel, isMysqlUnreachable, type PoolStats } from './mysqlPool.js';
import { type PrimaryWatch, watchPrimary } from './primaryWatch.js';
import { createReadRouting, type ReplicaState } from './readReplicas.js';
import type { Schema } from './schema.js';

export type Dialect = 'mysql' | 'sqlite';

/**
 * The database adapter: Kysely over mysql2 (MySQL 8 / MariaDB 10.11+) or its embedded twin,
 * better-sqlite3. Code above it sees the same `Kysely<Schema>` either way.
 */
export interface Database {
  readonly dialect: Dialect;
  readonly db: Kysely<Schema>;
  /** The URL with its password hidden, for messages. */
  readonly label: string;
  /** Resolves when a trivial query answers within `timeoutMs`; rejects with UNAVAILABLE otherwise. */
  ping(timeoutMs?: number): Promise<void>;
  poolStats(): PoolStats;
  /** `host:port` of the server writes go to (MySQL/MariaDB; it follows the primary when replicas are configured). */
  writeTarget?(): string;
  /**
   * A read that tolerates replication lag (lists, reports): on a replica within `maxLagSeconds`
   * (default MCP_DB_REPLICA_MAX_LAG), else — or when the replica fails — on the primary. Without
   * replicas, and on SQLite, simply `read(db)`.
   */
  readLagTolerant<T>(read: (db: Kysely<Schema>) => Promise<T>, o?: { maxLagSeconds?: number }): Promise<T>;
  /** The replicas' state as the read routing last saw it (empty without replicas). */
  replicaStates(): ReplicaState[];
  close(): Promise<void>;
}

/** Following the primary (issue 12 item 3): the other servers it may move to, and how often to look. */
export interface FollowOptions {
  /** MCP_DB_REPLICA_URLS: the servers that may become the primary. */
  replicaUrls: readonly string[];
  intervalMs: number;
  /** Lag a lag-tolerant read accepts by default (seconds). */
  maxLagSeconds?: number;
  log?: { warn(obj: object, msg: string): void; info(obj: object, msg: string): void };
}

/**
 * Where a statement runs: the database, or the caller's transaction — how a module's write and
 * its audit row (`audit.record(entry, trx)`) commit together, always in one process.
 */
export type Executor = Kysely<Schema> | Transaction<Schema>;

/**
 * Wraps the Kysely dialect before the query builder is made over it; the wiring uses it to run
 * every statement in a span (observability/tracing.ts `tracedDialect`), as it wraps cache and bus.
 */
export type DialectWrapper = (dialect: KyselyDialect, system: Dialect) => KyselyDialect;

export function createDatabase(url: string, pool: PoolConfig, wrapDialect?: DialectWrapper, follow?: FollowOptions): Database {
  if (url.startsWith('sqlite:')) return createSqlite(url, wrapDialect);
  if (url.startsWith('mysql:')) return createMysql(url, pool, wrapDialect, follow);
  throw new AppError('INVALID', `unsupported database URL ${redactUrl(url)}`);
}

/**
 * SQLite transactions that take the write lock when they begin (BEGIN IMMEDIATE): a deferred one
 * that reads, then writes, fails at once with "database is locked" when another process (split
 * mode, a CLI command beside the server) wrote in between; an immediate one waits (busy_timeout).
 * Migrations run in one such transaction too (SQLite's DDL is transactional; Kysely's SQLite
 * adapter has no migration lock), so processes starting together on a new file apply them once.
 */
class ImmediateSqliteDialect extends SqliteDialect {
  override createAdapter() {
    return new (class extends SqliteAdapter {
      override get supportsTransactionalDdl() {
        return true;
      }
    })();
  }

  override createDriver() {
    const driver = super.createDriver();
    driver.beginTransaction = async (connection) => {
      await connection.executeQuery(CompiledQuery.raw('begin immediate'));
    };
    return driver;
  }
}

function createSqlite(url: string, wrapDialect?: DialectWrapper): Database {
  const file = url.replace(/^sqlite:(\/\/)?/, '');
  // The data directory is private (0700) and so are the database and its -wal and -shm files (0600):
  // SQLite gives its side files the mode of the database file, which is created 0600 before it opens.
  if (file !== ':memory:') {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    if (!existsSync(file)) closeSync(openSync(file, 'a', 0o600));
  }
  const handle = new SQLite(file);
  handle.pragma('journal_mode = WAL');
  if (file !== ':memory:') for (const f of [file, `${file}-wal`, `${file}-shm`]) if (existsSync(f)) chmodSync(f, 0o600);
  handle.pragma('busy_timeout = 5000');
  handle.pragma('foreign_keys = ON');
  handle.pragma('synchronous = NORMAL');
  const dialect = new ImmediateSqliteDialect({ database: handle });
  const db = new Kysely<Schema>({ dialect: wrapDialect ? wrapDialect(dialect, 'sqlite') : dialect });
  let closed = false;
  return {
    dialect: 'sqlite',
    db,
    label: `sqlite:${file}`,
    async ping() {
      if (closed || !handle.open) throw unavailable('the SQLite database is closed');
      handle.prepare('select 1').get();
    },
    poolStats: () => ({ max: 1, total: closed ? 0 : 1, inUse: 0, idle: closed ? 0 : 1, waiting: 0 }),
    readLagTolerant: (read) => read(db),
    replicaStates: () => [],
    async close() {
      if (closed) return;
      closed = true;
      await db.destroy();
    },
  };
}

function createMysql(url: string, poolCfg: PoolConfig, wrapDialect?: DialectWrapper, follow?: FollowOptions): Database {
  let watch: PrimaryWatch | undefined;
  const pool = createMysqlPool(url, poolCfg, { onReadOnly: async () => watch?.refresh() });
  if (follow?.replicaUrls.length) {
    const u = new URL(url);
    const endpointOf = (x: string): Endpoint => {
      const e = new URL(x);
      return { host: e.hostname, port: e.port ? Number(e.port) : 3306 };
    };
    watch = watchPrimary({
      // each server once, even when MCP_DB_URL's is listed among the replicas too
      endpoints: [endpointOf(url), ...follow.replicaUrls.map(endpointOf)].filter((e, i, all) => all.findIndex((x) => endpointLabel(x) === endpointLabel(e)) === i),
      user: decodeURIComponent(u.username) || 'root',
      password: decodeURIComponent(u.password),
      intervalMs: follow.intervalMs,
      current: () => pool.target(),
      onPrimary: (primary) => pool.retarget(primary),
      log: follow.log,
    });
  }
  const dialect = new MysqlDialect({
    pool,
    onCreateConnection: async (conn) => {
      await conn.executeQuery(CompiledQuery.raw("set time_zone = '+00:00'"));
    },
  });
  const db = new Kysely<Schema>({ dialect: wrapDialect ? wrapDialect(dialect, 'mysql') : dialect });
  const label = redactUrl(url);
  const reads = follow?.replicaUrls.length
    ? createReadRouting({ replicaUrls: follow.replicaUrls, pool: poolCfg, primary: db, maxLagSeconds: follow.maxLagSeconds ?? 5, intervalMs: Math.max(follow.intervalMs, 500) })
    : undefined;
  return {
    dialect: 'mysql',
    db,
    label,
    async ping(timeoutMs = 2000) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(unavailable(`database ${label} did not answer within ${timeoutMs} ms`)), timeoutMs);
      });
      try {
        await Promise.race([sql`select 1`.execute(db), timeout]);
      } catch (e) {
        throw toUnavailable(e, label);
      } finally {
        clearTimeout(timer);
      }
    },
    poolStats: () => pool.stats(),
    writeTarget: () => endpointLabel(pool.target()),
    readLagTolerant: (read, o) => (reads ? reads.read(read, o) : read(db)),
    replicaStates: () => reads?.status() ?? [],
    async close() {
      await watch?.stop();
      await reads?.close();
      await db.destroy();
    },
  };
}

/** Maps a driver error that means "database unreachable" to AppError UNAVAILABLE; others pass through. */
export function toUnavailable(e: unknown, label = 'database'): unknown {
  if (e instanceof AppError) return e;
  if (isMysqlUnreachable(e)) return unavailable(`database ${label} is unavailable: ${(e as Error).message}`, e);
  return e;
}

/**
 * Creates the MySQL/MariaDB database named in `url` when it does not exist yet (utf8mb4), so a
 * first `migrate` works on an empty server. Needs the CREATE privilege; harmless otherwise.
 */
export async function ensureMysqlDatabase(url: string): Promise<void> {
  const { createConnection } = await import('mysql2/promise');
  const u = new URL(url);
  const name = decodeURIComponent(u.pathname.replace(/^\//, ''));
  if (!/^[A-Za-z0-9_$]{1,64}$/.test(name)) throw new AppError('INVALID', `database name "${name}" must be letters, digits, _ or $`);
  let conn: Awaited<ReturnType<typeof createConnection>>;
  try {
    conn = await createConnection({
      host: u.hostname,
      port: u.port ? Number(u.port) : 3306,
      user: decodeURIComponent(u.username) || 'root',
      password: decodeURIComponent(u.password),
      connectTimeout: 5000,
    });
  } catch (e) {
    throw toUnavailable(e, redactUrl(url));
  }
  try {
    await conn.query(`CREATE DATABASE IF NOT EXISTS \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  } finally {
    await conn.end();
  }
}
