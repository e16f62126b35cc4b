import { AppError, invalid, unavailable } from '../../errors/appError.js';
import type { Cache, CacheStats } from './cache.js';
import { ttlToMillis } from './cacheRules.js';

/**
 * In-process cache: an LRU bounded by `maxEntries` (a `Map` kept in recency order: reads and writes
 * move a key to the end, eviction drops from the front) with a per-key expiry checked lazily on
 * access. It honours the same contract as the Redis adapter (see `cache.ts`), so single-node
 * deployments and tests can run without Redis.
 */
export interface MemoryCacheOptions {
  /** Entries kept before the least recently used one is evicted. Default 10000. */
  maxEntries?: number;
  /** Clock in milliseconds, injectable for tests. Default `Date.now`. */
  now?: () => number;
}

interface Entry {
  value: string;
  /** Epoch milliseconds; `undefined` means no expiry. */
  expiresAt: number | undefined;
}

const DEFAULT_MAX_ENTRIES = 10_000;
const INTEGER = /^-?\d+$/;

export function createMemoryCache(opts: MemoryCacheOptions = {}): Cache {
  const maxEntries = opts.maxEntries ?? DEFAULT_MAX_ENTRIES;
  const now = opts.now ?? Date.now;
  if (!Number.isInteger(maxEntries) || maxEntries < 1) {
    throw invalid('maxEntries must be a positive integer', { maxEntries });
  }
  const entries = new Map<string, Entry>();
  const counters: CacheStats = { hits: 0, misses: 0, errors: 0 };
  let closed = false;

  /** Returns the live entry for `key`, marking it most recently used; drops it if expired. */
  function touch(key: string): Entry | undefined {
    const entry = entries.get(key);
    if (entry === undefined) return undefined;
    entries.delete(key);
    if (entry.expiresAt !== undefined && entry.expiresAt <= now()) return undefined;
    entries.set(key, entry);
    return entry;
  }

  function store(key: string, entry: Entry): void {
    entries.delete(key);
    entries.set(key, entry);
    while (entries.size > maxEntries) {
      const oldest = entries.keys().next();
      if (oldest.done === true) break;
      entries.delete(oldest.value);
    }
  }

  function lookup(key: string): string | null {
    const entry = touch(key);
    if (entry === undefined) {
      counters.misses += 1;
      return null;
    }
    counters.hits += 1;
    return entry.value;
  }

  function increment(key: string, ttlSeconds: number): number {
    const ttlMs = ttlToMillis(ttlSeconds);
    const entry = touch(key);
    if (entry !== undefined && !INTEGER.test(entry.value)) {
      throw invalid('value is not an integer', { key });
    }
    const next = (entry === undefined ? 0 : Number(entry.value)) + 1;
    // Like the Redis adapter, the TTL is applied only when the counter has none (i.e. on creation).
    const expiresAt = entry?.expiresAt ?? now() + ttlMs;
    store(key, { value: String(next), expiresAt });
    return next;
  }

  /**
   * Runs one operation with the adapter's error contract: after `close()` every call rejects with
   * UNAVAILABLE (as Redis would); failures are counted in `stats().errors`.
   */
  async function run<T>(operation: () => T): Promise<T> {
    try {
      if (closed) throw unavailable('cache is closed');
      return operation();
    } catch (err) {
      counters.errors += 1;
      throw err instanceof AppError ? err : unavailable('memory cache operation failed', err);
    }
  }

  return {
    kind: 'memory',
    // nothing is ever lost: it lives and dies with the process
    disruptedAt: () => null,
    get: (key) => run(() => lookup(key)),
    mget: (keys) => run(() => keys.map((key) => lookup(key))),
    set: (key, value, ttlSeconds) =>
      run(() => {
        const expiresAt = ttlSeconds === undefined ? undefined : now() + ttlToMillis(ttlSeconds);
        store(key, { value, expiresAt });
      }),
    del: (...keys) => run(() => keys.filter((key) => touch(key) !== undefined && entries.delete(key)).length),
    incr: (key, ttlSeconds) => run(() => increment(key, ttlSeconds)),
    ping: () => run(() => undefined),
    stats: () => ({ ...counters }),
    close: async () => {
      closed = true;
      entries.clear();
    },
  };
}
