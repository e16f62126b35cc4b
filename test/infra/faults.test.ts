import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect } from 'amqplib';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAmqpBus } from '../../src/infra/bus/amqpBus.js';
import type { Bus, BusMessage } from '../../src/infra/bus/bus.js';
import type { Cache } from '../../src/infra/cache/cache.js';
import { createRedisCache } from '../../src/infra/cache/redisCache.js';
import { startTcpProxy, type TcpProxy } from '../support/tcpProxy.js';

/**
 * Fault tests for the real adapters. The shared Redis and RabbitMQ are never touched: the adapters
 * talk to them through a local TCP proxy, and `cut()`/`restore()` on the proxy simulate the service
 * disappearing and coming back.
 */
const REDIS_URL = process.env.MCP_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/0';
const AMQP_URL = process.env.MCP_TEST_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

/** The proxied target of `url`, and the same URL pointed at a proxy port instead. */
function target(url: string, defaultPort: number): { host: string; port: number } {
  const parsed = new URL(url);
  return { host: parsed.hostname, port: parsed.port === '' ? defaultPort : Number(parsed.port) };
}

function viaProxy(url: string, proxy: TcpProxy): string {
  const parsed = new URL(url);
  parsed.hostname = '127.0.0.1';
  parsed.port = String(proxy.port);
  return parsed.toString();
}

async function waitFor(condition: () => boolean | Promise<boolean>, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}

/** Resolves with the elapsed milliseconds once `promise` rejects with an AppError UNAVAILABLE. */
async function rejectsUnavailable(promise: Promise<unknown>): Promise<number> {
  const started = Date.now();
  await expect(promise).rejects.toMatchObject({ code: 'UNAVAILABLE' });
  return Date.now() - started;
}

const succeeds = (promise: Promise<unknown>): Promise<boolean> =>
  promise.then(
    () => true,
    () => false,
  );

describe('Redis cache when Redis becomes unreachable', () => {
  const keyPrefix = `mcp-test:faults:${randomUUID()}:`;
  const redis = target(REDIS_URL, 6379);
  let proxy: TcpProxy;
  let cache: Cache | undefined;

  beforeEach(async () => {
    proxy = await startTcpProxy(redis.host, redis.port);
  });

  afterEach(async () => {
    await cache?.close();
    await proxy.close();
  });

  afterAll(async () => {
    const admin = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
    try {
      await admin.del(...['k', 'late'].map((key) => `${keyPrefix}${key}`));
    } finally {
      admin.disconnect();
    }
  });

  it('rejects with UNAVAILABLE in under a second, then recovers without being recreated', async () => {
    const active = createRedisCache(viaProxy(REDIS_URL, proxy), { keyPrefix });
    cache = active;
    await active.set('k', 'before');
    expect(await active.get('k')).toBe('before');

    proxy.cut();
    expect(await rejectsUnavailable(active.get('k'))).toBeLessThan(1_000);
    expect(await rejectsUnavailable(active.ping())).toBeLessThan(1_000);
    expect(await rejectsUnavailable(active.set('k', 'during'))).toBeLessThan(1_000);
    expect(await rejectsUnavailable(active.incr('n', 10))).toBeLessThan(1_000);

    await proxy.restore();
    await waitFor(() => succeeds(active.ping()), 'the cache to reconnect', 10_000);
    expect(await active.get('k')).toBe('before');
    await active.set('k', 'after');
    expect(await active.get('k')).toBe('after');
    expect(active.stats().errors).toBeGreaterThanOrEqual(4);
  });

  it('fails fast when created while Redis is unreachable, and connects once it is back', async () => {
    proxy.cut();
    const active = createRedisCache(viaProxy(REDIS_URL, proxy), { keyPrefix });
    cache = active;
    expect(await rejectsUnavailable(active.get('k'))).toBeLessThan(1_000);

    await proxy.restore();
    await waitFor(() => succeeds(active.ping()), 'the cache to connect', 10_000);
    await active.set('late', 'ok');
    expect(await active.get('late')).toBe('ok');
  });
});

describe('AMQP bus when RabbitMQ becomes unreachable', () => {
  const runId = randomUUID().slice(0, 8);
  const exchange = `mcp.test.faults.${runId}`;
  const queues = new Set<string>();
  const broker = target(AMQP_URL, 5672);
  let proxy: TcpProxy;
  let bus: Bus | undefined;

  const queueName = (label: string): string => {
    const name = `mcp.test.faults.${runId}.${label}`;
    queues.add(name);
    queues.add(`${name}.dead`);
    return name;
  };
  const createBus = (): Bus => {
    bus = createAmqpBus(viaProxy(AMQP_URL, proxy), { exchange, connectTimeoutMs: 2_000, publishTimeoutMs: 2_000 });
    return bus;
  };

  beforeEach(async () => {
    proxy = await startTcpProxy(broker.host, broker.port);
  });

  afterEach(async () => {
    await bus?.close();
    await proxy.close();
  });

  afterAll(async () => {
    const connection = await connect(AMQP_URL);
    try {
      const channel = await connection.createChannel();
      for (const queue of queues) await channel.deleteQueue(queue);
      await channel.deleteExchange(exchange);
      await channel.deleteExchange(`${exchange}.dlx`);
    } finally {
      await connection.close();
    }
  });

  it('fails publish fast while cut, then resumes the subscription and loses nothing', async () => {
    const active = createBus();
    const deliveries: string[] = [];
    let releaseFirst: () => void = () => undefined;
    const firstBlocked = new Promise<void>((resolve) => {
      releaseFirst = resolve;
    });
    const handler = async (message: BusMessage): Promise<void> => {
      const label = String(message.payload);
      deliveries.push(label);
      // The very first delivery is still being handled (unacknowledged) when the network is cut.
      if (deliveries.length === 1) await firstBlocked;
    };
    // prefetch 1: while `m1` is being handled, `m2` stays queued on the broker.
    await active.subscribe(queueName('resume'), ['fault.#'], handler, { prefetch: 1 });
    await active.publish('fault.test', 'm1');
    await active.publish('fault.test', 'm2');
    await waitFor(() => deliveries.length === 1, 'the first delivery', 5_000);

    proxy.cut();
    expect(await rejectsUnavailable(active.publish('fault.test', 'lost'))).toBeLessThan(3_000);
    expect(await rejectsUnavailable(active.ping())).toBeLessThan(3_000);
    releaseFirst(); // its ack can no longer reach the broker
    await sleep(300);

    await proxy.restore();
    await waitFor(() => succeeds(active.publish('fault.test', 'm3')), 'publish to work again', 15_000);
    await waitFor(() => ['m2', 'm3'].every((label) => deliveries.includes(label)), 'the resumed deliveries', 15_000);
    // `m1` was never acknowledged, so the broker delivers it again; `m2` was confirmed before the cut.
    expect(deliveries.filter((label) => label === 'm1')).toHaveLength(2);
    expect(deliveries).not.toContain('lost');
    await expect(active.ping()).resolves.toBeUndefined();
  });

  it('fails fast when created while RabbitMQ is unreachable, and connects once it is back', async () => {
    proxy.cut();
    const active = createBus();
    expect(await rejectsUnavailable(active.publish('fault.early', 'x'))).toBeLessThan(3_000);

    await proxy.restore();
    await waitFor(() => succeeds(active.ping()), 'the bus to connect', 15_000);
    const received: unknown[] = [];
    await active.subscribe(queueName('late'), ['fault.late'], async (message) => {
      received.push(message.payload);
    });
    await active.publish('fault.late', 'hello');
    await waitFor(() => received.length === 1, 'the delivery', 5_000);
    expect(received).toEqual(['hello']);
  });
});
