import { Transform, type TransformCallback } from 'node:stream';

/**
 * Progress of long work (backups, restores, drills): bytes so far, rate, and an ETA when the total
 * is known or estimated. Reported at most every `everyMs` and once at the end.
 */
export interface Progress {
  step: string;
  bytes: number;
  /** Expected total, when known or estimated. */
  total?: number;
  bytesPerSecond: number;
  etaSeconds?: number;
  done: boolean;
}

export type ProgressListener = (p: Progress) => void;

/** Reports progress for a byte count the caller keeps: `update` at most every `everyMs`, `finish` once. */
export function progressReporter(
  step: string,
  listener: ProgressListener | undefined,
  total?: number,
  everyMs = 500,
): { update(bytes: number): void; finish(bytes: number): void } {
  const started = Date.now();
  let last = 0;
  const report = (bytes: number, done: boolean) => {
    if (!listener) return;
    const seconds = Math.max(0.001, (Date.now() - started) / 1000);
    const rate = bytes / seconds;
    const eta = total && rate > 0 && total > bytes ? (total - bytes) / rate : undefined;
    listener({ step, bytes, total, bytesPerSecond: rate, etaSeconds: done ? 0 : eta, done });
  };
  return {
    update(bytes) {
      const now = Date.now();
      if (now - last < everyMs) return;
      last = now;
      report(bytes, false);
    },
    finish: (bytes) => report(bytes, true),
  };
}

/** A pass-through that counts the bytes flowing through it and reports them as progress. */
export function progressMeter(step: string, listener: ProgressListener | undefined, total?: number, everyMs = 500): Transform & { bytes(): number } {
  const reporter = progressReporter(step, listener, total, everyMs);
  let bytes = 0;
  const t = new Transform({
    transform(chunk: Buffer, _enc, cb: TransformCallback) {
      bytes += chunk.length;
      reporter.update(bytes);
      cb(null, chunk);
    },
    flush(cb) {
      reporter.finish(bytes);
      cb();
    },
  });
  return Object.assign(t, { bytes: () => bytes });
}

/** `1.5 GiB`, `320 MiB` … */
export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}
