import { invalid } from '../../errors/appError.js';
import type { Cache } from './cache.js';
import { createMemoryCache } from './memoryCache.js';
import { createRedisCache } from './redisCache.js';

/**
 * Builds the cache named by `url` (`MCP_REDIS_URL`): `memory:` → in-process LRU;
 * `redis://`, `rediss://`, `redis-sentinel://` → Redis. Any other scheme is rejected with INVALID
 * (the URL itself is not echoed: it may carry a password). `keyPrefix` namespaces Redis keys; the
 * memory cache is private to the process and needs none.
 */
export function createCache(url: string, opts: { keyPrefix?: string } = {}): Cache {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase();
  switch (scheme) {
    case 'memory':
      return createMemoryCache();
    case 'redis':
    case 'rediss':
    case 'redis-sentinel':
      return createRedisCache(url, { keyPrefix: opts.keyPrefix });
    default:
      throw invalid('unsupported cache URL scheme, expected memory:, redis://, rediss:// or redis-sentinel://', {
        scheme: scheme ?? null,
      });
  }
}
