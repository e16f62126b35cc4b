import { randomUUID } from 'node:crypto';
import { connect } from 'amqplib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createAmqpBus } from '../../src/infra/bus/amqpBus.js';
import type { Bus, BusMessage } from '../../src/infra/bus/bus.js';
import { type RabbitCluster, startRabbitCluster } from '../support/rabbitCluster.js';
import { waitFor } from '../support/waitFor.js';

/**
 * Issue 14 item 8: "a three-node RabbitMQ keeps messages through the loss of a node". A private
 * three-node cluster (test/support/rabbitCluster.ts, never the shared broker) and the platform's
 * own bus, given the cluster's nodes as a URL list (`MCP_AMQP_URL=amqp://…n1,amqp://…n2,amqp://…n3`):
 * durable messages wait unconsumed in a quorum queue, the node holding the queue's leader (and the
 * bus's connection) is SIGKILLed, and the bus — now on a surviving node — delivers every message
 * exactly once. The contrast that justifies quorum queues: a classic queue lives on one node, and
 * while that node is down its messages cannot be reached from the others.
 *
 * The prose says node 1, 2, 3; the helper's indexes are 0-based (node 1 is `cluster.urls[0]`).
 */
const RUN = randomUUID().slice(0, 8);
const PREFIX = `mcp.test.c${RUN}.`;
const N = 300;

let cluster: RabbitCluster;

beforeAll(async () => {
  cluster = await startRabbitCluster();
}, 120_000);

afterEach(async () => {
  // every test starts from a whole cluster
  for (let i = 0; i < cluster.nodes.length; i++) if (!cluster.isRunning(i)) await cluster.startNode(i);
}, 60_000);

afterAll(async () => {
  await cluster?.destroy();
});

/** Declares `queue` (durable, bound to `pattern`) through a subscription and cancels it, so messages wait there unconsumed. */
async function declareIdle(bus: Bus, queue: string, pattern: string): Promise<void> {
  const sub = await bus.subscribe(queue, [pattern], async () => {
    throw new Error('no message was published yet');
  });
  await sub.cancel();
}

async function publishNumbered(bus: Bus, topic: string, n: number): Promise<void> {
  await Promise.all(Array.from({ length: n }, (_, seq) => bus.publish(topic, { seq })));
}

/** Messages waiting in `queue` as node `i` reports them (a passive declare on its own connection). */
async function waiting(i: number, queue: string): Promise<number> {
  const c = await connect(cluster.urls[i] as string);
  try {
    const ch = await c.createChannel();
    return (await ch.checkQueue(queue)).messageCount;
  } finally {
    await c.close().catch(() => undefined);
  }
}

const seqOf = (m: BusMessage): number => (m.payload as { seq: number }).seq;
const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

describe('three-node RabbitMQ cluster: the loss of a node', () => {
  it('quorum queue: the messages survive a kill -9 of the node holding the leader; the bus fails over to a surviving node and delivers each exactly once, and carries on taking new ones', async () => {
    const queue = `${PREFIX}orders`;
    const bus = createAmqpBus(cluster.urls.join(','), { prefix: PREFIX, queueType: 'quorum' });
    const got: BusMessage[] = [];
    try {
      await declareIdle(bus, 'orders', 'order.#');
      await publishNumbered(bus, 'order.created', N);

      // the bus connected to node 1 (first in the list), so node 1 holds the leader; all three hold a replica
      const before = await cluster.quorumQueue(queue, 1); // as node 2 reports it
      expect(before.leader).toBe(cluster.nodes[0]);
      expect([...before.members].sort()).toEqual([...cluster.nodes].sort());
      expect(await waiting(1, queue)).toBe(N);

      await cluster.stopNode(0, 'kill');

      // a surviving replica takes over as leader
      const after = await waitFor('a new leader on a surviving node', async () => {
        const q = await cluster.quorumQueue(queue, 1).catch(() => undefined);
        return q !== undefined && q.leader !== cluster.nodes[0] && q.online.includes(q.leader) ? q : undefined;
      });
      expect(after.online).not.toContain(cluster.nodes[0]);

      // the same bus reconnects to node 2 or 3 on its own and serves the queue from there
      await waitFor('the bus reconnected to a surviving node', () =>
        bus.ping().then(
          () => true,
          () => false,
        ),
      );
      const sub = await bus.subscribe('orders', ['order.#'], async (m) => {
        got.push(m);
      });
      await waitFor(`all ${N} messages`, () => got.length >= N);

      // a platform instance started now, with node 1 (first in its list) still down, uses the next node
      const late = createAmqpBus(cluster.urls.join(','), { prefix: PREFIX, queueType: 'quorum' });
      try {
        await late.publish('order.created', { seq: N });
      } finally {
        await late.close();
      }
      await waitFor('the message published after the loss', () => got.length >= N + 1);
      await sub.cancel();
    } finally {
      await bus.close();
    }

    expect(got.map(seqOf).sort((a, b) => a - b)).toEqual(range(N + 1));
    expect(new Set(got.map((m) => m.id)).size).toBe(N + 1);
    // every message was acknowledged: nothing is left to be delivered a second time
    expect(await waiting(1, queue)).toBe(0);
    expect(await waiting(2, queue)).toBe(0);
  });

  it('contrast, MCP_AMQP_QUEUE_TYPE=classic: the queue lives on one node; while that node is down its messages cannot be reached, they return only with the node', async () => {
    const queue = `${PREFIX}ledger`;
    // listed first, node 2 is where the bus connects, so it is the classic queue's home node
    const bus = createAmqpBus([cluster.urls[1], cluster.urls[2]].join(','), { prefix: PREFIX, queueType: 'classic' });
    const got: BusMessage[] = [];
    const collect = async (m: BusMessage) => {
      got.push(m);
    };
    try {
      await declareIdle(bus, 'ledger', 'ledger.#');
      await publishNumbered(bus, 'ledger.entry', N);
      expect(await waiting(2, queue)).toBe(N);

      await cluster.stopNode(1, 'kill');
      await waitFor('the bus reconnected to node 3', () =>
        bus.ping().then(
          () => true,
          () => false,
        ),
      );
      await expect(bus.subscribe('ledger', ['ledger.#'], collect)).rejects.toMatchObject({
        code: 'UNAVAILABLE',
        message: expect.stringMatching(/home node .* is down or inaccessible/),
      });
      expect(got).toEqual([]);

      await cluster.startNode(1);
      const sub = await waitFor('the queue back with its node', () => bus.subscribe('ledger', ['ledger.#'], collect).catch(() => undefined));
      await waitFor(`all ${N} messages`, () => got.length >= N);
      await sub.cancel();
    } finally {
      await bus.close();
    }
    expect(got.map(seqOf).sort((a, b) => a - b)).toEqual(range(N));
  });
});
