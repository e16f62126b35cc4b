import type { Breaker } from '../circuitBreaker.js';
import type { Storage } from './storage.js';

/**
 * Backup storage behind a circuit breaker (RES-3): an S3 endpoint that is down or hanging fails
 * its calls at once with 503 after the breaker opens, instead of every backup, prune or listing
 * waiting out the SDK's own timeouts. Listings, stats and deletes are bounded by the breaker's
 * timeout and retried once (idempotent); uploads and downloads are counted but not bounded (their
 * time grows with their size).
 */
export function guardStorage(storage: Storage, breaker: Breaker): Storage {
  return {
    kind: storage.kind,
    label: storage.label,
    put: (key, body) => breaker.call(() => storage.put(key, body), { unbounded: true }),
    get: (key) => breaker.call(() => storage.get(key), { unbounded: true }),
    stat: (key) => breaker.call(() => storage.stat(key), { idempotent: true }),
    list: (prefix) => breaker.call(() => storage.list(prefix), { idempotent: true }),
    delete: (key) => breaker.call(() => storage.delete(key), { idempotent: true }),
  };
}
