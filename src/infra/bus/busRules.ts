import { invalid } from '../../errors/appError.js';
import type { SubscribeOptions } from './bus.js';

/**
 * The bus rules both implementations share (`amqpBus` and `inprocessBus`), so they accept exactly
 * the same inputs: name and pattern validation, the contract's subscribe defaults and the JSON
 * payload codec.
 */

const DEFAULT_MAX_ATTEMPTS = 5;
const DEFAULT_PREFETCH = 10;
export const DEFAULT_DEAD_LETTER_LIMIT = 100;

/** AMQP short strings (routing keys, queue names) hold 255 bytes; leave room for `.dead`. */
const MAX_NAME_BYTES = 250;
const WORD = '[^.*#\\s]+';
const TOPIC = new RegExp(`^${WORD}(\\.${WORD})*$`);
const PATTERN = new RegExp(`^(${WORD}|\\*|#)(\\.(${WORD}|\\*|#))*$`);

/** Topics are non-empty dot-separated words without wildcards or whitespace. */
export function assertTopic(topic: string): void {
  if (!TOPIC.test(topic) || Buffer.byteLength(topic) > MAX_NAME_BYTES) {
    throw invalid('invalid topic: expected dot-separated words without wildcards', { topic });
  }
}

export function assertPatterns(patterns: readonly string[]): void {
  if (patterns.length === 0) throw invalid('at least one topic pattern is required');
  for (const pattern of patterns) {
    if (!PATTERN.test(pattern) || Buffer.byteLength(pattern) > MAX_NAME_BYTES) {
      throw invalid('invalid topic pattern: expected dot-separated words, `*` or `#`', { pattern });
    }
  }
}

/** Queue names are non-empty, fit an AMQP short string with the `.dead` suffix, and avoid `amq.`. */
export function assertQueueName(queue: string): void {
  if (queue.trim() === '' || Buffer.byteLength(queue) > MAX_NAME_BYTES || queue.startsWith('amq.')) {
    throw invalid('invalid queue name', { queue });
  }
}

export function assertLimit(limit: number): void {
  if (!Number.isInteger(limit) || limit < 1) throw invalid('limit must be a positive integer', { limit });
}

/** Applies the contract's defaults and rejects nonsensical values. */
export function resolveSubscribeOptions(options: SubscribeOptions): Required<SubscribeOptions> {
  const resolved = {
    maxAttempts: options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
    prefetch: options.prefetch ?? DEFAULT_PREFETCH,
    broadcast: options.broadcast ?? false,
  };
  if (!Number.isInteger(resolved.maxAttempts) || resolved.maxAttempts < 1) {
    throw invalid('maxAttempts must be a positive integer', { maxAttempts: resolved.maxAttempts });
  }
  if (!Number.isInteger(resolved.prefetch) || resolved.prefetch < 1 || resolved.prefetch > 65_535) {
    throw invalid('prefetch must be an integer between 1 and 65535', { prefetch: resolved.prefetch });
  }
  return resolved;
}

/** Serialises a payload to JSON; values JSON cannot represent (undefined, cycles, BigInt) are INVALID. */
export function encodePayload(payload: unknown): string {
  let body: string | undefined;
  try {
    body = JSON.stringify(payload);
  } catch (err) {
    throw invalid(`payload is not JSON-serialisable: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (body === undefined) throw invalid('payload is not JSON-serialisable');
  return body;
}

/** Parses a JSON body; a body that is not JSON (a foreign publisher's) is handed over as raw text. */
export function decodePayload(body: string): unknown {
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return body;
  }
}
