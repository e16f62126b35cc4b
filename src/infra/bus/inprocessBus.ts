import { randomUUID } from 'node:crypto';
import { unavailable } from '../../errors/appError.js';
import type { Bus, BusHandler, BusMessage, BusStats, Subscription } from './bus.js';
import { DEFAULT_DEAD_LETTER_LIMIT, assertLimit, assertPatterns, assertQueueName, assertTopic, decodePayload, encodePayload, resolveSubscribeOptions } from './busRules.js';

/**
 * In-process twin of the RabbitMQ bus, modelled on the broker so both pass the same contract tests:
 * - a topic "exchange" routes each published message to every queue with a matching binding;
 * - a queue exists from its first `subscribe` and keeps its bindings and buffered messages after
 *   `cancel` (bindings accumulate across subscriptions, as AMQP bindings do);
 * - consumers of one queue compete (round robin among those below their `prefetch`);
 * - a failed delivery goes back to the tail of the queue with `attempt + 1`, or to the dead-letter
 *   list `<queue>.dead` once the consumer's `maxAttempts` is reached;
 * - a broadcast subscription gets its own auto-deleted queue `<prefix>.<uuid>` whose dead letters go
 *   to `<prefix>.dead`;
 * - payloads are serialised to JSON at publish time and parsed per delivery, so handlers see the
 *   same values they would see over AMQP; handlers always run asynchronously, never inside `publish`.
 *
 * Validation and the payload codec are shared with the AMQP adapter (`busRules.ts`).
 */

/** AMQP topic matching: `*` is exactly one word, `#` zero or more words. */
function topicMatches(pattern: string, topic: string): boolean {
  return matchWords(pattern.split('.'), topic.split('.'), 0, 0);
}

function matchWords(pattern: readonly string[], topic: readonly string[], p: number, t: number): boolean {
  if (p === pattern.length) return t === topic.length;
  const word = pattern[p];
  if (word === '#') {
    for (let skip = t; skip <= topic.length; skip += 1) {
      if (matchWords(pattern, topic, p + 1, skip)) return true;
    }
    return false;
  }
  return t < topic.length && (word === '*' || word === topic[t]) && matchWords(pattern, topic, p + 1, t + 1);
}

interface Envelope {
  id: string;
  topic: string;
  body: string;
  publishedAt: string;
  attempt: number;
  headers: Record<string, string>;
}

interface Consumer {
  handler: BusHandler;
  maxAttempts: number;
  prefetch: number;
  inFlight: Set<Promise<void>>;
}

interface QueueState {
  name: string;
  /** Key of the dead-letter list: the queue itself, or a broadcast subscription's prefix. */
  deadLetterTo: string;
  /** Broadcast queues disappear with their subscriber, as exclusive auto-delete AMQP queues do. */
  autoDelete: boolean;
  patterns: Set<string>;
  ready: Envelope[];
  consumers: Consumer[];
  nextConsumer: number;
  dispatchScheduled: boolean;
}

const toMessage = (envelope: Envelope): BusMessage => ({
  id: envelope.id,
  topic: envelope.topic,
  payload: decodePayload(envelope.body),
  publishedAt: envelope.publishedAt,
  attempt: envelope.attempt,
  headers: { ...envelope.headers },
});

export function createInprocessBus(): Bus {
  const queues = new Map<string, QueueState>();
  const deadLetterLists = new Map<string, Envelope[]>();
  const activeCancels = new Set<() => Promise<void>>();
  const counters: BusStats = { published: 0, consumed: 0, failed: 0, deadLettered: 0 };
  let closed = false;

  function ensureOpen(): void {
    if (closed) throw unavailable('message bus is closed');
  }

  function declareQueue(name: string, deadLetterTo: string, autoDelete: boolean): QueueState {
    const existing = queues.get(name);
    if (existing !== undefined) return existing;
    const queue: QueueState = {
      name,
      deadLetterTo,
      autoDelete,
      patterns: new Set(),
      ready: [],
      consumers: [],
      nextConsumer: 0,
      dispatchScheduled: false,
    };
    queues.set(name, queue);
    if (!deadLetterLists.has(deadLetterTo)) deadLetterLists.set(deadLetterTo, []);
    return queue;
  }

  /** Coalesces dispatch requests into one pass on a later macrotask. */
  function scheduleDispatch(queue: QueueState): void {
    if (queue.dispatchScheduled) return;
    queue.dispatchScheduled = true;
    setImmediate(() => {
      queue.dispatchScheduled = false;
      dispatch(queue);
    });
  }

  function dispatch(queue: QueueState): void {
    while (queue.ready.length > 0) {
      const consumer = nextFreeConsumer(queue);
      const envelope = consumer && queue.ready.shift();
      if (consumer === undefined || envelope === undefined) return;
      deliver(queue, consumer, envelope);
    }
  }

  /** Round robin over the consumers that are below their prefetch. */
  function nextFreeConsumer(queue: QueueState): Consumer | undefined {
    const count = queue.consumers.length;
    for (let offset = 0; offset < count; offset += 1) {
      const index = (queue.nextConsumer + offset) % count;
      const consumer = queue.consumers[index];
      if (consumer !== undefined && consumer.inFlight.size < consumer.prefetch) {
        queue.nextConsumer = index + 1;
        return consumer;
      }
    }
    return undefined;
  }

  function deliver(queue: QueueState, consumer: Consumer, envelope: Envelope): void {
    const delivery: Promise<void> = handle(queue, consumer, envelope).finally(() => {
      consumer.inFlight.delete(delivery);
      scheduleDispatch(queue);
    });
    consumer.inFlight.add(delivery);
  }

  async function handle(queue: QueueState, consumer: Consumer, envelope: Envelope): Promise<void> {
    try {
      await consumer.handler(toMessage(envelope));
      counters.consumed += 1;
    } catch {
      counters.failed += 1;
      if (envelope.attempt < consumer.maxAttempts) {
        queue.ready.push({ ...envelope, attempt: envelope.attempt + 1 });
      } else {
        deadLetterLists.get(queue.deadLetterTo)?.push(envelope);
        counters.deadLettered += 1;
      }
    }
  }

  function addConsumer(queue: QueueState, consumer: Consumer): Subscription {
    queue.consumers.push(consumer);
    scheduleDispatch(queue);
    let cancelled: Promise<void> | undefined;
    const cancel = (): Promise<void> => {
      cancelled ??= (async () => {
        activeCancels.delete(cancel);
        queue.consumers = queue.consumers.filter((other) => other !== consumer);
        if (queue.autoDelete) queues.delete(queue.name);
        // Deliveries already handed over finish (and are acknowledged) before cancel resolves.
        await Promise.allSettled([...consumer.inFlight]);
      })();
      return cancelled;
    };
    activeCancels.add(cancel);
    return { cancel };
  }

  return {
    kind: 'inprocess',
    async publish(topic, payload, options = {}) {
      ensureOpen();
      assertTopic(topic);
      const envelope: Envelope = {
        id: randomUUID(),
        topic,
        body: encodePayload(payload),
        publishedAt: new Date().toISOString(),
        attempt: 1,
        headers: { ...options.headers },
      };
      for (const queue of queues.values()) {
        if ([...queue.patterns].some((pattern) => topicMatches(pattern, topic))) {
          queue.ready.push(envelope);
          scheduleDispatch(queue);
        }
      }
      counters.published += 1;
    },
    async subscribe(queueName, patterns, handler, options = {}) {
      ensureOpen();
      assertQueueName(queueName);
      assertPatterns(patterns);
      const { maxAttempts, prefetch, broadcast } = resolveSubscribeOptions(options);
      const queue = broadcast ? declareQueue(`${queueName}.${randomUUID()}`, queueName, true) : declareQueue(queueName, queueName, false);
      for (const pattern of patterns) queue.patterns.add(pattern);
      return addConsumer(queue, { handler, maxAttempts, prefetch, inFlight: new Set() });
    },
    async deadLetters(queueName, limit = DEFAULT_DEAD_LETTER_LIMIT) {
      ensureOpen();
      assertLimit(limit);
      return (deadLetterLists.get(queueName) ?? []).slice(0, limit).map(toMessage);
    },
    async ping() {
      ensureOpen();
    },
    stats: () => ({ ...counters }),
    async close() {
      closed = true;
      await Promise.all([...activeCancels].map((cancel) => cancel()));
      queues.clear();
      deadLetterLists.clear();
    },
  };
}
