import { createHash, type Hash } from 'node:crypto';
import { PassThrough } from 'node:stream';

/** A pass-through that hashes (SHA-256) and counts what flows through it. */
export function digestTap(): PassThrough & { sha256(): string; bytes(): number } {
  const hash: Hash = createHash('sha256');
  let bytes = 0;
  const tap = new PassThrough({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      bytes += chunk.length;
      cb(null, chunk);
    },
  });
  let digest: string | undefined;
  return Object.assign(tap, { sha256: () => (digest ??= hash.digest('hex')), bytes: () => bytes });
}
