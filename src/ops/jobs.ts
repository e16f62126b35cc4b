import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { notFound } from '../errors/appError.js';
import type { Clock } from '../infra/clock.js';
import type { Database } from '../infra/db/database.js';
import type { JobsTable } from '../infra/db/schema.js';
import { fromDbTime, toDbTime, withIsoTimes } from '../infra/db/time.js';
import type { Actor } from '../services/actor.js';
import type { AuditLog } from '../services/system/contract.js';
import { HOLDER, holderDead } from './holder.js';
import type { Progress, ProgressListener } from './progress.js';

/**
 * Long operations (backups, verification, restores) run as jobs: the API returns at once with the
 * job id, and `GET /api/ops/jobs/:id` shows the step, progress and result. Jobs are rows of the
 * `jobs` table (SPEC SEC-6), so every replica sees them and they outlive a restart; a live restore
 * never rewinds that table. A running job renews its heartbeat; one whose process died (its
 * holder gone, or its heartbeat stale) is reported as failed "interrupted". Each job is audited
 * when it starts and when it ends (action `ops.<kind>`).
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
  /** The job's id (e.g. to tag what it creates). */
  id: string;
  progress: ProgressListener;
  step(step: string): void;
}

export interface Jobs {
  /** Records the job and starts `run` in the background; resolves once the job row exists. */
  start(kind: string, actor: Actor, target: string, run: (j: JobContext) => Promise<unknown>): Promise<Job>;
  /** Runs a job in the foreground (the CLI face): the same record and audit, the result or the error returned. */
  run<T>(kind: string, actor: Actor, target: string, run: (j: JobContext) => Promise<T>): Promise<T>;
  get(id: string): Promise<Job>;
  list(): Promise<Job[]>;
}

const LIST = 200;
/** Finished jobs are kept this long (the audit log keeps their start and end for good). */
const KEEP_FINISHED_MS = 90 * 86_400_000;
/** Heartbeat period; a running job whose heartbeat is older than STALE_MS has lost its process. */
const HEARTBEAT_MS = 5_000;
const STALE_MS = 30_000;
/** Progress reaches the database at most once a second. */
const PROGRESS_MS = 1_000;

export const INTERRUPTED = 'interrupted: the process running this job stopped before it finished';

export function createJobs(deps: { database: Database; audit: AuditLog; log: Logger; clock?: Clock }): Jobs {
  const { db } = deps.database;
  const now = () => deps.clock?.now() ?? new Date();

  const launch = async <T>(kind: string, actor: Actor, target: string, run: (j: JobContext) => Promise<T>): Promise<{ job: Job; done: Promise<T> }> => {
    const id = randomUUID();
    const started = now();
    await db
      .deleteFrom('jobs')
      .where('status', '!=', 'running')
      .where('finished_at', '<', toDbTime(new Date(started.getTime() - KEEP_FINISHED_MS)))
      .execute();
    await db
      .insertInto('jobs')
      .values({
        id,
        kind,
        actor: actor.actor.slice(0, 64),
        target: target.slice(0, 255),
        status: 'running',
        started_at: toDbTime(started),
        heartbeat_at: toDbTime(started),
        holder: HOLDER,
      })
      .execute();
    const job: Job = { id, kind, actor: actor.actor, status: 'running', startedAt: started.toISOString() };
    await deps.audit.record({ ...actor, action: `ops.${kind}`, target, result: 'success', details: { job: id, phase: 'started' } }).catch(() => {});

    // Progress and step are written at most once a second, and with every heartbeat.
    let pending: Partial<Pick<JobsTable, 'step' | 'progress'>> = {};
    let lastWrite = 0;
    let writing: Promise<unknown> = Promise.resolve();
    const flush = (force = false) => {
      if (!force && Date.now() - lastWrite < PROGRESS_MS) return;
      lastWrite = Date.now();
      const set = { ...pending, heartbeat_at: toDbTime(now()) };
      pending = {};
      writing = writing.then(() => db.updateTable('jobs').set(set).where('id', '=', id).where('status', '=', 'running').execute()).catch(() => {});
    };
    const heartbeat = setInterval(() => flush(true), HEARTBEAT_MS);
    heartbeat.unref();
    const ctx: JobContext = {
      id,
      progress: (p) => {
        pending.progress = JSON.stringify(p);
        flush(p.done);
      },
      step: (s) => {
        pending.step = s.slice(0, 64);
        flush(true);
      },
    };
    const finish = async (set: Partial<JobsTable>) => {
      clearInterval(heartbeat);
      await writing;
      await db
        .updateTable('jobs')
        .set({ ...pending, ...set, finished_at: toDbTime(now()), heartbeat_at: toDbTime(now()) })
        .where('id', '=', id)
        .execute()
        .catch((e: unknown) => deps.log.error({ job: id, err: (e as Error).message }, 'could not record the end of a job'));
    };
    const done = (async () => {
      try {
        const result = await run(ctx);
        await finish({ status: 'succeeded', result: JSON.stringify(result ?? null) });
        await deps.audit.record({ ...actor, action: `ops.${kind}`, target, result: 'success', details: { job: id, phase: 'finished' } }).catch(() => {});
        return result;
      } catch (e) {
        const err = e as { code?: string; message?: string };
        await finish({ status: 'failed', error: JSON.stringify({ code: err.code ?? 'INTERNAL', message: err.message ?? String(e) }) });
        deps.log.error({ job: id, kind, err: err.message }, 'operation failed');
        await deps.audit.record({ ...actor, action: `ops.${kind}`, target, result: 'failure', details: { job: id, phase: 'finished', error: err.message } }).catch(() => {});
        throw e;
      }
    })();
    return { job, done };
  };

  return {
    async start(kind, actor, target, run) {
      const { job, done } = await launch(kind, actor, target, run);
      done.catch(() => {}); // recorded in the job row
      return job;
    },
    async run(kind, actor, target, run) {
      return (await launch(kind, actor, target, run)).done;
    },
    async get(id) {
      const row = await db.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirst();
      if (!row) throw notFound(`job ${id}`);
      return toJob(await settleIfOrphaned(deps.database, row, now()));
    },
    async list() {
      const rows = await db.selectFrom('jobs').selectAll().orderBy('started_at', 'desc').orderBy('id', 'desc').limit(LIST).execute();
      return Promise.all(rows.map(async (r) => toJob(await settleIfOrphaned(deps.database, r, now()))));
    },
  };
}

/** A running job whose process is gone (holder dead on this host, or heartbeat stale) is failed "interrupted". */
async function settleIfOrphaned(database: Database, row: JobsTable, at: Date): Promise<JobsTable> {
  if (row.status !== 'running') return row;
  if (!holderDead(row.holder) && at.getTime() - fromDbTime(row.heartbeat_at).getTime() < STALE_MS) return row;
  const set = { status: 'failed' as const, error: JSON.stringify({ code: 'INTERRUPTED', message: INTERRUPTED }), finished_at: toDbTime(at) };
  await database.db.updateTable('jobs').set(set).where('id', '=', row.id).where('status', '=', 'running').execute();
  return { ...row, ...set };
}

/** Marks every orphaned running job failed "interrupted"; returns them (reported at start). */
export async function settleInterruptedJobs(database: Database, at: Date = new Date()): Promise<JobsTable[]> {
  const running = await database.db.selectFrom('jobs').selectAll().where('status', '=', 'running').execute();
  const settled: JobsTable[] = [];
  for (const r of running) {
    const s = await settleIfOrphaned(database, r, at);
    if (s.status !== 'running') settled.push(s);
  }
  return settled;
}

/** A result's catalog rows (a backup row, the rows of an incremental run) show their times in ISO 8601 like every API field. */
function isoResult(v: unknown): unknown {
  if (Array.isArray(v)) return v.map((x) => (x && typeof x === 'object' ? withIsoTimes(x as object) : x));
  return v && typeof v === 'object' ? withIsoTimes(v as object) : v;
}

function toJob(r: JobsTable): Job {
  const parse = (s: string | null) => (s === null ? undefined : (JSON.parse(s) as unknown));
  return {
    id: r.id,
    kind: r.kind,
    actor: r.actor,
    status: r.status,
    startedAt: fromDbTime(r.started_at).toISOString(),
    ...(r.finished_at ? { finishedAt: fromDbTime(r.finished_at).toISOString() } : {}),
    ...(r.step ? { step: r.step } : {}),
    ...(r.progress ? { progress: parse(r.progress) as Progress } : {}),
    ...(r.result !== null ? { result: isoResult(parse(r.result)) } : {}),
    ...(r.error ? { error: parse(r.error) as Job['error'] } : {}),
  };
}
