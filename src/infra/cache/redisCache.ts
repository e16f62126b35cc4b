import { Redis, type RedisOptions } from 'ioredis';
import { AppError, invalid, unavailable } from '../../errors/appError.js';
import type { Cache, CacheStats } from './cache.js';
import { waitAtMost } from '../timeouts.js';
import { ttlToMillis } from './cacheRules.js';

/**
 * Redis cache adapter (ioredis), standalone or behind Sentinel.
 *
 * Failure behaviour: commands are never queued while disconnected (`enableOfflineQueue: false`),
 * never retried (`maxRetriesPerRequest: 0`) and bounded by `commandTimeoutMs`, so an unreachable
 * Redis turns every call into an `AppError` UNAVAILABLE within that bound. Meanwhile ioredis keeps
 * reconnecting in the background with a capped backoff, so the same instance recovers by itself.
 * Only the very first command may wait (at most `commandTimeoutMs`) for the initial connection.
 *
 * Sentinel (`redis-sentinel://`): every (re)connect asks the sentinels for the current primary and
 * checks that the server answers `role:master`. The client also subscribes to the sentinels'
 * `+switch-master` and reconnects as soon as a failover is announced, so it leaves an old primary
 * that is still reachable (planned failover, not yet reconfigured) or frozen (sockets open, no
 * answers). Measured with test/infra/cache/sentinel.test.ts: commands work on the new primary
 * within about 1–2 s of the switch; in between they fail fast (UNAVAILABLE), never hang. Writes
 * acknowledged by the old primary but not yet replicated are lost with it (Redis replication is
 * asynchronous), including invalidating DELs: such an entry can be stale until its TTL.
 */
export interface RedisCacheOptions {
  /** Upper bound for one command, and for the first command's wait for the initial connection. Default 500. */
  commandTimeoutMs?: number;
  /** Prepended to every key (ioredis `keyPrefix`). */
  keyPrefix?: string;
  /** TCP connect timeout per attempt. Default 5000. */
  connectTimeoutMs?: number;
}

const DEFAULT_COMMAND_TIMEOUT_MS = 500;
const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;
const MAX_RECONNECT_DELAY_MS = 2_000;
const DEFAULT_REDIS_PORT = 6379;
const DEFAULT_SENTINEL_PORT = 26379;

/** Redis reply errors caused by the data rather than by the server's availability. */
const DATA_ERROR = /^(WRONGTYPE|ERR value is not an integer)/;

/**
 * INCR that sets the expiry only when the key has none, i.e. when INCR just created it. Same
 * effect as MULTI INCR + PEXPIRE NX, but atomic on any Redis version.
 */
const INCR_WITH_TTL = `local n = redis.call('INCR', KEYS[1])
if redis.call('PTTL', KEYS[1]) == -1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return n`;

const SENTINEL_URL = /^redis-sentinel:\/\/(?:([^@/]*)@)?([^/@]+)\/([^/]+)(?:\/(\d+))?\/?$/i;
const HOST_PORT = /^(?:\[([^\]]+)\]|([^:[\]]+))(?::(\d+))?$/;

/** Capped exponential backoff (100 ms, 200 ms, … 2 s) used for reconnect attempts. */
const reconnectDelay = (attempt: number): number => Math.min(100 * 2 ** (attempt - 1), MAX_RECONNECT_DELAY_MS);

/**
 * Connection options for `redis://[user:pass@]host:port/db`, `rediss://…` (TLS) and
 * `redis-sentinel://[pass@]h1:26379,h2:26379/mastername[/db]`. Error messages never echo the URL,
 * which may carry a password.
 */
export function redisConnectionOptions(url: string): RedisOptions {
  if (/^redis-sentinel:/i.test(url)) return sentinelOptions(url);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw invalid('malformed Redis URL');
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw invalid('unsupported Redis URL scheme', { scheme: parsed.protocol });
  }
  return {
    host: parsed.hostname.replace(/^\[(.*)\]$/, '$1') || '127.0.0.1',
    port: parsed.port === '' ? DEFAULT_REDIS_PORT : Number(parsed.port),
    username: parsed.username === '' ? undefined : decodeURIComponent(parsed.username),
    password: parsed.password === '' ? undefined : decodeURIComponent(parsed.password),
    db: parseDb(parsed.pathname.slice(1)),
    tls: parsed.protocol === 'rediss:' ? {} : undefined,
  };
}

function sentinelOptions(url: string): RedisOptions {
  const match = SENTINEL_URL.exec(url);
  if (match === null) {
    throw invalid('malformed Redis Sentinel URL, expected redis-sentinel://[pass@]host:port[,host:port]/master[/db]');
  }
  const [, auth = '', hosts = '', name = '', db] = match;
  return {
    sentinels: hosts.split(',').map(parseSentinelAddress),
    name: decodeURIComponent(name),
    // Accept both `pass@` and `:pass@`; the password authenticates against the master/replicas.
    password: auth === '' ? undefined : decodeURIComponent(auth.replace(/^:/, '')),
    db: parseDb(db),
  };
}

function parseSentinelAddress(address: string): { host: string; port: number } {
  const match = HOST_PORT.exec(address);
  const host = match?.[1] ?? match?.[2];
  if (match === null || host === undefined) throw invalid('malformed Sentinel address', { address });
  return { host, port: match[3] === undefined ? DEFAULT_SENTINEL_PORT : Number(match[3]) };
}

function parseDb(text: string | undefined): number {
  if (text === undefined || text === '') return 0;
  if (!/^\d+$/.test(text)) throw invalid('Redis database must be a non-negative integer');
  return Number(text);
}

/** Resolves once the client's first connection attempt has either succeeded or failed. */
function firstAttemptSettled(client: Redis): Promise<void> {
  return new Promise((resolve) => {
    const events = ['ready', 'close', 'end', 'error'] as const;
    const settle = (): void => {
      for (const event of events) client.off(event, settle);
      resolve();
    };
    for (const event of events) client.once(event, settle);
  });
}

function toAppError(err: unknown, command: string, lastConnectionError: string | undefined): AppError {
  if (err instanceof AppError) return err;
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof Error && err.name === 'ReplyError' && DATA_ERROR.test(message)) {
    return new AppError('INVALID', `cache ${command} rejected: ${message}`, undefined, { cause: err });
  }
  return unavailable(`cache unavailable (${command}): ${message}`, err, { lastConnectionError });
}

export function createRedisCache(url: string, opts: RedisCacheOptions = {}): Cache {
  const commandTimeoutMs = opts.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
  const client = new Redis({
    ...redisConnectionOptions(url),
    keyPrefix: opts.keyPrefix,
    commandTimeout: commandTimeoutMs,
    connectTimeout: opts.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    // Commands issued in the same tick share one write: fewer syscalls under concurrent requests.
    enableAutoPipelining: true,
    retryStrategy: reconnectDelay,
    sentinelRetryStrategy: reconnectDelay,
    // After a Sentinel failover the old master answers READONLY: reconnect to find the new one.
    reconnectOnError: (err) => err.message.startsWith('READONLY'),
    // Sentinel mode: subscribe to the sentinels' +switch-master and reconnect at once. Without it a
    // client stays on a demoted-but-not-yet-reconfigured or frozen old primary after a failover.
    failoverDetector: true,
    // A sentinel that accepts the connection but does not answer must not stall the reconnect.
    sentinelCommandTimeout: Math.max(commandTimeoutMs, 1_000),
  });
  const counters: CacheStats = { hits: 0, misses: 0, errors: 0 };
  let lastConnectionError: string | undefined;
  // ioredis reconnects by itself; the listener keeps the error from going unhandled and remembers
  // its message (host/port and reason only, never credentials) as context for UNAVAILABLE errors.
  // a reconnect (after an error, or to a promoted replica) may find a store without the last writes
  let disruptedAt: number | null = null;
  let wasReady = false;
  client.on('error', (err: Error) => {
    lastConnectionError = err.message;
    disruptedAt = Date.now();
  });
  client.on('ready', () => {
    lastConnectionError = undefined;
    if (wasReady) disruptedAt = Date.now();
    wasReady = true;
  });
  let initialConnection: Promise<void> | undefined = firstAttemptSettled(client).then(() => {
    initialConnection = undefined;
  });

  async function exec<T>(command: string, run: () => Promise<T>): Promise<T> {
    try {
      if (initialConnection !== undefined) await waitAtMost(initialConnection, commandTimeoutMs);
      return await run();
    } catch (err) {
      counters.errors += 1;
      disruptedAt = Date.now();
      throw toAppError(err, command, lastConnectionError);
    }
  }

  function countLookups(values: readonly (string | null)[]): void {
    for (const value of values) {
      if (value === null) counters.misses += 1;
      else counters.hits += 1;
    }
  }

  return {
    disruptedAt: () => disruptedAt,
    kind: 'redis',
    get: (key) =>
      exec('get', async () => {
        const value = await client.get(key);
        countLookups([value]);
        return value;
      }),
    mget: (keys) =>
      exec('mget', async () => {
        if (keys.length === 0) return [];
        const values = await client.mget(...keys);
        countLookups(values);
        return values;
      }),
    set: (key, value, ttlSeconds) =>
      exec('set', async () => {
        if (ttlSeconds === undefined) await client.set(key, value);
        else await client.set(key, value, 'PX', ttlToMillis(ttlSeconds));
      }),
    del: (...keys) => exec('del', async () => (keys.length === 0 ? 0 : client.del(...keys))),
    incr: (key, ttlSeconds) => exec('incr', async () => Number(await client.eval(INCR_WITH_TTL, 1, key, ttlToMillis(ttlSeconds)))),
    ping: () =>
      exec('ping', async () => {
        await client.ping();
      }),
    stats: () => ({ ...counters }),
    close: async () => {
      if (client.status === 'ready') await client.quit().catch(() => undefined);
      // Always, even after a clean QUIT: it also closes the Sentinel failover detector's
      // subscriptions, which QUIT leaves open (they would keep the process from exiting).
      client.disconnect();
    },
  };
}
