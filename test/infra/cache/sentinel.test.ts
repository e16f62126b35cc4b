import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Cache } from '../../../src/infra/cache/cache.js';
import { createCache } from '../../../src/infra/cache/createCache.js';
import { type RedisSentinelCluster, startRedisSentinel } from '../../support/redisSentinel.js';

/**
 * The Redis cache behind Sentinel (HA-5) against real processes: a primary, a replica and three
 * sentinels of our own (test/support/redisSentinel.ts). The cache must follow a planned failover,
 * a `kill -9` of the primary and a frozen (SIGSTOPped) primary without being recreated, and no call
 * may hang while there is no primary.
 */

/** One probe: a set then a get of a fresh value; how long each took and whether both worked. */
interface Probe {
  at: number;
  ok: boolean;
  slowestMs: number;
}

async function probe(cache: Cache, key: string): Promise<Probe> {
  const at = Date.now();
  const value = randomUUID();
  let slowestMs = 0;
  const timed = async <T>(p: Promise<T>): Promise<T> => {
    const started = Date.now();
    try {
      return await p;
    } finally {
      slowestMs = Math.max(slowestMs, Date.now() - started);
    }
  };
  try {
    await timed(cache.set(key, value, 60));
    const read = await timed(cache.get(key));
    return { at, ok: read === value, slowestMs };
  } catch (e) {
    expect(e).toMatchObject({ code: 'UNAVAILABLE' });
    return { at, ok: false, slowestMs };
  }
}

/** Probes every 50 ms until `stop` resolves, then keeps probing until one works (or `followMs` passes). */
async function probeThrough(cache: Cache, key: string, stop: Promise<unknown>, followMs = 10_000): Promise<{ probes: Probe[]; stoppedAt: number }> {
  const probes: Probe[] = [];
  let stoppedAt = 0;
  void stop.then(
    () => (stoppedAt = Date.now()),
    () => (stoppedAt = Date.now()),
  );
  for (;;) {
    const p = await probe(cache, key);
    probes.push(p);
    if (stoppedAt && p.ok && p.at > stoppedAt) break;
    if (stoppedAt && Date.now() - stoppedAt > followMs) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  await stop;
  return { probes, stoppedAt };
}

describe('Redis cache through Sentinel', () => {
  let cluster: RedisSentinelCluster;
  let cache: Cache | undefined;
  const prefix = `mcp-test:sentinel:${randomUUID()}:`;

  // A fresh deployment per test (≈5 s until the sentinels know each other and the replica): faster
  // than waiting for the sentinels to take a killed primary back as a replica.
  beforeEach(async () => {
    cluster = await startRedisSentinel();
  });
  afterEach(async () => {
    await cache?.close();
    cache = undefined;
    await cluster?.stop();
  });

  it('connects to the primary the sentinels name', async () => {
    cache = createCache(cluster.url, { keyPrefix: prefix });
    await cache.set('hello', 'world', 60);
    expect(await cache.get('hello')).toBe('world');
    // The write is on the primary itself, not on the replica only.
    expect(await cluster.command(await cluster.primaryPort(), 'GET', `${prefix}hello`)).toBe('world');
  }, 60_000);

  it('close() leaves no connection to the sentinels (nothing keeps the process alive)', async () => {
    const subscribers = async () => {
      let n = 0;
      for (const port of cluster.sentinelPorts)
        n += String(await cluster.command(port, 'CLIENT', 'LIST'))
          .split('\n')
          .filter((l) => / cmd=subscribe /.test(l)).length;
      return n;
    };
    const c = createCache(cluster.url, { keyPrefix: prefix });
    await c.set('x', 'y', 60);
    // the failover detector subscribes to +switch-master on the sentinels once connected
    const deadline = Date.now() + 5_000;
    while ((await subscribers()) === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(await subscribers()).toBeGreaterThan(0);
    await c.close();
    await new Promise((r) => setTimeout(r, 300));
    expect(await subscribers()).toBe(0);
  });

  it('follows a planned failover (SENTINEL FAILOVER) without being recreated', async () => {
    cache = createCache(cluster.url, { keyPrefix: prefix });
    expect((await probe(cache, 'planned')).ok).toBe(true);
    const old = await cluster.primaryPort();
    const { probes, stoppedAt } = await probeThrough(cache, 'planned', cluster.failover());
    const last = probes.at(-1)!;
    expect(last.ok).toBe(true);
    expect(last.at - stoppedAt).toBeLessThan(5_000);
    expect(Math.max(...probes.map((p) => p.slowestMs))).toBeLessThan(1_500); // never hangs
    const now = await cluster.primaryPort();
    expect(now).not.toBe(old);
    // a new write lands on the new primary
    await cache.set('after-planned', 'yes', 60);
    expect(await cluster.command(now, 'GET', `${prefix}after-planned`)).toBe('yes');
  }, 60_000);

  it('follows a kill -9 of the primary; no call hangs while there is none', async () => {
    cache = createCache(cluster.url, { keyPrefix: prefix });
    expect((await probe(cache, 'killed')).ok).toBe(true);
    const { probes, stoppedAt } = await probeThrough(cache, 'killed', cluster.kill9Primary());
    const last = probes.at(-1)!;
    expect(last.ok).toBe(true);
    expect(last.at - stoppedAt).toBeLessThan(5_000);
    expect(probes.some((p) => !p.ok)).toBe(true); // there was a window without a primary…
    expect(Math.max(...probes.map((p) => p.slowestMs))).toBeLessThan(1_500); // …and calls failed fast in it
    await cache.set('after-kill', 'yes', 60);
    expect(await cluster.command(await cluster.primaryPort(), 'GET', `${prefix}after-kill`)).toBe('yes');
  }, 60_000);

  it('follows a frozen primary (sockets open, no answers) once the sentinels switch', async () => {
    cache = createCache(cluster.url, { keyPrefix: prefix });
    expect((await probe(cache, 'frozen')).ok).toBe(true);
    const switched = cluster.freezePrimary();
    const { probes, stoppedAt } = await probeThrough(cache, 'frozen', switched);
    const { frozen } = await switched;
    const last = probes.at(-1)!;
    expect(last.ok).toBe(true);
    expect(last.at - stoppedAt).toBeLessThan(5_000);
    expect(Math.max(...probes.map((p) => p.slowestMs))).toBeLessThan(1_500);
    // the frozen server is gone for good in this cluster; kill it so later tests start clean
    await cluster.command(await cluster.primaryPort(), 'PING');
    expect(await cluster.primaryPort()).not.toBe(frozen);
  }, 60_000);
});

describe('Redis cache through Sentinel, data servers with a password', () => {
  const password = `pw-${randomUUID()}`;
  let cluster: RedisSentinelCluster;
  let cache: Cache | undefined;

  beforeEach(async () => {
    cluster = await startRedisSentinel({ password });
  });
  afterEach(async () => {
    await cache?.close();
    cache = undefined;
    await cluster?.stop();
  });

  it('authenticates with the URL password and follows a failover', async () => {
    cache = createCache(`redis-sentinel://${encodeURIComponent(password)}@${cluster.url.slice('redis-sentinel://'.length)}`, { keyPrefix: 'pw:' });
    expect((await probe(cache, 'k')).ok).toBe(true);
    const { probes, stoppedAt } = await probeThrough(cache, 'k', cluster.failover());
    expect(probes.at(-1)!.ok).toBe(true);
    expect(probes.at(-1)!.at - stoppedAt).toBeLessThan(5_000);
    await cache.set('after', 'yes', 60);
    expect(await cluster.command(await cluster.primaryPort(), 'GET', 'pw:after')).toBe('yes');
  }, 60_000);

  it('a wrong password fails fast with UNAVAILABLE and never shows the password', async () => {
    const wrong = `wrong-${randomUUID()}`;
    cache = createCache(`redis-sentinel://${wrong}@${cluster.url.slice('redis-sentinel://'.length)}`);
    for (let i = 0; i < 3; i++) {
      const started = Date.now();
      const err = await cache.get('k').then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toMatchObject({ code: 'UNAVAILABLE' });
      expect(Date.now() - started).toBeLessThan(1_500);
      const shown = JSON.stringify({ message: (err as Error).message, ...(err as object) });
      expect(shown).not.toContain(wrong);
      expect(shown).not.toContain(password);
      await new Promise((r) => setTimeout(r, 200));
    }
  });
});
