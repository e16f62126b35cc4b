import { spawn } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { Duplex, PassThrough, type Readable, type Writable } from 'node:stream';
import { AppError } from '../../errors/appError.js';

/*
 * zstd as child processes: the compression stage of a backup (raw bytes never pass through node)
 * and the decompression stage of a restore, with the tool's failures as AppErrors.
 */

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
