import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Cache } from '../../src/infra/cache/cache.js';
import { createCache } from '../../src/infra/cache/createCache.js';
import { createMemoryCache } from '../../src/infra/cache/memoryCache.js';
import { createRedisCache, redisConnectionOptions } from '../../src/infra/cache/redisCache.js';

/**
 * The cache contract (src/infra/cache/cache.ts), run against both implementations. The Redis run
 * uses the real server with a per-run key prefix and deletes its keys afterwards. A Redis that is
 * down makes these tests fail, never skip.
 */
const REDIS_URL = process.env.MCP_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/0';
const KEY_PREFIX = `mcp-test:cache:${randomUUID()}:`;

const implementations: { name: string; create: () => Cache }[] = [
  { name: 'memory', create: () => createMemoryCache() },
  { name: 'redis', create: () => createRedisCache(REDIS_URL, { keyPrefix: KEY_PREFIX }) },
];

afterAll(async () => {
  const admin = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  admin.on('error', () => undefined); // a failed connect also rejects `connect()` below
  try {
    await admin.connect();
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await admin.scan(cursor, 'MATCH', `${KEY_PREFIX}*`, 'COUNT', 1000);
      cursor = next;
      keys.push(...batch);
    } while (cursor !== '0');
    if (keys.length > 0) await admin.del(...keys);
  } finally {
    admin.disconnect();
  }
});

const uniqueKey = (label: string): string => `${label}:${randomUUID()}`;

describe.each(implementations)('Cache contract: $name', ({ name, create }) => {
  let cache: Cache;

  beforeEach(() => {
    cache = create();
  });

  afterEach(async () => {
    await cache.close();
  });

  it('reports its kind', () => {
    expect(cache.kind).toBe(name);
  });

  it('answers ping', async () => {
    await expect(cache.ping()).resolves.toBeUndefined();
  });

  it('returns null for a missing key and the stored value after set', async () => {
    const key = uniqueKey('get');
    expect(await cache.get(key)).toBeNull();
    await cache.set(key, 'first');
    expect(await cache.get(key)).toBe('first');
    await cache.set(key, 'second');
    expect(await cache.get(key)).toBe('second');
  });

  it('stores strings exactly, including empty and non-ASCII ones', async () => {
    const empty = uniqueKey('empty');
    const unicode = uniqueKey('unicode');
    await cache.set(empty, '');
    await cache.set(unicode, '企业级 AI ✓ {"json":true}');
    expect(await cache.get(empty)).toBe('');
    expect(await cache.get(unicode)).toBe('企业级 AI ✓ {"json":true}');
  });

  it('expires a value after its TTL and keeps one without TTL', async () => {
    const shortLived = uniqueKey('ttl');
    const permanent = uniqueKey('no-ttl');
    await cache.set(shortLived, 'soon gone', 0.2);
    await cache.set(permanent, 'stays');
    expect(await cache.get(shortLived)).toBe('soon gone');
    await sleep(450);
    expect(await cache.get(shortLived)).toBeNull();
    expect(await cache.get(permanent)).toBe('stays');
  });

  it('set without TTL replaces an earlier TTL', async () => {
    const key = uniqueKey('ttl-reset');
    await cache.set(key, 'temporary', 0.2);
    await cache.set(key, 'permanent');
    await sleep(450);
    expect(await cache.get(key)).toBe('permanent');
  });

  it('rejects a non-positive TTL with INVALID', async () => {
    await expect(cache.set(uniqueKey('bad-ttl'), 'x', 0)).rejects.toMatchObject({ code: 'INVALID' });
    await expect(cache.incr(uniqueKey('bad-ttl'), -1)).rejects.toMatchObject({ code: 'INVALID' });
  });

  it('deletes keys and reports how many existed', async () => {
    const [a, b, missing] = [uniqueKey('del-a'), uniqueKey('del-b'), uniqueKey('del-missing')];
    await cache.set(a, '1');
    await cache.set(b, '2');
    expect(await cache.del(a, b, missing)).toBe(2);
    expect(await cache.get(a)).toBeNull();
    expect(await cache.get(b)).toBeNull();
    expect(await cache.del(a)).toBe(0);
    expect(await cache.del()).toBe(0);
  });

  it('mget returns values in key order with null for missing keys', async () => {
    const [a, b, missing] = [uniqueKey('mget-a'), uniqueKey('mget-b'), uniqueKey('mget-missing')];
    await cache.set(a, 'A');
    await cache.set(b, 'B');
    expect(await cache.mget([b, missing, a])).toEqual(['B', null, 'A']);
    expect(await cache.mget([])).toEqual([]);
  });

  it('incr counts from 1 and sets the TTL only when the counter is created', async () => {
    const key = uniqueKey('incr');
    expect(await cache.incr(key, 0.4)).toBe(1);
    await sleep(100);
    // A later, longer TTL must not extend the counter's life.
    expect(await cache.incr(key, 60)).toBe(2);
    expect(await cache.get(key)).toBe('2');
    await sleep(500);
    expect(await cache.get(key)).toBeNull();
    expect(await cache.incr(key, 60)).toBe(1);
  });

  it('incr rejects INVALID when the value is not an integer', async () => {
    const key = uniqueKey('incr-text');
    await cache.set(key, 'not a number');
    await expect(cache.incr(key, 10)).rejects.toMatchObject({ code: 'INVALID' });
    expect(await cache.get(key)).toBe('not a number');
  });

  it('counts hits and misses of get and mget, starting from zero', async () => {
    const [present, absent] = [uniqueKey('hit'), uniqueKey('miss')];
    expect(cache.stats()).toEqual({ hits: 0, misses: 0, errors: 0 });
    await cache.set(present, 'x');
    await cache.get(present);
    await cache.get(absent);
    await cache.mget([present, absent, absent]);
    expect(cache.stats()).toEqual({ hits: 2, misses: 3, errors: 0 });
  });

  it('rejects every call with UNAVAILABLE after close, and counts the errors', async () => {
    await cache.close();
    await expect(cache.get(uniqueKey('closed'))).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    await expect(cache.set(uniqueKey('closed'), 'x')).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    await expect(cache.ping()).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    expect(cache.stats().errors).toBe(3);
    await expect(cache.close()).resolves.toBeUndefined();
  });
});

describe('memory cache', () => {
  it('evicts the least recently used entry beyond maxEntries', async () => {
    const cache = createMemoryCache({ maxEntries: 2 });
    await cache.set('a', '1');
    await cache.set('b', '2');
    await cache.get('a'); // `a` is now the most recently used
    await cache.set('c', '3');
    expect(await cache.mget(['a', 'b', 'c'])).toEqual(['1', null, '3']);
  });

  it('measures TTLs with the injected clock', async () => {
    let now = 1_000_000;
    const cache = createMemoryCache({ now: () => now });
    await cache.set('session', 'token', 30);
    expect(await cache.incr('counter', 60)).toBe(1);
    now += 29_999;
    expect(await cache.get('session')).toBe('token');
    now += 1;
    expect(await cache.get('session')).toBeNull();
    now += 30_000;
    expect(await cache.get('counter')).toBeNull();
  });
});

describe('createCache', () => {
  it('picks the implementation from the URL scheme', async () => {
    const memory = createCache('memory:');
    const redis = createCache(REDIS_URL);
    try {
      expect(memory.kind).toBe('memory');
      expect(redis.kind).toBe('redis');
      await expect(redis.ping()).resolves.toBeUndefined();
    } finally {
      await Promise.all([memory.close(), redis.close()]);
    }
  });

  it('rejects an unknown scheme with INVALID without echoing the URL', () => {
    expect(() => createCache('memcached://user:s3cret@host:11211')).toThrow(expect.objectContaining({ code: 'INVALID', message: expect.not.stringContaining('s3cret') }));
  });
});

describe('redisConnectionOptions', () => {
  it('parses a standalone URL with credentials and database', () => {
    expect(redisConnectionOptions('redis://app:p%40ss@cache.internal:6380/3')).toMatchObject({
      host: 'cache.internal',
      port: 6380,
      username: 'app',
      password: 'p@ss',
      db: 3,
    });
    expect(redisConnectionOptions('rediss://cache.internal')).toMatchObject({ port: 6379, db: 0, tls: {} });
  });

  it('parses a Sentinel URL with several sentinels, the master name and a database', () => {
    expect(redisConnectionOptions('redis-sentinel://s3cret@10.0.0.1:26379,10.0.0.2,[::1]:26380/mymaster/2')).toEqual({
      sentinels: [
        { host: '10.0.0.1', port: 26379 },
        { host: '10.0.0.2', port: 26379 },
        { host: '::1', port: 26380 },
      ],
      name: 'mymaster',
      password: 's3cret',
      db: 2,
    });
  });

  it('rejects a malformed URL with INVALID without echoing the password', () => {
    for (const url of ['redis-sentinel://s3cret@host:26379', 'redis://:s3cret@host:6379/db', 'redis//s3cret']) {
      expect(() => redisConnectionOptions(url)).toThrow(expect.objectContaining({ code: 'INVALID', message: expect.not.stringContaining('s3cret') }));
    }
  });
});
