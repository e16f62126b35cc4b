import { invalid } from '../../errors/appError.js';

/**
 * Converts a TTL in (possibly fractional) seconds to whole milliseconds, rejecting values Redis
 * would refuse. Shared by both cache implementations (`redisCache`, `memoryCache`) so they accept
 * the same inputs.
 */
export function ttlToMillis(ttlSeconds: number): number {
  if (!Number.isFinite(ttlSeconds) || ttlSeconds <= 0) {
    throw invalid('ttlSeconds must be a positive number', { ttlSeconds });
  }
  return Math.max(1, Math.round(ttlSeconds * 1000));
}
