import { describe, expect, it } from 'vitest';
import { formatBytes, type JobView, jobEnded, jobOutcome, jobPercent, jobPhase, jobPollInterval } from './jobModel';

const job = (over: Partial<JobView>): JobView => ({ id: 'j', kind: 'backup.full', status: 'running', startedAt: '2026-11-30T08:00:00Z', ...over });

describe('a job followed on the page until it ends', () => {
  it('is polled every second while it runs and no more once it succeeded or failed', () => {
    expect(jobPollInterval(undefined)).toBe(1000);
    expect(jobPollInterval(job({}))).toBe(1000);
    expect(jobPollInterval(job({ status: 'succeeded' }))).toBe(false);
    expect(jobPollInterval(job({ status: 'failed', error: { code: 'INTERNAL', message: 'interrupted' } }))).toBe(false);
    expect(jobEnded(job({ status: 'failed' }))).toBe(true);
  });

  it('shows a percentage only when the total is known, 100 when done, and never 100 while still running', () => {
    expect(jobPercent(job({}))).toBeUndefined();
    expect(jobPercent(job({ progress: { step: 'dump', bytes: 10, bytesPerSecond: 1, done: false } }))).toBeUndefined();
    expect(jobPercent(job({ progress: { step: 'dump', bytes: 50, total: 200, bytesPerSecond: 1, done: false } }))).toBe(25);
    expect(jobPercent(job({ progress: { step: 'dump', bytes: 200, total: 200, bytesPerSecond: 1, done: false } }))).toBe(99);
    expect(jobPercent(job({ progress: { step: 'dump', bytes: 200, total: 200, bytesPerSecond: 1, done: true } }))).toBe(100);
    expect(jobPercent(job({ status: 'succeeded' }))).toBe(100);
  });

  it('names its phase from the step, else from the progress', () => {
    expect(jobPhase(job({ step: 'load', progress: { step: 'read', bytes: 0, bytesPerSecond: 0, done: false } }))).toBe('load');
    expect(jobPhase(job({ progress: { step: 'read', bytes: 0, bytesPerSecond: 0, done: false } }))).toBe('read');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(null)).toBe('—');
  });

  it('a verification that ran but whose checks failed is a failure, with the failed checks as its one-line cause', () => {
    const verify = job({
      kind: 'backup.verify',
      status: 'succeeded',
      result: {
        ok: false,
        checks: [
          { name: 'checksum', ok: true, detail: 'matches' },
          { name: 'restore', ok: false, detail: 'backup archive is corrupted\n(chunk 0 failed authentication)' },
        ],
      },
    });
    expect(jobOutcome(verify)).toEqual({ status: 'failed', cause: 'restore: backup archive is corrupted (chunk 0 failed authentication)' });
    expect(jobOutcome({ ...verify, result: { ok: true, checks: [] } })).toEqual({ status: 'succeeded' });
    expect(jobOutcome(job({ status: 'failed', error: { code: 'CONFLICT', message: 'a restore is running' } }))).toEqual({
      status: 'failed',
      cause: 'CONFLICT: a restore is running',
    });
    expect(jobOutcome(job({}))).toEqual({ status: 'running' });
  });
});
