import { randomUUID } from 'node:crypto';
import { connect, type Channel, type ChannelModel, type ConfirmChannel, type Message, type Options } from 'amqplib';
import { AppError, invalid, unavailable } from '../../errors/appError.js';
import type { Bus, BusHandler, BusMessage, BusStats, Subscription } from './bus.js';
import { DEFAULT_DEAD_LETTER_LIMIT, assertLimit, assertPatterns, assertQueueName, assertTopic, decodePayload, encodePayload, resolveSubscribeOptions } from './busRules.js';
import { waitAtMost, withTimeout } from '../timeouts.js';

/**
 * RabbitMQ bus adapter (amqplib).
 *
 * Topology (re-asserted on every connection): a durable topic exchange (`mcp.events` by default),
 * a durable direct dead-letter exchange `<exchange>.dlx`, and per subscription a durable queue
 * declared with `x-dead-letter-exchange: <exchange>.dlx` and `x-dead-letter-routing-key: <queue>`,
 * whose dead letters land in the durable queue `<queue>.dead`; both are quorum queues unless
 * `queueType` says classic. A broadcast subscription uses a
 * server-named exclusive auto-delete queue instead and dead-letters to `<prefix>.dead`.
 *
 * Messages are persistent JSON with `messageId`, `timestamp` (POSIX seconds) and the headers
 * `x-topic`, `x-published-at` (ISO time, millisecond precision) and `x-attempt`. Publishing goes
 * through a confirm channel and resolves only on the broker's ack (nack or timeout: UNAVAILABLE).
 *
 * Retries: when a handler throws and `attempt < maxAttempts`, the message is republished to the
 * same queue (default exchange, confirmed) with `x-attempt + 1` and the original is acked; otherwise
 * it is nacked without requeue, so the broker dead-letters it. Each subscription has its own channel
 * with `prefetch` as its QoS.
 *
 * Failures: while the connection is down every call rejects with UNAVAILABLE at once (nothing is
 * buffered); the adapter reconnects in the background with capped, jittered exponential backoff,
 * re-asserts the topology and re-attaches every active subscription. Any channel that fails
 * unexpectedly (or a consumer cancelled by the broker, e.g. its queue was deleted) recycles the
 * whole connection through that same path. Unacknowledged deliveries are redelivered by the broker,
 * so delivery is at-least-once. Broadcast queues do not survive a reconnect (they are per
 * connection): their subscribers miss what was published meanwhile.
 *
 * Clusters: `url` may list several nodes of one RabbitMQ cluster, comma-separated
 * (`amqp://u:p@mq1:5672,amqp://u:p@mq2:5672,amqp://u:p@mq3:5672`). Each connection attempt tries
 * them in turn, starting with the node it last reached, so the platform carries on through the loss
 * of a node (a node that went away refuses at once; one that hangs costs `connectTimeoutMs` once);
 * with quorum queues no message is lost either.
 */
export interface AmqpBusOptions {
  /**
   * Prefix of every exchange and queue name (`MCP_AMQP_PREFIX`, e.g. `mcp.`), so environments can
   * share one broker: exchange `<prefix>events`, queue `<prefix><queue>`. Unset: names as given.
   */
  prefix?: string;
  /** Topic exchange to publish to and bind queues on. Default `<prefix>events`, without a prefix `mcp.events`. */
  exchange?: string;
  /** Bound on opening one connection (TCP + AMQP handshake); also how long the first calls wait for it. Default 5000. */
  connectTimeoutMs?: number;
  /** Bound on one broker round trip: publish confirm, `ping`, `deadLetters`. Default 5000. */
  publishTimeoutMs?: number;
  /**
   * Type of the durable queues it declares (`MCP_AMQP_QUEUE_TYPE`): `quorum` (default; replicated
   * over a cluster's nodes, so a three-node RabbitMQ keeps their messages through the loss of one)
   * or `classic`. A queue that already exists as classic (declared by an older version) stays
   * classic: RabbitMQ cannot change a queue's type, and refusing it would stop the platform; `warn`
   * is told once per such queue, with how to move it.
   */
  queueType?: 'quorum' | 'classic';
  warn?: (message: string) => void;
}

interface Connection {
  model: ChannelModel;
  publisher: ConfirmChannel;
}

interface ActiveSubscription {
  /** Durable queue name, or the prefix of a broadcast subscription. */
  name: string;
  patterns: readonly string[];
  handler: BusHandler;
  maxAttempts: number;
  prefetch: number;
  broadcast: boolean;
  /** Channel and consumer of the current attachment, set once consuming. */
  channel: Channel | undefined;
  consumerTag: string | undefined;
  inFlight: Set<Promise<void>>;
  /** Set when `cancel` was called. */
  cancelling: Promise<void> | undefined;
}

const DEFAULT_EXCHANGE = 'mcp.events';
const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;
const DEFAULT_PUBLISH_TIMEOUT_MS = 5_000;
const RECONNECT_BASE_DELAY_MS = 100;
const RECONNECT_MAX_DELAY_MS = 5_000;
const NOT_FOUND = 404;
const PRECONDITION_FAILED = 406;
const HEADER_TOPIC = 'x-topic';
const HEADER_PUBLISHED_AT = 'x-published-at';
const HEADER_ATTEMPT = 'x-attempt';

const noop = (): void => undefined;
const errorMessage = (err: unknown): string => (err instanceof Error ? err.message : String(err));

function brokerError(action: string, err: unknown): AppError {
  if (err instanceof AppError) return err;
  return unavailable(`message broker unavailable (${action}): ${errorMessage(err)}`, err);
}

/** Rejects with UNAVAILABLE when `promise` does not settle within `ms`; maps other failures too. */
async function brokerAnswer<T>(promise: Promise<T>, ms: number, action: string): Promise<T> {
  try {
    return await withTimeout(promise, ms, () => unavailable(`message broker did not answer ${action} within ${ms} ms`));
  } catch (err) {
    throw brokerError(action, err);
  }
}

/** Publishes on a confirm channel; resolves on the broker's ack, rejects UNAVAILABLE on nack, close or timeout. */
function confirmPublish(publisher: ConfirmChannel, target: { exchange: string; routingKey: string }, body: Buffer, options: Options.Publish, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(unavailable(`message broker did not confirm the publish within ${timeoutMs} ms`)), timeoutMs);
    const settle = (err: unknown): void => {
      clearTimeout(timer);
      if (err === null || err === undefined) resolve();
      else reject(brokerError('publish', err));
    };
    try {
      publisher.publish(target.exchange, target.routingKey, body, options, settle);
    } catch (err) {
      settle(err);
    }
  });
}

/** Caller headers travel under this prefix so they never clash with the bus's own. */
const HEADER_USER_PREFIX = 'x-h-';

function publishOptions(message: Omit<BusMessage, 'payload'>): Options.Publish {
  return {
    persistent: true,
    contentType: 'application/json',
    messageId: message.id,
    timestamp: Math.floor(Date.parse(message.publishedAt) / 1000),
    headers: {
      ...Object.fromEntries(Object.entries(message.headers).map(([k, v]) => [`${HEADER_USER_PREFIX}${k}`, v])),
      [HEADER_TOPIC]: message.topic,
      [HEADER_PUBLISHED_AT]: message.publishedAt,
      [HEADER_ATTEMPT]: message.attempt,
    },
  };
}

/** Reads a delivery; messages from foreign publishers fall back to the AMQP properties. */
function decode(msg: Message): BusMessage {
  const headers = msg.properties.headers ?? {};
  const topic: unknown = headers[HEADER_TOPIC];
  const publishedAt: unknown = headers[HEADER_PUBLISHED_AT];
  const attempt: unknown = headers[HEADER_ATTEMPT];
  const messageId: unknown = msg.properties.messageId;
  const timestamp: unknown = msg.properties.timestamp;
  return {
    id: typeof messageId === 'string' ? messageId : '',
    topic: typeof topic === 'string' ? topic : msg.fields.routingKey,
    payload: decodePayload(msg.content.toString('utf8')),
    publishedAt: typeof publishedAt === 'string' ? publishedAt : new Date(typeof timestamp === 'number' ? timestamp * 1000 : 0).toISOString(),
    attempt: typeof attempt === 'number' && Number.isInteger(attempt) && attempt > 0 ? attempt : 1,
    headers: Object.fromEntries(
      Object.entries(headers)
        .filter(([k, v]) => k.startsWith(HEADER_USER_PREFIX) && typeof v === 'string')
        .map(([k, v]) => [k.slice(HEADER_USER_PREFIX.length), v as string]),
    ),
  };
}

/** Resolves true when the handler settles successfully, false when it throws or rejects. */
async function runHandler(handler: BusHandler, message: BusMessage): Promise<boolean> {
  try {
    await handler(message);
    return true;
  } catch {
    return false;
  }
}

/**
 * Splits a comma-separated list of node URLs (a comma only separates where the next URL's scheme
 * follows, so a comma inside one URL stays in it) and checks each.
 */
function parseAmqpUrls(url: string): string[] {
  const urls = url.split(/,(?=\s*amqps?:\/\/)/i).map((u) => u.trim());
  for (const u of urls) assertAmqpUrl(u);
  return urls;
}

/** Rejects anything but `amqp://` / `amqps://` up front (without echoing the URL: it may carry a password). */
function assertAmqpUrl(url: string): void {
  let protocol: string | undefined;
  try {
    protocol = new URL(url).protocol;
  } catch {
    throw invalid('malformed AMQP URL');
  }
  if (protocol !== 'amqp:' && protocol !== 'amqps:') throw invalid('unsupported AMQP URL scheme', { scheme: protocol });
}

export function createAmqpBus(url: string, opts: AmqpBusOptions = {}): Bus {
  const urls = parseAmqpUrls(url);
  const exchange = opts.exchange ?? (opts.prefix === undefined ? DEFAULT_EXCHANGE : `${opts.prefix}events`);
  const queueOf = (name: string) => `${opts.prefix ?? ''}${name}`;
  const deadLetterExchange = `${exchange}.dlx`;
  const connectTimeoutMs = opts.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const publishTimeoutMs = opts.publishTimeoutMs ?? DEFAULT_PUBLISH_TIMEOUT_MS;
  const queueType = opts.queueType ?? 'quorum';
  const options = opts;
  /** Durable queues found as classic and kept so. */
  const classicKept = new Set<string>();
  const counters: BusStats = { published: 0, consumed: 0, failed: 0, deadLettered: 0 };
  const subscriptions = new Set<ActiveSubscription>();
  let current: Connection | undefined;
  let connecting = false;
  let failedAttempts = 0;
  let reconnectTimer: NodeJS.Timeout | undefined;
  let closing: Promise<void> | undefined;
  /** Last connection/channel error (host, port, reason: amqplib never includes credentials). */
  let lastError: string | undefined;
  /** Index in `urls` of the node the next connection attempt tries first: the last one reached. */
  let firstNode = 0;

  const noteError = (err: unknown): void => {
    lastError = errorMessage(err);
  };

  let establishing: Promise<void> = establish();
  let initialConnection: Promise<void> | undefined = establishing.then(() => {
    initialConnection = undefined;
  });

  /** One connection attempt; on failure (or if the connection is lost later) a retry is scheduled. */
  async function establish(): Promise<void> {
    connecting = true;
    try {
      await openConnection();
      failedAttempts = 0;
      lastError = undefined;
    } catch (err) {
      failedAttempts += 1;
      noteError(err);
    } finally {
      connecting = false;
    }
    scheduleReconnect();
  }

  /** Connects to the first node of `urls` that answers, starting with `firstNode`. */
  async function connectToNode(): Promise<ChannelModel> {
    let failure: unknown;
    for (let k = 0; k < urls.length; k++) {
      const node = (firstNode + k) % urls.length;
      try {
        const model = await connect(urls[node] as string, { timeout: connectTimeoutMs, clientProperties: { connection_name: 'mcp-platform' } });
        firstNode = node;
        return model;
      } catch (err) {
        failure = err;
      }
    }
    throw failure;
  }

  async function openConnection(): Promise<void> {
    const model = await connectToNode();
    model.on('error', noteError);
    model.on('close', () => connectionLost(model));
    try {
      const publisher = await model.createConfirmChannel();
      publisher.on('error', noteError);
      publisher.on('close', () => connectionLost(model));
      await publisher.assertExchange(exchange, 'topic', { durable: true });
      await publisher.assertExchange(deadLetterExchange, 'direct', { durable: true });
      const connection: Connection = { model, publisher };
      current = connection;
      await Promise.all([...subscriptions].map((subscription) => attach(subscription, connection)));
    } catch (err) {
      if (current?.model === model) current = undefined;
      await model.close().catch(noop);
      throw err;
    }
  }

  /** Drops a broken connection (idempotent) and lets the backoff loop open a new one. */
  function connectionLost(model: ChannelModel): void {
    if (current?.model !== model) return;
    current = undefined;
    model.close().catch(noop);
    scheduleReconnect();
  }

  function scheduleReconnect(): void {
    if (closing !== undefined || connecting || current !== undefined || reconnectTimer !== undefined) return;
    const base = Math.min(RECONNECT_BASE_DELAY_MS * 2 ** failedAttempts, RECONNECT_MAX_DELAY_MS);
    const delay = base * (0.8 + Math.random() * 0.2);
    reconnectTimer = setTimeout(() => {
      reconnectTimer = undefined;
      establishing = establish();
    }, delay);
  }

  /** The open connection; the first calls wait (bounded) for the initial attempt, later ones never wait. */
  async function requireConnection(): Promise<Connection> {
    if (closing !== undefined) throw unavailable('message bus is closed');
    if (initialConnection !== undefined) await waitAtMost(initialConnection, connectTimeoutMs);
    if (current === undefined) throw unavailable('message broker unreachable', undefined, { lastError });
    return current;
  }

  /** Declares the subscription's queues and bindings on a fresh channel and starts consuming. */
  async function attach(subscription: ActiveSubscription, connection: Connection): Promise<void> {
    const channel = await connection.model.createChannel();
    channel.on('error', noteError);
    channel.on('close', () => {
      if (subscription.channel !== channel) return;
      subscription.channel = undefined;
      if (subscription.cancelling === undefined) connectionLost(connection.model);
    });
    let consumerTag: string;
    try {
      const queue = await declareQueues(connection.model, channel, subscription);
      await channel.prefetch(subscription.prefetch);
      ({ consumerTag } = await channel.consume(queue, (msg) => {
        // `null`: the broker cancelled the consumer (e.g. its queue was deleted); recycling re-declares it.
        if (msg === null) connectionLost(connection.model);
        else track(subscription, processDelivery(subscription, connection, channel, queue, msg));
      }));
    } catch (err) {
      await channel.close().catch(noop);
      throw err;
    }
    if (subscription.cancelling !== undefined) {
      // Cancelled while a reconnect was re-attaching it: stop the consumer that was just started.
      await channel.close().catch(noop);
      return;
    }
    subscription.channel = channel;
    subscription.consumerTag = consumerTag;
  }

  /**
   * Declares a durable queue of the configured type. A queue that exists with another type makes the
   * broker close the channel (406 inequivalent x-queue-type), so the quorum declaration is tried on a
   * throwaway channel first and an existing classic queue is kept as it is.
   */
  async function assertDurableQueue(model: ChannelModel, channel: Channel, name: string, o: Options.AssertQueue = {}): Promise<void> {
    if (queueType === 'quorum' && !classicKept.has(name)) {
      const probe = await model.createChannel();
      probe.on('error', noop);
      try {
        await probe.assertQueue(name, { durable: true, ...o, arguments: { ...o.arguments, 'x-queue-type': 'quorum' } });
        await probe.close().catch(noop);
      } catch (err) {
        if ((err as { code?: number }).code !== PRECONDITION_FAILED || !/x-queue-type/.test(String((err as Error).message))) throw err;
        classicKept.add(name);
        options.warn?.(
          `RabbitMQ queue ${name} exists as a classic queue and is kept as one (its messages live on one node); to make it a quorum queue, stop the platform's consumers, let it drain, delete it, and start again`,
        );
      }
    }
    await channel.assertQueue(name, {
      durable: true,
      ...o,
      ...(queueType === 'quorum' && !classicKept.has(name) ? { arguments: { ...o.arguments, 'x-queue-type': 'quorum' } } : {}),
    });
  }

  /** Returns the name of the queue to consume from. */
  async function declareQueues(model: ChannelModel, channel: Channel, subscription: ActiveSubscription): Promise<string> {
    const deadQueue = `${subscription.name}.dead`;
    await assertDurableQueue(model, channel, deadQueue);
    await channel.bindQueue(deadQueue, deadLetterExchange, subscription.name);
    const deadLettering = { deadLetterExchange, deadLetterRoutingKey: subscription.name };
    let queue = subscription.name;
    // a broadcast queue is per connection (exclusive, auto-delete): classic by nature
    if (subscription.broadcast) ({ queue } = await channel.assertQueue('', { exclusive: true, autoDelete: true, durable: false, ...deadLettering }));
    else await assertDurableQueue(model, channel, subscription.name, deadLettering);
    for (const pattern of subscription.patterns) await channel.bindQueue(queue, exchange, pattern);
    return queue;
  }

  function track(subscription: ActiveSubscription, delivery: Promise<void>): void {
    subscription.inFlight.add(delivery);
    void delivery.finally(() => subscription.inFlight.delete(delivery));
  }

  async function processDelivery(subscription: ActiveSubscription, connection: Connection, channel: Channel, queue: string, msg: Message): Promise<void> {
    const message = decode(msg);
    const handled = await runHandler(subscription.handler, message);
    try {
      if (handled) {
        channel.ack(msg);
        counters.consumed += 1;
        return;
      }
      counters.failed += 1;
      if (message.attempt < subscription.maxAttempts) {
        const retry = { ...message, attempt: message.attempt + 1 };
        await confirmPublish(connection.publisher, { exchange: '', routingKey: queue }, msg.content, publishOptions(retry), publishTimeoutMs);
        channel.ack(msg);
      } else {
        channel.nack(msg, false, false);
        counters.deadLettered += 1;
      }
    } catch {
      // The channel or connection went away: the broker redelivers the unacknowledged message.
    }
  }

  function cancelSubscription(subscription: ActiveSubscription): Promise<void> {
    subscription.cancelling ??= (async () => {
      subscriptions.delete(subscription);
      const { channel, consumerTag } = subscription;
      if (channel !== undefined && consumerTag !== undefined) await channel.cancel(consumerTag).catch(noop);
      // Deliveries already handed to the handler finish and are acknowledged before the channel closes.
      await Promise.allSettled([...subscription.inFlight]);
      subscription.channel = undefined;
      await channel?.close().catch(noop);
    })();
    return subscription.cancelling;
  }

  /**
   * Reads up to `limit` messages with `basic.get` (no auto-ack) on a short-lived channel, then
   * closes that channel: the broker returns every unacknowledged message to its original position,
   * so the read removes nothing (the messages only get the `redelivered` flag). A missing queue
   * means nothing was dead-lettered yet.
   */
  async function peek(model: ChannelModel, queue: string, limit: number): Promise<BusMessage[]> {
    const channel = await model.createChannel();
    // A missing queue closes the channel with a 404 error; `get` rejects with it and it is handled there.
    channel.on('error', noop);
    const messages: BusMessage[] = [];
    try {
      while (messages.length < limit) {
        const msg = await channel.get(queue, { noAck: false });
        if (msg === false) break;
        messages.push(decode(msg));
      }
      return messages;
    } catch (err) {
      if ((err as { code?: unknown }).code === NOT_FOUND) return [];
      throw err;
    } finally {
      await channel.close().catch(noop);
    }
  }

  async function shutdown(): Promise<void> {
    clearTimeout(reconnectTimer);
    reconnectTimer = undefined;
    await establishing;
    await Promise.all([...subscriptions].map(cancelSubscription));
    const connection = current;
    current = undefined;
    await connection?.model.close().catch(noop);
  }

  return {
    kind: 'amqp',
    async publish(topic, payload, publishOpts = {}) {
      assertTopic(topic);
      const body = Buffer.from(encodePayload(payload));
      const { publisher } = await requireConnection();
      const message = { id: randomUUID(), topic, publishedAt: new Date().toISOString(), attempt: 1, headers: publishOpts.headers ?? {} };
      await confirmPublish(publisher, { exchange, routingKey: topic }, body, publishOptions(message), publishTimeoutMs);
      counters.published += 1;
    },
    async subscribe(queue, patterns, handler, options = {}): Promise<Subscription> {
      assertQueueName(queue);
      assertPatterns(patterns);
      const { maxAttempts, prefetch, broadcast } = resolveSubscribeOptions(options);
      const connection = await requireConnection();
      const subscription: ActiveSubscription = {
        name: queueOf(queue),
        patterns: [...patterns],
        handler,
        maxAttempts,
        prefetch,
        broadcast,
        channel: undefined,
        consumerTag: undefined,
        inFlight: new Set(),
        cancelling: undefined,
      };
      try {
        await attach(subscription, connection);
      } catch (err) {
        throw brokerError('subscribe', err);
      }
      // Reconnects re-attach from this set. They run on a later timer tick, so a connection lost
      // right after `attach` resolved still finds the subscription registered here.
      subscriptions.add(subscription);
      return { cancel: () => cancelSubscription(subscription) };
    },
    async deadLetters(queue, limit = DEFAULT_DEAD_LETTER_LIMIT) {
      assertQueueName(queue);
      assertLimit(limit);
      const { model } = await requireConnection();
      return brokerAnswer(peek(model, `${queueOf(queue)}.dead`, limit), publishTimeoutMs, 'deadLetters');
    },
    async ping() {
      const { publisher } = await requireConnection();
      await brokerAnswer(publisher.checkExchange(exchange), publishTimeoutMs, 'ping');
    },
    stats: () => ({ ...counters }),
    close() {
      closing ??= shutdown();
      return closing;
    },
  };
}
