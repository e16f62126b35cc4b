import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect } from 'amqplib';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAmqpBus } from '../../src/infra/bus/amqpBus.js';
import type { Bus, BusMessage } from '../../src/infra/bus/bus.js';
import { createBus } from '../../src/infra/bus/createBus.js';
import { createInprocessBus } from '../../src/infra/bus/inprocessBus.js';

/**
 * The bus contract (src/infra/bus/bus.ts), run against both implementations. The AMQP run uses the
 * real RabbitMQ with a per-run exchange and queue names, all deleted afterwards; every test also
 * scopes its topics under a unique root word so tests never see each other's messages. A broker
 * that is down makes these tests fail, never skip.
 */
const AMQP_URL = process.env.MCP_TEST_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const RUN_ID = randomUUID().slice(0, 8);
const EXCHANGE = `mcp.test.${RUN_ID}`;
const createdQueues = new Set<string>();

const implementations: { name: string; create: () => Bus }[] = [
  { name: 'inprocess', create: () => createInprocessBus() },
  { name: 'amqp', create: () => createAmqpBus(AMQP_URL, { exchange: EXCHANGE }) },
];

/** A queue name unique to this run, remembered (with its dead-letter queue) for cleanup. */
function queueName(label: string): string {
  const name = `mcp.test.${RUN_ID}.${label}.${randomUUID().slice(0, 8)}`;
  createdQueues.add(name);
  createdQueues.add(`${name}.dead`);
  return name;
}

async function waitFor(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

const payloadsOf = (messages: readonly BusMessage[]): unknown[] => messages.map((message) => message.payload);

afterAll(async () => {
  const connection = await connect(AMQP_URL);
  try {
    const channel = await connection.createChannel();
    for (const queue of createdQueues) await channel.deleteQueue(queue);
    await channel.deleteExchange(EXCHANGE);
    await channel.deleteExchange(`${EXCHANGE}.dlx`);
  } finally {
    await connection.close();
  }
});

describe.each(implementations)('Bus contract: $name', ({ name, create }) => {
  let bus: Bus;
  /** Unique first word of every topic in the current test. */
  let root: string;

  beforeEach(() => {
    bus = create();
    root = `t${randomUUID().slice(0, 8)}`;
  });

  afterEach(async () => {
    await bus.close();
  });

  /** Subscribes a handler that records what it receives. */
  async function collect(queue: string, patterns: string[], options?: Parameters<Bus['subscribe']>[3]) {
    const received: BusMessage[] = [];
    const subscription = await bus.subscribe(
      queue,
      patterns,
      async (message) => {
        received.push(message);
      },
      options,
    );
    return { received, subscription };
  }

  it('reports its kind and answers ping', async () => {
    expect(bus.kind).toBe(name);
    await expect(bus.ping()).resolves.toBeUndefined();
  });

  it('delivers a published message to a subscriber with id, topic, payload, time and attempt 1', async () => {
    const { received } = await collect(queueName('basic'), [`${root}.order.created`]);
    const before = Date.now();
    await bus.publish(`${root}.order.created`, { orderId: 42, items: ['a', 'b'], note: '企业级 ✓', when: new Date(0) });
    await waitFor(() => received.length === 1, 'the delivery');
    const [message] = received;
    expect(message).toMatchObject({
      topic: `${root}.order.created`,
      // Payloads travel as JSON: a Date arrives as its ISO string.
      payload: { orderId: 42, items: ['a', 'b'], note: '企业级 ✓', when: '1970-01-01T00:00:00.000Z' },
      attempt: 1,
    });
    expect(message?.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(Date.parse(message?.publishedAt ?? '')).toBeGreaterThanOrEqual(before - 1);
    expect(bus.stats()).toMatchObject({ published: 1, consumed: 1, failed: 0, deadLettered: 0 });
  });

  it('carries headers with the message, also on a retry', async () => {
    const seen: { attempt: number; headers: Record<string, string> }[] = [];
    await bus.subscribe(queueName('headers'), [`${root}.#`], async (message) => {
      seen.push({ attempt: message.attempt, headers: message.headers });
      if (message.attempt === 1) throw new Error('retry me');
    });
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    await bus.publish(`${root}.traced`, { n: 1 }, { headers: { traceparent, tenant: 'acme' } });
    await waitFor(() => seen.length === 2, 'the retried delivery');
    expect(seen).toEqual([
      { attempt: 1, headers: { traceparent, tenant: 'acme' } },
      { attempt: 2, headers: { traceparent, tenant: 'acme' } },
    ]);
  });

  it('never runs a handler synchronously inside publish', async () => {
    let handled = false;
    await bus.subscribe(queueName('async'), [`${root}.#`], async () => {
      handled = true;
    });
    const publishing = bus.publish(`${root}.x`, {});
    expect(handled).toBe(false);
    await publishing;
    await waitFor(() => handled, 'the delivery');
  });

  it('routes by pattern: `*` is one word, `#` zero or more words', async () => {
    const star = await collect(queueName('star'), [`${root}.order.*`]);
    const hashInside = await collect(queueName('hash-inside'), [`${root}.#.eu`]);
    const hashTail = await collect(queueName('hash-tail'), [`${root}.order.#`]);
    const several = await collect(queueName('several'), [`${root}.user.*`, `${root}.order`]);
    for (const topic of ['order.created', 'order.created.eu', 'user.eu', 'order', 'invoice.paid']) {
      await bus.publish(`${root}.${topic}`, topic);
    }
    await waitFor(() => star.received.length + hashInside.received.length + hashTail.received.length + several.received.length === 8, 'all routed deliveries');
    await sleep(200); // nothing else may arrive
    const sorted = (messages: BusMessage[]) => payloadsOf(messages).sort();
    expect(sorted(star.received)).toEqual(['order.created']);
    expect(sorted(hashInside.received)).toEqual(['order.created.eu', 'user.eu']);
    expect(sorted(hashTail.received)).toEqual(['order', 'order.created', 'order.created.eu']);
    expect(sorted(several.received)).toEqual(['order', 'user.eu']);
  });

  it('keeps messages published while a durable queue has no consumer, and delivers them in order', async () => {
    const queue = queueName('durable');
    const first = await collect(queue, [`${root}.#`]);
    await first.subscription.cancel();
    await bus.publish(`${root}.a`, 1);
    await bus.publish(`${root}.b`, 2);
    await bus.publish(`${root}.c`, 3);
    expect(first.received).toEqual([]);
    const second = await collect(queue, [`${root}.#`]);
    await waitFor(() => second.received.length === 3, 'the buffered messages');
    expect(payloadsOf(second.received)).toEqual([1, 2, 3]);
  });

  it('shares a queue between competing consumers: each message is handled exactly once', async () => {
    const queue = queueName('competing');
    const handledBy: Record<'one' | 'two', unknown[]> = { one: [], two: [] };
    const consumer = (label: 'one' | 'two') => async (message: BusMessage) => {
      await sleep(20);
      handledBy[label].push(message.payload);
    };
    await bus.subscribe(queue, [`${root}.job`], consumer('one'), { prefetch: 1 });
    await bus.subscribe(queue, [`${root}.job`], consumer('two'), { prefetch: 1 });
    const jobs = Array.from({ length: 10 }, (_, index) => index);
    await Promise.all(jobs.map((job) => bus.publish(`${root}.job`, job)));
    await waitFor(() => handledBy.one.length + handledBy.two.length === jobs.length, 'all jobs');
    await sleep(100);
    expect([...handledBy.one, ...handledBy.two].sort((a, b) => Number(a) - Number(b))).toEqual(jobs);
    expect(handledBy.one.length).toBeGreaterThan(0);
    expect(handledBy.two.length).toBeGreaterThan(0);
  });

  it('delivers every message to every broadcast subscriber', async () => {
    const prefix = queueName('broadcast');
    const subscribers = await Promise.all([1, 2, 3].map(() => collect(prefix, [`${root}.cache.#`], { broadcast: true })));
    await bus.publish(`${root}.cache.invalidate`, { key: 'a' });
    await bus.publish(`${root}.cache.invalidate`, { key: 'b' });
    await waitFor(() => subscribers.every(({ received }) => received.length === 2), 'the fan-out');
    for (const { received } of subscribers) expect(payloadsOf(received)).toEqual([{ key: 'a' }, { key: 'b' }]);
  });

  it('retries a failing handler up to maxAttempts, then dead-letters the message', async () => {
    const queue = queueName('poison');
    const attempts: number[] = [];
    await bus.subscribe(
      queue,
      [`${root}.#`],
      async (message) => {
        attempts.push(message.attempt);
        throw new Error('handler failure');
      },
      { maxAttempts: 3 },
    );
    await bus.publish(`${root}.poison`, { bad: true });
    await waitFor(async () => (await bus.deadLetters(queue)).length === 1, 'the dead letter');
    await sleep(200); // no fourth attempt
    expect(attempts).toEqual([1, 2, 3]);
    const [dead] = await bus.deadLetters(queue);
    expect(dead).toMatchObject({ topic: `${root}.poison`, payload: { bad: true }, attempt: 3 });
    // Reading dead letters does not remove them.
    expect(await bus.deadLetters(queue)).toHaveLength(1);
    expect(bus.stats()).toMatchObject({ published: 1, consumed: 0, failed: 3, deadLettered: 1 });
  });

  it('redelivers after a failure with an incremented attempt and stops once the handler succeeds', async () => {
    const queue = queueName('flaky');
    const attempts: number[] = [];
    await bus.subscribe(queue, [`${root}.#`], async (message) => {
      attempts.push(message.attempt);
      if (message.attempt < 2) throw new Error('transient failure');
    });
    await bus.publish(`${root}.flaky`, 'x');
    await waitFor(() => bus.stats().consumed === 1, 'the successful retry');
    expect(attempts).toEqual([1, 2]);
    expect(bus.stats()).toMatchObject({ failed: 1, deadLettered: 0 });
    expect(await bus.deadLetters(queue)).toEqual([]);
  });

  it('lists dead letters oldest first, up to the limit', async () => {
    const queue = queueName('dead-order');
    await bus.subscribe(queue, [`${root}.#`], async () => Promise.reject(new Error('always fails')), {
      maxAttempts: 1,
      prefetch: 1,
    });
    for (const n of [1, 2, 3]) await bus.publish(`${root}.n`, n);
    await waitFor(async () => (await bus.deadLetters(queue)).length === 3, 'three dead letters');
    expect(payloadsOf(await bus.deadLetters(queue))).toEqual([1, 2, 3]);
    expect(payloadsOf(await bus.deadLetters(queue, 2))).toEqual([1, 2]);
    expect(await bus.deadLetters(queueName('never-used'))).toEqual([]);
  });

  it('handles at most `prefetch` messages concurrently per subscriber', async () => {
    let active = 0;
    let maxActive = 0;
    let done = 0;
    await bus.subscribe(
      queueName('prefetch'),
      [`${root}.#`],
      async () => {
        active += 1;
        maxActive = Math.max(maxActive, active);
        await sleep(50);
        active -= 1;
        done += 1;
      },
      { prefetch: 2 },
    );
    await Promise.all([1, 2, 3, 4, 5, 6].map((n) => bus.publish(`${root}.work`, n)));
    await waitFor(() => done === 6, 'all work');
    expect(maxActive).toBe(2);
  });

  it('cancel waits for in-flight handlers and stops further deliveries', async () => {
    const queue = queueName('cancel');
    const finished: unknown[] = [];
    let started = 0;
    const subscription = await bus.subscribe(
      queue,
      [`${root}.#`],
      async (message) => {
        started += 1;
        await sleep(100);
        finished.push(message.payload);
      },
      { prefetch: 1 },
    );
    await bus.publish(`${root}.one`, 1);
    await waitFor(() => started === 1, 'the first delivery');
    await subscription.cancel();
    expect(finished).toEqual([1]);
    await bus.publish(`${root}.two`, 2);
    await sleep(200);
    expect(finished).toEqual([1]);
  });

  it('validates input with INVALID', async () => {
    await expect(bus.publish('has space', {})).rejects.toMatchObject({ code: 'INVALID' });
    await expect(bus.publish(`${root}.*`, {})).rejects.toMatchObject({ code: 'INVALID' });
    await expect(bus.publish(`${root}.x`, undefined)).rejects.toMatchObject({ code: 'INVALID' });
    await expect(bus.publish(`${root}.x`, { big: 1n })).rejects.toMatchObject({ code: 'INVALID' });
    const noop = async () => undefined;
    await expect(bus.subscribe(queueName('v'), [], noop)).rejects.toMatchObject({ code: 'INVALID' });
    await expect(bus.subscribe(queueName('v'), ['a..b'], noop)).rejects.toMatchObject({ code: 'INVALID' });
    await expect(bus.subscribe('', [`${root}.#`], noop)).rejects.toMatchObject({ code: 'INVALID' });
    await expect(bus.subscribe(queueName('v'), [`${root}.#`], noop, { maxAttempts: 0 })).rejects.toMatchObject({
      code: 'INVALID',
    });
    await expect(bus.deadLetters(queueName('v'), 0)).rejects.toMatchObject({ code: 'INVALID' });
  });

  it('rejects calls with UNAVAILABLE after close', async () => {
    await bus.close();
    await expect(bus.publish(`${root}.late`, {})).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    await expect(bus.ping()).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    await expect(bus.close()).resolves.toBeUndefined();
  });
});

describe('AMQP bus on the broker', () => {
  let bus: Bus;
  let root: string;

  beforeEach(() => {
    bus = createAmqpBus(AMQP_URL, { exchange: EXCHANGE });
    root = `t${randomUUID().slice(0, 8)}`;
  });

  afterEach(async () => {
    await bus.close();
  });

  it('resolves publish only once the broker holds the message: persistent JSON with id, time and topic', async () => {
    const queue = queueName('confirmed');
    const subscription = await bus.subscribe(queue, [`${root}.#`], async () => undefined);
    await subscription.cancel();
    await Promise.all(Array.from({ length: 20 }, (_, n) => bus.publish(`${root}.item`, { n })));

    const connection = await connect(AMQP_URL);
    try {
      const channel = await connection.createChannel();
      expect((await channel.checkQueue(queue)).messageCount).toBe(20);
      const message = await channel.get(queue, { noAck: true });
      if (message === false) throw new Error('expected a message');
      expect(message.properties).toMatchObject({
        deliveryMode: 2,
        contentType: 'application/json',
        messageId: expect.stringMatching(/^[0-9a-f-]{36}$/),
        timestamp: expect.any(Number),
        headers: { 'x-topic': `${root}.item`, 'x-attempt': 1 },
      });
      expect(JSON.parse(message.content.toString('utf8'))).toHaveProperty('n');
    } finally {
      await connection.close();
    }
  });

  it('rejects publish with UNAVAILABLE when the broker nacks it', async () => {
    await bus.ping(); // the exchange exists once the bus is connected
    const queue = queueName('nacking');
    const connection = await connect(AMQP_URL);
    try {
      const channel = await connection.createChannel();
      await channel.assertQueue(queue, { durable: false, arguments: { 'x-max-length': 0, 'x-overflow': 'reject-publish' } });
      await channel.bindQueue(queue, EXCHANGE, `${root}.full`);
      await expect(bus.publish(`${root}.full`, {})).rejects.toMatchObject({ code: 'UNAVAILABLE' });
      expect(bus.stats().published).toBe(0);
    } finally {
      await connection.close();
    }
  });
});

describe('createBus', () => {
  it('picks the implementation from the URL scheme', async () => {
    const inprocess = createBus('inprocess:');
    const amqp = createBus(AMQP_URL);
    try {
      expect(inprocess.kind).toBe('inprocess');
      expect(amqp.kind).toBe('amqp');
    } finally {
      await Promise.all([inprocess.close(), amqp.close()]);
    }
  });

  it('rejects an unknown scheme with INVALID without echoing the URL', () => {
    expect(() => createBus('kafka://user:s3cret@broker:9092')).toThrow(expect.objectContaining({ code: 'INVALID', message: expect.not.stringContaining('s3cret') }));
  });
});

describe('MCP_AMQP_PREFIX: environments share one broker', () => {
  it('names the exchange and queues under the prefix; another prefix neither sees nor receives them', async () => {
    const prefixA = `mcp.test.${RUN_ID}.a.`;
    const prefixB = `mcp.test.${RUN_ID}.b.`;
    const a = createBus(AMQP_URL, { prefix: prefixA });
    const b = createBus(AMQP_URL, { prefix: prefixB });
    const queue = `orders.${randomUUID().slice(0, 8)}`;
    const connection = await connect(AMQP_URL);
    try {
      const gotA: unknown[] = [];
      const gotB: unknown[] = [];
      await a.subscribe(queue, ['order.#'], async (m) => void gotA.push(m.payload));
      await b.subscribe(queue, ['order.#'], async (m) => void gotB.push(m.payload));
      await a.publish('order.created', { id: 1 });
      await waitFor(() => gotA.length === 1, 'the message in environment A');
      await sleep(200);
      expect(gotA).toEqual([{ id: 1 }]);
      expect(gotB).toEqual([]);
      const channel = await connection.createChannel();
      // these exist on the broker (check* closes the channel with 404 otherwise)
      await channel.checkExchange(`${prefixA}events`);
      await channel.checkExchange(`${prefixB}events`);
      await channel.checkQueue(`${prefixA}${queue}`);
      await channel.checkQueue(`${prefixA}${queue}.dead`);
      await channel.checkQueue(`${prefixB}${queue}`);
      await channel.close();
    } finally {
      await Promise.all([a.close(), b.close()]);
      const channel = await connection.createChannel();
      for (const p of [prefixA, prefixB]) {
        await channel.deleteQueue(`${p}${queue}`);
        await channel.deleteQueue(`${p}${queue}.dead`);
        await channel.deleteExchange(`${p}events`);
        await channel.deleteExchange(`${p}events.dlx`);
      }
      await connection.close();
    }
  });
});
