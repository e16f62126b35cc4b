/** A job as `/api/ops/jobs/{id}` reports it (backup, verify, restore, catalog rebuild). */
export interface JobView {
  id: string;
  kind: string;
  status: 'running' | 'succeeded' | 'failed';
  startedAt: string;
  finishedAt?: string;
  step?: string;
  progress?: { step: string; bytes: number; total?: number; bytesPerSecond: number; etaSeconds?: number; done: boolean };
  result?: unknown;
  error?: { code: string; message: string };
}

/** A job has ended when the server says so: succeeded or failed (a dead process's job is marked failed "interrupted"). */
export function jobEnded(job: Pick<JobView, 'status'> | undefined): boolean {
  return !!job && job.status !== 'running';
}

/** How often to poll a job: every second while it runs, never again once it has ended. */
export function jobPollInterval(job: Pick<JobView, 'status'> | undefined, everyMs = 1000): number | false {
  return jobEnded(job) ? false : everyMs;
}

/** The progress bar's percentage: 100 when done, bytes of total while known, undefined when the total is unknown. */
export function jobPercent(job: JobView): number | undefined {
  if (job.status !== 'running') return 100;
  const p = job.progress;
  if (!p) return undefined;
  if (p.done) return 100;
  if (!p.total || p.total <= 0) return undefined;
  return Math.min(99, Math.floor((p.bytes / p.total) * 100));
}

/** The phase shown beside the bar: the job's step, else the progress' step. */
export function jobPhase(job: JobView): string | undefined {
  return job.step ?? job.progress?.step;
}

/**
 * What a job came to for the person who started it: a verification job that ran to its end but
 * whose checks failed has failed (its result says `ok: false`); the cause is one line — the job's
 * error, or the failed checks with their detail.
 */
export function jobOutcome(job: JobView): { status: JobView['status']; cause?: string } {
  if (job.status === 'failed') return { status: 'failed', cause: job.error ? `${job.error.code}: ${job.error.message}` : undefined };
  const result = job.result as { ok?: unknown; checks?: { name?: unknown; ok?: unknown; detail?: unknown }[] } | null | undefined;
  if (job.status === 'succeeded' && result && typeof result === 'object' && result.ok === false) {
    const failed = (Array.isArray(result.checks) ? result.checks : [])
      .filter((c) => c && c.ok === false)
      .map((c) => `${String(c.name)}: ${String(c.detail ?? '')}`.replace(/\s+/g, ' ').trim());
    return { status: 'failed', cause: failed.join('; ') || undefined };
  }
  return { status: job.status };
}

/** Bytes in a human unit (binary multiples). */
export function formatBytes(n: number | null | undefined): string {
  if (n === null || n === undefined) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}
