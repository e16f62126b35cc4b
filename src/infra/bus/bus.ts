/**
 * The message bus contract. Two implementations: `amqpBus` (RabbitMQ via amqplib: a durable topic
 * exchange, durable queues, persistent messages, publisher confirms, a dead-letter exchange) and
 * `inprocessBus` (same semantics inside one process), chosen by `MCP_AMQP_URL`
 * (`inprocess:` | `amqp://…`).
 *
 * Semantics both implementations honour (the contract tests check them on both):
 * - `publish` resolves only once the message is safely accepted (broker confirm for RabbitMQ);
 *   it rejects with `AppError` UNAVAILABLE when the broker cannot be reached — never hangs.
 * - A durable subscription's queue keeps messages published while no consumer runs; they are
 *   delivered when one subscribes (at-least-once).
 * - A handler that resolves acknowledges the message. A handler that throws gets it again, up to
 *   `maxAttempts` deliveries in all (`message.attempt` counts from 1); after that the message goes
 *   to the queue's dead-letter queue `<queue>.dead`, readable with `deadLetters`.
 * - `broadcast: true` subscriptions get every matching message in every process (an exclusive,
 *   auto-deleted queue per subscriber) — used for cache-invalidation fan-out.
 * - Topics are dot-separated words; patterns use `*` (one word) and `#` (zero or more words).
 */
export interface BusMessage<T = unknown> {
  id: string;
  topic: string;
  payload: T;
  publishedAt: string;
  /** 1 on first delivery. */
  attempt: number;
  /** Metadata that travels with the message, e.g. W3C `traceparent`; string values only. */
  headers: Record<string, string>;
}

export interface PublishOptions {
  headers?: Record<string, string>;
}

export type BusHandler = (message: BusMessage) => Promise<void>;

export interface SubscribeOptions {
  /** Deliveries in all before the message is dead-lettered. Default 5. */
  maxAttempts?: number;
  /** Fan-out to every subscriber instead of a shared work queue; `queue` is then a prefix. */
  broadcast?: boolean;
  /** Messages handled concurrently. Default 10. */
  prefetch?: number;
}

export interface Subscription {
  /** Stops consuming and resolves once in-flight handlers have settled; a durable queue and its messages remain. */
  cancel(): Promise<void>;
}

export interface BusStats {
  published: number;
  consumed: number;
  failed: number;
  deadLettered: number;
}

export interface Bus {
  readonly kind: 'amqp' | 'inprocess';
  /** `payload` must be JSON-serialisable (INVALID otherwise); a message no queue is bound to is dropped. */
  publish(topic: string, payload: unknown, options?: PublishOptions): Promise<void>;
  /**
   * Declares `queue` (it exists from its first subscription on and keeps buffering after `cancel`),
   * adds bindings for `patterns` (bindings accumulate, as AMQP bindings do) and starts consuming.
   */
  subscribe(queue: string, patterns: readonly string[], handler: BusHandler, options?: SubscribeOptions): Promise<Subscription>;
  /** Messages waiting in `<queue>.dead`, oldest first (read without removing). Default limit 100. */
  deadLetters(queue: string, limit?: number): Promise<BusMessage[]>;
  /** Rejects with UNAVAILABLE when the broker does not answer. */
  ping(): Promise<void>;
  stats(): BusStats;
  close(): Promise<void>;
}
