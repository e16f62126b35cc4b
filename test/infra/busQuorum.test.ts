import { randomUUID } from 'node:crypto';
import { connect } from 'amqplib';
import { afterAll, describe, expect, it } from 'vitest';
import { createAmqpBus } from '../../src/infra/bus/amqpBus.js';
import type { BusMessage } from '../../src/infra/bus/bus.js';
import { waitFor } from '../support/waitFor.js';

/**
 * Issue 14 item 8: the durable queues the platform declares are quorum queues (replicated over a
 * RabbitMQ cluster's nodes), against the real broker. A queue an older version declared as classic
 * is kept (RabbitMQ cannot change a queue's type) with its messages, and the operator is told.
 * The broker answers a declaration of another type with 406 "inequivalent arg 'x-queue-type'": that
 * is how the tests read a queue's type without the management plugin.
 */
const AMQP_URL = process.env.MCP_TEST_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const RUN = randomUUID().slice(0, 8);
const PREFIX = `mcp.test.q${RUN}.`;
const created: string[] = [];

async function typeOf(queue: string): Promise<'quorum' | 'classic'> {
  const c = await connect(AMQP_URL);
  try {
    const ch = await c.createChannel();
    ch.on('error', () => undefined);
    try {
      // the same arguments the bus declares (a dead-letter queue has none), only the type differs
      const deadLettering = queue.endsWith('.dead') ? {} : { deadLetterExchange: `${PREFIX}events.dlx`, deadLetterRoutingKey: queue };
      await ch.assertQueue(queue, { durable: true, arguments: { 'x-queue-type': 'classic' }, ...deadLettering });
      return 'classic';
    } catch (e) {
      if (/inequivalent arg 'x-queue-type'/.test((e as Error).message)) return 'quorum';
      throw e;
    }
  } finally {
    await c.close().catch(() => undefined);
  }
}

afterAll(async () => {
  const c = await connect(AMQP_URL);
  const ch = await c.createChannel();
  for (const q of created) await ch.deleteQueue(q).catch(() => undefined);
  await ch.deleteExchange(`${PREFIX}events`).catch(() => undefined);
  await ch.deleteExchange(`${PREFIX}events.dlx`).catch(() => undefined);
  await c.close();
});

describe('quorum queues (real RabbitMQ)', () => {
  it('a subscription declares its queue and its dead-letter queue as quorum queues, and delivers through them', async () => {
    const bus = createAmqpBus(AMQP_URL, { prefix: PREFIX });
    created.push(`${PREFIX}work`, `${PREFIX}work.dead`);
    const got: BusMessage[] = [];
    try {
      await bus.subscribe(
        'work',
        ['q.#'],
        async (m) => {
          got.push(m);
          if (m.payload === 'poison') throw new Error('cannot handle');
        },
        { maxAttempts: 1 },
      );
      await bus.publish('q.one', 'hello');
      await bus.publish('q.two', 'poison');
      await waitFor('both deliveries', () => got.length === 2);
      await waitFor('the poison message in the dead-letter queue', async () => (await bus.deadLetters('work')).length === 1);
    } finally {
      await bus.close();
    }
    expect(await typeOf(`${PREFIX}work`)).toBe('quorum');
    expect(await typeOf(`${PREFIX}work.dead`)).toBe('quorum');
  });

  it('an existing classic queue (an older version) is kept with its messages, and the operator is told once', async () => {
    const queue = `${PREFIX}legacy`;
    created.push(queue, `${queue}.dead`);
    const c = await connect(AMQP_URL);
    const ch = await c.createChannel();
    await ch.assertQueue(queue, { durable: true, deadLetterExchange: `${PREFIX}events.dlx`, deadLetterRoutingKey: queue });
    ch.sendToQueue(queue, Buffer.from(JSON.stringify('left by the old version')), {
      persistent: true,
      messageId: randomUUID(),
      headers: { 'x-topic': 'q.old', 'x-published-at': new Date().toISOString(), 'x-attempt': 1 },
      contentType: 'application/json',
    });
    await ch.close();
    await c.close();

    const warnings: string[] = [];
    const bus = createAmqpBus(AMQP_URL, { prefix: PREFIX, warn: (m) => warnings.push(m) });
    const got: unknown[] = [];
    try {
      await bus.subscribe('legacy', ['q.#'], async (m) => {
        got.push(m.payload);
      });
      await bus.publish('q.new', 'after the upgrade');
      await waitFor('both messages', () => got.length === 2);
    } finally {
      await bus.close();
    }
    expect(got).toEqual(['left by the old version', 'after the upgrade']);
    expect(await typeOf(queue)).toBe('classic');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(`${queue} exists as a classic queue`);
  });

  it('MCP_AMQP_QUEUE_TYPE=classic declares classic queues', async () => {
    const bus = createAmqpBus(AMQP_URL, { prefix: PREFIX, queueType: 'classic' });
    created.push(`${PREFIX}plain`, `${PREFIX}plain.dead`);
    try {
      await bus.subscribe('plain', ['p.#'], async () => undefined);
    } finally {
      await bus.close();
    }
    expect(await typeOf(`${PREFIX}plain`)).toBe('classic');
  });
});
