import { spawn } from 'node:child_process';
import { createCipheriv, createDecipheriv, createHash, randomBytes, type Hash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { Duplex, PassThrough, Transform, type Readable, type TransformCallback, type Writable } from 'node:stream';
import { AppError } from '../../errors/appError.js';

/**
 * The backup archive format (SPEC BAK-6): zstd-compressed, then encrypted with AES-256-GCM in
 * independently authenticated chunks (the STREAM construction), so a restore streams plaintext only
 * after each chunk has been authenticated, and truncation or reordering is detected.
 *
 *   header  = "MCPBAK01" | key id (8 bytes) | nonce prefix (7 bytes) | chunk size (u32 BE)
 *   chunk i = AES-256-GCM(plaintext_i, nonce = prefix | i (u32 BE) | last (1 byte), aad = header) | tag (16)
 *
 * Every chunk is `chunk size` bytes of plaintext except the last (possibly empty), which is sealed
 * with last = 1. The key is never stored with the backups; the key id names it.
 */
const MAGIC = Buffer.from('MCPBAK01');
export const HEADER_BYTES = MAGIC.length + 8 + 7 + 4;
const TAG_BYTES = 16;
const DEFAULT_CHUNK = 1024 * 1024;

export interface BackupKey {
  /** 16 hex characters naming the key (not secret). */
  id: string;
  key: Buffer;
}

/** The archive key from a configured secret: any text of ≥ 32 characters, hashed to 256 bits. */
export function backupKeyFrom(secret: string): BackupKey {
  const key = createHash('sha256').update(`mcp-platform backup key\0${secret}`).digest();
  return { id: createHash('sha256').update(key).digest('hex').slice(0, 16), key };
}

function nonce(prefix: Buffer, counter: number, last: boolean): Buffer {
  const n = Buffer.alloc(12);
  prefix.copy(n, 0);
  n.writeUInt32BE(counter, 7);
  n[11] = last ? 1 : 0;
  return n;
}

/** Encrypts a byte stream into the archive format. */
export function encryptStream(k: BackupKey, chunkSize = DEFAULT_CHUNK): Transform {
  const prefix = randomBytes(7);
  const header = Buffer.alloc(HEADER_BYTES);
  MAGIC.copy(header, 0);
  Buffer.from(k.id, 'hex').copy(header, 8);
  prefix.copy(header, 16);
  header.writeUInt32BE(chunkSize, 23);
  let counter = 0;
  let pending: Buffer[] = [];
  let pendingBytes = 0;

  // Sealed chunk = ciphertext then tag, pushed as they come (no copy into one buffer).
  const seal = (t: Transform, plain: Buffer, last: boolean): void => {
    if (counter > 0xffffffff) throw new AppError('INVALID', 'archive too large for one key stream');
    const c = createCipheriv('aes-256-gcm', k.key, nonce(prefix, counter++, last));
    c.setAAD(header);
    t.push(c.update(plain));
    const rest = c.final(); // empty for GCM
    if (rest.length) t.push(rest);
    t.push(c.getAuthTag());
  };

  return new Transform({
    construct(cb) {
      this.push(header);
      cb();
    },
    transform(chunk: Buffer, _enc, cb: TransformCallback) {
      pending.push(chunk);
      pendingBytes += chunk.length;
      // Keep at least one byte back so the final chunk is never empty unless the input was.
      while (pendingBytes > chunkSize) {
        const all = Buffer.concat(pending);
        seal(this, all.subarray(0, chunkSize), false);
        pending = [all.subarray(chunkSize)];
        pendingBytes = all.length - chunkSize;
      }
      cb();
    },
    flush(cb) {
      try {
        seal(this, Buffer.concat(pending), true);
        cb();
      } catch (e) {
        cb(e as Error);
      }
    },
  });
}

/**
 * Decrypts the archive format. Fails — before emitting any plaintext — when the archive was made
 * with another key or is not an archive; fails on any tampered, reordered or truncated chunk.
 */
export function decryptStream(k: BackupKey): Transform {
  let header: Buffer | undefined;
  let prefix: Buffer;
  let chunkSize = 0;
  let counter = 0;
  let buf: Buffer = Buffer.alloc(0);

  const open = (sealed: Buffer, last: boolean): Buffer => {
    const d = createDecipheriv('aes-256-gcm', k.key, nonce(prefix, counter++, last));
    d.setAAD(header!);
    d.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
    try {
      return Buffer.concat([d.update(sealed.subarray(0, sealed.length - TAG_BYTES)), d.final()]);
    } catch {
      throw new AppError('INVALID', `backup archive is corrupted or truncated (chunk ${counter - 1} failed authentication)`);
    }
  };

  return new Transform({
    transform(chunk: Buffer, _enc, cb: TransformCallback) {
      try {
        buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
        if (!header) {
          if (buf.length < HEADER_BYTES) return cb();
          header = Buffer.from(buf.subarray(0, HEADER_BYTES));
          checkHeader(header, k);
          prefix = header.subarray(16, 23);
          chunkSize = header.readUInt32BE(23);
          buf = buf.subarray(HEADER_BYTES);
        }
        const sealedSize = chunkSize + TAG_BYTES;
        // A full sealed chunk followed by more data cannot be the last one.
        while (buf.length > sealedSize) {
          this.push(open(buf.subarray(0, sealedSize), false));
          buf = buf.subarray(sealedSize);
        }
        cb();
      } catch (e) {
        cb(e as Error);
      }
    },
    flush(cb) {
      try {
        if (!header) throw new AppError('INVALID', 'not a backup archive (too short)');
        if (buf.length < TAG_BYTES) throw new AppError('INVALID', 'backup archive is truncated');
        this.push(open(buf, true));
        cb();
      } catch (e) {
        cb(e as Error);
      }
    },
  });
}

function checkHeader(header: Buffer, k: BackupKey): void {
  if (!header.subarray(0, 8).equals(MAGIC)) throw new AppError('INVALID', 'not a backup archive (bad magic)');
  const id = header.subarray(8, 16).toString('hex');
  if (id !== k.id) {
    throw new AppError('INVALID', `backup was encrypted with key ${id}, but the configured MCP_BACKUP_KEY is key ${k.id}`, { archiveKeyId: id, configuredKeyId: k.id });
  }
}

/** Key id recorded in an archive's first bytes. */
export function archiveKeyId(header: Buffer): string | undefined {
  return header.length >= 16 && header.subarray(0, 8).equals(MAGIC) ? header.subarray(8, 16).toString('hex') : undefined;
}

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

/**
 * A child process as a stream stage (`zstd -d` and friends): stdin in, stdout out. The stage
 * fails with the tool's own message when it exits non-zero.
 */
export function processStage(command: string, args: string[], what: string): Duplex {
  const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
  // The stage's output ends only once the process has exited successfully, so a failure is never
  // mistaken for a short but complete stream.
  const out = new PassThrough();
  child.stdout!.pipe(out, { end: false });
  const duplex = Duplex.from({ writable: child.stdin, readable: out });
  const fail = (e: Error) => {
    out.destroy(e);
    duplex.destroy(e);
  };
  child.on('error', (e) => fail(new AppError('UNAVAILABLE', `${what}: cannot run ${command}: ${e.message}`)));
  child.on('close', (code, signal) => {
    if (code === 0) out.end();
    else fail(new AppError('INVALID', `${what} failed (${signal ?? `exit ${code}`}): ${stderr.trim().split('\n').pop() ?? ''}`));
  });
  child.stdin.on('error', () => {}); // EPIPE when the tool quits early; its exit status tells why
  duplex.on('close', () => {
    if (child.exitCode === null) child.kill('SIGTERM');
  });
  return duplex;
}

/**
 * zstd -1 with one worker: -1 compresses SQL text and logs about as well as gzip -6 (≈ 3x) at
 * ≈ 300 MB/s per core, twice what mariadb-dump produces, so one worker keeps up; -T2 spent ≈ 15 %
 * more CPU for nothing on a two-core machine where the dump and the server need the rest, and -3
 * ≈ 50 % more for a few percent of size (bench/backup, bench/RESULTS.md).
 */
const ZSTD_ARGS = ['-1', '-T1'];
const HEAD_KEPT = 1024 * 1024;

/** Raw bytes for zstd: a file it opens itself, or a producer process started with its stdout on zstd's stdin. */
export type RawInput =
  | { file: string }
  | {
      /**
       * Spawns the producer — synchronously, before returning — with `stdout` as its standard
       * output, and settles when it has exited successfully.
       */
      start(stdout: Writable): Promise<void>;
    };

export interface Compression {
  /** The compressed bytes; ends only once zstd has exited successfully. */
  output: Readable;
  /** Settles when the producer (if any) has exited successfully. */
  produced: Promise<void>;
  /** Raw bytes zstd has read so far, for progress (Linux /proc; 0 elsewhere). */
  bytesRead(): number;
  /** Raw bytes in all, from zstd's own summary; known once `output` has ended. */
  rawBytes(): number;
  /** The first `limit` bytes of the raw data, decoded again from the start of the output (a dump's header). */
  rawHead(limit?: number): Promise<string>;
  kill(): void;
}

/**
 * Compresses raw bytes without node copying them: the producer writes straight into zstd through
 * an OS pipe (or zstd reads the file), and node sees only the compressed stream — a quarter of the
 * bytes for a dump (bench/backup: pushing the raw dump through node cost more than zstd itself).
 */
export function compress(input: RawInput): Compression {
  const file = 'file' in input ? input.file : undefined;
  const child = spawn('zstd', [...ZSTD_ARGS, '-vv', '-c', ...(file ? ['--', file] : [])], { stdio: [file ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
  let produced: Promise<void> = Promise.resolve();
  if (!file) {
    const stdin = child.stdin!;
    stdin.on('error', () => {});
    try {
      produced = (input as Exclude<RawInput, { file: string }>).start(stdin);
    } finally {
      // The producer holds the pipe's write end now; ours must go, or zstd never sees the end.
      stdin.destroy();
    }
  }
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const head: Buffer[] = [];
  let headBytes = 0;
  const out = new PassThrough();
  child.stdout!.on('data', (d: Buffer) => {
    if (headBytes < HEAD_KEPT) {
      head.push(d.subarray(0, HEAD_KEPT - headBytes));
      headBytes += Math.min(d.length, HEAD_KEPT - headBytes);
    }
  });
  child.stdout!.pipe(out, { end: false });
  let lastRead = 0;
  const bytesRead = () => {
    try {
      const m = /^rchar: (\d+)$/m.exec(readFileSync(`/proc/${child.pid}/io`, 'utf8'));
      if (m) lastRead = Math.max(lastRead, Number(m[1]));
    } catch {
      // not Linux, or zstd has exited
    }
    return lastRead;
  };
  child.on('error', (e) => out.destroy(new AppError('UNAVAILABLE', `zstd compression: cannot run zstd: ${e.message}`)));
  child.on('close', (code, signal) => {
    if (code === 0) out.end();
    else out.destroy(new AppError('INVALID', `zstd compression failed (${signal ?? `exit ${code}`}): ${stderr.trim().split('\n').pop() ?? ''}`));
  });
  return {
    output: out,
    produced,
    bytesRead,
    rawBytes: () => {
      // 1.5: "(1234 B => 567 B, …)"; 1.4: "(1234 => 567 bytes, …)"
      const m = /\(\s*(\d+)(?: B)? =>\s*\d+/.exec(stderr);
      if (m) return Number(m[1]);
      // A zstd that prints no summary: the file's size, or the last /proc reading (a lower bound).
      return file ? statSync(file).size : bytesRead();
    },
    rawHead: (limit = 64 * 1024) => decodePrefix(Buffer.concat(head), limit),
    kill: () => void (child.exitCode === null && child.kill('SIGTERM')),
  };
}

/** Decodes as much of a zstd stream's beginning as `prefix` holds (a truncated stream is expected). */
function decodePrefix(prefix: Buffer, limit: number): Promise<string> {
  return new Promise((resolve) => {
    const child = spawn('zstd', ['-d', '-q', '-c'], { stdio: ['pipe', 'pipe', 'ignore'] });
    const kept: Buffer[] = [];
    let size = 0;
    child.stdout.on('data', (d: Buffer) => {
      if (size < limit) kept.push(d.subarray(0, limit - size));
      size += d.length;
      if (size >= limit) child.kill('SIGTERM');
    });
    child.stdin.on('error', () => {});
    child.stdin.end(prefix);
    const done = () => resolve(Buffer.concat(kept).toString('utf8'));
    child.on('close', done);
    child.on('error', done);
  });
}

export const decompressStage = () => processStage('zstd', ['-d', '-q', '-c'], 'zstd decompression');
