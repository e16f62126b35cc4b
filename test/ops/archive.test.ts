import { createHash, randomBytes } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { backupKeyFrom, decryptStream, encryptStream } from '../../src/ops/backup/archive.js';
import { digestTap } from '../../src/ops/backup/digestTap.js';
import { compress, decompressStage, type RawInput } from '../../src/ops/backup/zstd.js';

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

  const dumpLike = Buffer.from(`-- CHANGE MASTER TO MASTER_LOG_FILE='bin.000007', MASTER_LOG_POS=4242;\n${'INSERT INTO users VALUES (1,"管理员");\n'.repeat(200_000)}`);

  async function storeAndRead(input: RawInput): Promise<void> {
    const zstd = compress(input);
    const tap = digestTap();
    const out: Buffer[] = [];
    await Promise.all([pipeline(zstd.output, encryptStream(key), tap, sink(out)), zstd.produced]);
    const stored = Buffer.concat(out);
    expect(stored.length).toBeLessThan(dumpLike.length / 10);
    expect(tap.sha256()).toBe(createHash('sha256').update(stored).digest('hex'));
    expect(tap.bytes()).toBe(stored.length);
    expect(zstd.rawBytes()).toBe(dumpLike.length);
    expect(await zstd.rawHead(100)).toBe(dumpLike.subarray(0, 100).toString('utf8'));
    expect((await collect([decryptStream(key), decompressStage()], stored)).equals(dumpLike)).toBe(true);
  }

  it('round-trips a file through zstd + encryption, with a digest of the stored bytes, the raw size and the raw head', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mcp-archive-test-'));
    try {
      writeFileSync(join(dir, 'dump.sql'), dumpLike);
      await storeAndRead({ file: join(dir, 'dump.sql') });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('round-trips a producer process writing straight into zstd, losing no byte', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mcp-archive-test-'));
    try {
      writeFileSync(join(dir, 'dump.sql'), dumpLike);
      await storeAndRead({
        start: (stdout) => {
          const cat = spawn('cat', [join(dir, 'dump.sql')], { stdio: ['ignore', stdout, 'ignore'] });
          return new Promise((res, rej) => cat.on('close', (code) => (code === 0 ? res() : rej(new Error(`cat exit ${code}`)))));
        },
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reports a producer that fails even though zstd ends its output normally', async () => {
    const zstd = compress({
      start: (stdout) => {
        const sh = spawn('sh', ['-c', 'echo partial; exit 3'], { stdio: ['ignore', stdout, 'ignore'] });
        return new Promise((res, rej) => sh.on('close', (code) => (code === 0 ? res() : rej(new Error(`producer exit ${code}`)))));
      },
    });
    const out: Buffer[] = [];
    await expect(Promise.all([pipeline(zstd.output, sink(out)), zstd.produced])).rejects.toThrow(/producer exit 3/);
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
