import { createWriteStream, mkdirSync, openSync, readdirSync, renameSync, statSync, unlinkSync, type WriteStream } from 'node:fs';
import { basename, extname, join } from 'node:path';

/**
 * An append-only log file that rotates when it passes `maxBytes` or when the day changes, so
 * age-based retention can remove whole days. Writes are buffered and asynchronous (a request never
 * waits for the disk); rotated files are named `<name>-YYYYMMDD-HHmmss-NNN.log` (UTC), which sort in order.
 */
export class RotatingFile {
  private stream: WriteStream;
  private size: number;
  private day: string;

  constructor(
    readonly path: string,
    private readonly maxBytes: number,
    private readonly now: () => Date = () => new Date(),
  ) {
    mkdirSync(join(path, '..'), { recursive: true });
    this.size = fileSize(path);
    this.day = dayOf(this.now());
    this.stream = this.open();
  }

  write(line: string): void {
    const day = dayOf(this.now());
    const bytes = Buffer.byteLength(line);
    if (this.size > 0 && (this.size + bytes > this.maxBytes || day !== this.day)) this.rotate(day);
    this.size += bytes;
    this.stream.write(line);
  }

  /** Resolves once everything written so far is on disk. */
  close(): Promise<void> {
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
    const stamp = this.now().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
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

const dayOf = (d: Date) => `${d.getFullYear()}-${d.getMonth()}-${d.getDate()}`;

function fileSize(p: string): number {
  try {
    return statSync(p).size;
  } catch {
    return 0;
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
