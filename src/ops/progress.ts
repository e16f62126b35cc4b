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

export function progressMeter(step: string, listener: ProgressListener | undefined, total?: number, everyMs = 500): Transform & { bytes(): number } {
  const started = Date.now();
  let bytes = 0;
  let last = 0;
  const report = (done: boolean) => {
    if (!listener) return;
    const seconds = Math.max(0.001, (Date.now() - started) / 1000);
    const rate = bytes / seconds;
    const eta = total && rate > 0 && total > bytes ? (total - bytes) / rate : undefined;
    listener({ step, bytes, total, bytesPerSecond: rate, etaSeconds: done ? 0 : eta, done });
  };
  const t = new Transform({
    transform(chunk: Buffer, _enc, cb: TransformCallback) {
      bytes += chunk.length;
      const now = Date.now();
      if (now - last >= everyMs) {
        last = now;
        report(false);
      }
      cb(null, chunk);
    },
    flush(cb) {
      report(true);
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
