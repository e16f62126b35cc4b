import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { notFound } from '../errors/appError.js';
import type { Actor } from '../services/actor.js';
import type { AuditLog } from '../services/system/auditLog.js';
import type { Progress, ProgressListener } from './progress.js';

/**
 * Long operations started over the API (backups, verification, restores) run as jobs: the request
 * returns at once with the job id, and `GET /api/ops/jobs/:id` shows the step, progress and result.
 * Each job is audited when it starts and when it ends. Jobs live in this process's memory (the
 * durable record of a backup is its catalog row).
 */
export interface Job {
  id: string;
  kind: string;
  actor: string;
  status: 'running' | 'succeeded' | 'failed';
  startedAt: string;
  finishedAt?: string;
  step?: string;
  progress?: Progress;
  result?: unknown;
  error?: { code: string; message: string };
}

export interface JobContext {
  progress: ProgressListener;
  step(step: string): void;
}

export interface Jobs {
  start(kind: string, actor: Actor, target: string, run: (j: JobContext) => Promise<unknown>): Job;
  get(id: string): Job;
  list(): Job[];
}

const KEEP = 200;

export function createJobs(deps: { audit: AuditLog; log: Logger }): Jobs {
  const jobs = new Map<string, Job>();
  return {
    start(kind, actor, target, run) {
      const job: Job = { id: randomUUID(), kind, actor: actor.actor, status: 'running', startedAt: new Date().toISOString() };
      jobs.set(job.id, job);
      if (jobs.size > KEEP) jobs.delete(jobs.keys().next().value!);
      void deps.audit.record({ ...actor, action: `ops.${kind}`, target, result: 'success', details: { job: job.id, phase: 'started' } }).catch(() => {});
      void run({ progress: (p) => (job.progress = p), step: (s) => (job.step = s) }).then(
        (result) => {
          Object.assign(job, { status: 'succeeded', result, finishedAt: new Date().toISOString() });
          void deps.audit.record({ ...actor, action: `ops.${kind}`, target, result: 'success', details: { job: job.id, phase: 'finished' } }).catch(() => {});
        },
        (e: unknown) => {
          const err = e as { code?: string; message?: string };
          Object.assign(job, { status: 'failed', error: { code: err.code ?? 'INTERNAL', message: err.message ?? String(e) }, finishedAt: new Date().toISOString() });
          deps.log.error({ job: job.id, kind, err: err.message }, 'operation failed');
          void deps.audit.record({ ...actor, action: `ops.${kind}`, target, result: 'failure', details: { job: job.id, error: err.message } }).catch(() => {});
        },
      );
      return job;
    },
    get(id) {
      const j = jobs.get(id);
      if (!j) throw notFound(`job ${id}`);
      return j;
    },
    list: () => [...jobs.values()].reverse(),
  };
}
