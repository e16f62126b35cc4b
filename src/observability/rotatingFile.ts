import { createWriteStream, mkdirSync, openSync, readdirSync, renameSync, statSync, unlinkSync, type WriteStream } from 'node:fs';
import { basename, extname, join } from 'node:path';

/**
 * An append-only log file that rotates when it passes `maxBytes` or when the day changes, so
 * age-based retention can remove whole days. Writes are buffered and asynchronous (a request never
 * waits for the disk); a rotated file is named `<name>-YYYYMMDD-HHmmss-NNN.log` after the time of
 * its last line, so the names sort in order.
 * One time basis: the day boundary and the rotated files' names are both in the process's local
 * time zone (`TZ`), the zone of the log lines themselves, so `app-20261130-…` holds the lines of
 * 30 November as they read. With `retentionDays`, rotated files older than that are deleted when
 * the file opens, at every rotation and once a day.
 */
export interface RotatingFileOptions {
  /** Days a rotated file is kept after its last write; no pruning when unset. */
  retentionDays?: number;
  now?: () => Date;
}

export class RotatingFile {
  private stream: WriteStream;
  private size: number;
  private day: string;
  /** Time of the last line written, which names the file when it rotates. */
  private lastWrite: Date;
  private readonly now: () => Date;
  private readonly daily: NodeJS.Timeout | undefined;

  constructor(
    readonly path: string,
    private readonly maxBytes: number,
    private readonly options: RotatingFileOptions = {},
  ) {
    this.now = options.now ?? (() => new Date());
    mkdirSync(join(path, '..'), { recursive: true });
    // A file left by an earlier run continues only on the day of its last line.
    const existing = statOf(path);
    this.size = existing?.size ?? 0;
    this.lastWrite = existing?.mtime ?? this.now();
    this.day = dayOf(this.lastWrite);
    this.stream = this.open();
    this.prune();
    if (options.retentionDays !== undefined) {
      this.daily = setInterval(() => this.prune(), 86_400_000);
      this.daily.unref();
    }
  }

  write(line: string): void {
    const now = this.now();
    const day = dayOf(now);
    const bytes = Buffer.byteLength(line);
    if (this.size > 0 && (this.size + bytes > this.maxBytes || day !== this.day)) this.rotate(day);
    this.size += bytes;
    this.lastWrite = now;
    this.stream.write(line);
  }

  /** Resolves once everything written so far is on disk. */
  close(): Promise<void> {
    clearInterval(this.daily);
    return new Promise((resolve) => this.stream.end(resolve));
  }

  private open(): WriteStream {
    // Opened synchronously so the file exists at once (a rotation may rename it before the first flush).
    const s = createWriteStream(this.path, { fd: openSync(this.path, 'a', 0o640) });
    s.on('error', (e) => process.stderr.write(`log file ${this.path}: ${e.message}\n`));
    return s;
  }

  private rotate(day: string): void {
    const old = this.stream;
    const ext = extname(this.path);
    const stamp = localStamp(this.lastWrite);
    const name = (n: number) => join(this.path, '..', `${basename(this.path, ext)}-${stamp}-${String(n).padStart(3, '0')}${ext}`);
    let n = 0;
    while (exists(name(n))) n++;
    const target = name(n);
    try {
      renameSync(this.path, target);
    } catch (e) {
      process.stderr.write(`log rotation of ${this.path} failed: ${(e as Error).message}\n`);
    }
    this.stream = this.open();
    old.end();
    this.size = 0;
    this.day = day;
    this.prune();
  }

  /** Deletes this file's rotated files past the retention (never the active file). */
  private prune(): void {
    if (this.options.retentionDays === undefined) return;
    const ext = extname(this.path);
    pruneRotated(join(this.path, '..'), basename(this.path, ext), this.options.retentionDays, this.now());
  }
}

/**
 * Deletes rotated files of `<name>.log` older than `retentionDays` (by modification time).
 * The active file is never removed. Returns the files deleted.
 */
export function pruneRotated(dir: string, name: string, retentionDays: number, now: Date = new Date()): string[] {
  const removed: string[] = [];
  const pattern = new RegExp(`^${name}-\\d{8}-\\d{6}-\\d{3}\\.log$`);
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return removed;
  }
  const cutoff = now.getTime() - retentionDays * 86_400_000;
  for (const f of entries) {
    if (!pattern.test(f)) continue;
    const p = join(dir, f);
    try {
      if (statSync(p).mtimeMs < cutoff) {
        unlinkSync(p);
        removed.push(f);
      }
    } catch {
      // vanished meanwhile
    }
  }
  return removed;
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');
/** `YYYYMMDD` in local time: the day a line belongs to. */
const dayOf = (d: Date) => `${d.getFullYear()}${pad(d.getMonth() + 1)}${pad(d.getDate())}`;
/** `YYYYMMDD-HHmmss` in local time, the stamp of a rotated file. */
const localStamp = (d: Date) => `${dayOf(d)}-${pad(d.getHours())}${pad(d.getMinutes())}${pad(d.getSeconds())}`;

function statOf(p: string): { size: number; mtime: Date } | undefined {
  try {
    return statSync(p);
  } catch {
    return undefined;
  }
}

function exists(p: string): boolean {
  try {
    statSync(p);
    return true;
  } catch {
    return false;
  }
}
