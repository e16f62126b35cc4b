import { invalid } from '../../errors/appError.js';

/**
 * The storage key rules both implementations share (`localStorage` and `s3Storage`), so they
 * refuse exactly the same keys and list in the same order.
 */

/** Suffix marker of in-flight local uploads; reserved so that such names never collide with keys. */
export const PARTIAL_MARKER = '.partial-';
const FORBIDDEN_CHARS = /[\u0000-\u001f\u007f\\]/;

function segmentProblem(segment: string): string | undefined {
  if (segment === '') return 'empty path segment';
  if (segment === '.' || segment === '..') return `"${segment}" segment`;
  return undefined;
}

/**
 * Throws AppError INVALID unless `key` is a `/`-separated relative path with no empty, `.` or `..`
 * segment, no leading or trailing `/`, no backslash or control character, and whose last segment
 * does not contain the reserved `.partial-` marker.
 */
export function assertValidKey(key: string): void {
  if (typeof key !== 'string' || key.length === 0) throw invalid('storage key must not be empty');
  if (FORBIDDEN_CHARS.test(key)) throw invalid(`storage key ${JSON.stringify(key)} contains a backslash or control character`);
  if (key.startsWith('/')) throw invalid(`storage key ${JSON.stringify(key)} must be relative (no leading "/")`);
  const segments = key.split('/');
  for (const segment of segments) {
    const problem = segmentProblem(segment);
    if (problem) throw invalid(`storage key ${JSON.stringify(key)} is not allowed: ${problem}`);
  }
  if ((segments[segments.length - 1] ?? '').includes(PARTIAL_MARKER)) {
    throw invalid(`storage key ${JSON.stringify(key)} is not allowed: "${PARTIAL_MARKER}" is reserved`);
  }
}

/**
 * Throws AppError INVALID unless `prefix` is empty or a key prefix: complete segments before the last
 * `/` follow the key rules; the trailing partial segment may be anything without control characters.
 */
export function assertValidPrefix(prefix: string): void {
  if (typeof prefix !== 'string') throw invalid('storage prefix must be a string');
  if (prefix === '') return;
  if (FORBIDDEN_CHARS.test(prefix)) throw invalid(`storage prefix ${JSON.stringify(prefix)} contains a backslash or control character`);
  if (prefix.startsWith('/')) throw invalid(`storage prefix ${JSON.stringify(prefix)} must be relative (no leading "/")`);
  const segments = prefix.split('/');
  segments.pop(); // the partial last segment ('' when the prefix ends with '/')
  for (const segment of segments) {
    const problem = segmentProblem(segment);
    if (problem) throw invalid(`storage prefix ${JSON.stringify(prefix)} is not allowed: ${problem}`);
  }
}

/** Code-unit order, identical for every implementation (never locale-dependent). */
export function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A chunk of a caller's body stream as bytes (a Buffer as is, other bytes without a copy, anything else as text). */
export function toBuffer(chunk: unknown): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  return Buffer.from(String(chunk));
}
