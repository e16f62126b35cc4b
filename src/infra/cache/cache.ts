/**
 * The cache contract. Two implementations: `redisCache` (ioredis, standalone or Sentinel) and
 * `memoryCache` (in-process LRU with TTLs), chosen by `MCP_REDIS_URL` (`memory:` | `redis://` |
 * `redis-sentinel://`). Values are strings; callers serialise.
 *
 * Failure contract: when the backing store is unreachable every operation rejects quickly (well
 * under a second) with an `AppError` of code `UNAVAILABLE`; it never hangs and never queues
 * commands for later. Callers treat the cache as optional and fall back to the database.
 */
export interface CacheStats {
  hits: number;
  misses: number;
  errors: number;
}

export interface Cache {
  readonly kind: 'redis' | 'memory';
  get(key: string): Promise<string | null>;
  /** One round trip for several keys; result in the order of `keys`. */
  mget(keys: readonly string[]): Promise<(string | null)[]>;
  /** `ttlSeconds` omitted: no expiry. */
  set(key: string, value: string, ttlSeconds?: number): Promise<void>;
  /** Number of keys removed. */
  del(...keys: string[]): Promise<number>;
  /** Atomically increments an integer counter; the TTL is set when the counter is created. */
  incr(key: string, ttlSeconds: number): Promise<number>;
  /** Rejects with UNAVAILABLE when the store does not answer. */
  ping(): Promise<void>;
  /** Hit/miss counts of `get`/`mget` since start (a key found is a hit, absent is a miss). */
  stats(): CacheStats;
  /**
   * When (epoch ms) the store last may have lost recent writes — an error, a reconnect, a Sentinel
   * failover (Redis replication is asynchronous); null when never. A key that should be there (a
   * revocation marker) is not to be trusted absent for a while after it.
   */
  disruptedAt(): number | null;
  close(): Promise<void>;
}
