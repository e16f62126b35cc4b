import { invalid } from '../../errors/appError.js';
import { createAmqpBus } from './amqpBus.js';
import type { Bus } from './bus.js';
import { createInprocessBus } from './inprocessBus.js';

/**
 * Builds the bus named by `url` (`MCP_AMQP_URL`): `inprocess:` → in-process bus;
 * `amqp://`, `amqps://` → RabbitMQ, its exchange and queue names under `opts.prefix`. Any other scheme is rejected with INVALID (the URL itself is
 * not echoed: it may carry a password).
 */
export function createBus(url: string, opts: { prefix?: string; queueType?: 'quorum' | 'classic'; warn?: (message: string) => void } = {}): Bus {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase();
  switch (scheme) {
    case 'inprocess':
      return createInprocessBus();
    case 'amqp':
    case 'amqps':
      return createAmqpBus(url, { prefix: opts.prefix, queueType: opts.queueType, warn: opts.warn });
    default:
      throw invalid('unsupported bus URL scheme, expected inprocess:, amqp:// or amqps://', { scheme: scheme ?? null });
  }
}
