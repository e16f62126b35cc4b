import { createHash, randomBytes } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { backupKeyFrom, compressStage, decompressStage, decryptStream, digestTap, encryptStream } from '../../src/ops/backup/archive.js';

const key = backupKeyFrom('a-backup-secret-of-at-least-32-characters!');
const other = backupKeyFrom('another-backup-secret-of-32-characters-x');

function sink(out: Buffer[]): Writable {
  return new Writable({
    write(c: Buffer, _e, cb) {
      out.push(c);
      cb();
    },
  });
}

async function collect(stages: NodeJS.ReadWriteStream[], input: Buffer): Promise<Buffer> {
  const out: Buffer[] = [];
  await pipeline([Readable.from([input]), ...stages, sink(out)]);
  return Buffer.concat(out);
}

describe('backup archive format', () => {
  it.each([0, 1, 1000, 4096, 4097, 3 * 4096, 100_000])('round-trips %i bytes through encrypt/decrypt', async (n) => {
    const data = randomBytes(n);
    const sealed = await collect([encryptStream(key, 4096)], data);
    expect(sealed.length).toBeGreaterThan(n);
    expect((await collect([decryptStream(key)], sealed)).equals(data)).toBe(true);
  });

  it('round-trips through zstd + encryption, with a digest of the stored bytes', async () => {
    const data = Buffer.from('INSERT INTO users VALUES (1,"管理员");\n'.repeat(20_000));
    const tap = digestTap();
    const stored = await collect([compressStage(), encryptStream(key), tap], data);
    expect(stored.length).toBeLessThan(data.length / 10);
    expect(tap.sha256()).toBe(createHash('sha256').update(stored).digest('hex'));
    expect(tap.bytes()).toBe(stored.length);
    expect((await collect([decryptStream(key), decompressStage()], stored)).equals(data)).toBe(true);
  });

  it('refuses the wrong key before producing any plaintext, naming both key ids', async () => {
    const sealed = await collect([encryptStream(key, 4096)], randomBytes(10_000));
    const out: Buffer[] = [];
    const err = await pipeline([Readable.from([sealed]), decryptStream(other), sink(out)]).catch((e: Error) => e);
    expect(err).toMatchObject({ code: 'INVALID' });
    expect((err as Error).message).toContain(key.id);
    expect((err as Error).message).toContain(other.id);
    expect(out).toEqual([]);
  });

  it('detects a flipped bit, a truncation at a chunk boundary, and a dropped chunk', async () => {
    const sealed = await collect([encryptStream(key, 4096)], randomBytes(3 * 4096 + 10));
    const flipped = Buffer.from(sealed);
    flipped[100] = (flipped[100] ?? 0) ^ 1;
    await expect(collect([decryptStream(key)], flipped)).rejects.toMatchObject({ code: 'INVALID' });
    const sealedChunk = 4096 + 16;
    const header = 27;
    await expect(collect([decryptStream(key)], sealed.subarray(0, header + 2 * sealedChunk))).rejects.toThrow(/corrupted or truncated/);
    const dropped = Buffer.concat([sealed.subarray(0, header + sealedChunk), sealed.subarray(header + 2 * sealedChunk)]);
    await expect(collect([decryptStream(key)], dropped)).rejects.toThrow(/corrupted or truncated/);
    await expect(collect([decryptStream(key)], Buffer.from('plain SQL dump'))).rejects.toThrow(/not a backup archive/);
  });

  it('fails clearly when the compressed data is damaged', async () => {
    await expect(collect([decompressStage()], Buffer.from('not zstd at all'))).rejects.toThrow(/zstd decompression failed/);
  });
});
