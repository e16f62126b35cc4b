import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { withIsoTimes } from '../../infra/db/time.js';
import '../../services/requestState.js';
import type { Jobs } from '../jobs.js';
import { restoreBackup, takeRestoreLease } from '../restore/restore.js';
import { requireLiveConfirmation } from '../restore/targets.js';
import { archiveBinlogs } from './binlogArchive.js';
import { listBackups, rebuildCatalog } from './catalog.js';
import type { BackupOpsContext } from './context.js';
import { backupDatabase } from './databaseBackup.js';
import { readStreamStatus, STREAM_PUBLISH_MS } from './streamStatus.js';
import { verifyBackup } from './verify.js';

const Ref = Type.Object({ id: Type.String({ pattern: '^(latest|[A-Za-z0-9._-]{1,128})$' }) }, { additionalProperties: false });
const DbTime = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2}$' });
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);

/** One catalog row as listed (times ISO 8601; the manifest and the holder left out). */
export const BackupSchema = Type.Object({
  id: Type.String(),
  type: Type.Enum(['full', 'incremental', 'binlog', 'schema', 'config', 'logs']),
  status: Type.Enum(['running', 'complete', 'failed']),
  started_at: Type.String(),
  finished_at: Nullable(Type.String()),
  data_key: Type.String(),
  locations: Type.String({ description: 'comma-separated storages: local, s3' }),
  raw_bytes: Nullable(Type.Number()),
  stored_bytes: Nullable(Type.Number()),
  sha256: Nullable(Type.String()),
  binlog_file: Nullable(Type.String()),
  binlog_pos: Nullable(Type.Number()),
  gtid: Nullable(Type.String()),
  first_event_at: Nullable(Type.String()),
  last_event_at: Nullable(Type.String()),
  server_id: Nullable(Type.Number()),
  key_id: Nullable(Type.String()),
  verified_at: Nullable(Type.String()),
  verify_result: Nullable(Type.Enum(['passed', 'failed'])),
  error: Nullable(Type.String()),
  safety: Type.Integer({ description: '1: the safety backup a live restore took first' }),
});

const ProgressSchema = Type.Object({
  step: Type.String(),
  bytes: Type.Number(),
  total: Type.Optional(Type.Number()),
  bytesPerSecond: Type.Number(),
  etaSeconds: Type.Optional(Type.Number()),
  done: Type.Boolean(),
});

/** A job (backup, verify, restore, catalog rebuild) and its live progress. */
export const JobSchema = Type.Object({
  id: Type.String(),
  kind: Type.String(),
  actor: Type.String(),
  status: Type.Enum(['running', 'succeeded', 'failed']),
  startedAt: Type.String(),
  finishedAt: Type.Optional(Type.String()),
  step: Type.Optional(Type.String()),
  progress: Type.Optional(ProgressSchema),
  result: Type.Optional(Type.Unknown()),
  error: Type.Optional(Type.Object({ code: Type.String(), message: Type.String() })),
});

/**
 * /api/ops — backups and restores over HTTP: the same core functions as the CLI, started as jobs,
 * each guarded by a permission and audited.
 */
export const backupRoutes =
  (deps: { context: () => BackupOpsContext; jobs: Jobs }): FastifyPluginAsync =>
  async (app) => {
    const r = app.withTypeProvider<TypeBoxTypeProvider>();
    /** The context over the request's database: a recorded request's catalog statements are spans under it. */
    const contextOf = (req: FastifyRequest): BackupOpsContext => {
      const ctx = deps.context();
      return req.services.database === ctx.database ? ctx : { ...ctx, database: req.services.database };
    };

    r.get(
      '/backups',
      {
        config: { permission: 'ops:read' },
        schema: {
          querystring: Type.Object(
            { type: Type.Optional(Type.Union(['full', 'incremental', 'binlog', 'schema', 'config', 'logs'].map((t) => Type.Literal(t)))) },
            { additionalProperties: false },
          ),
          response: { 200: Type.Object({ items: Type.Array(BackupSchema) }) },
        },
      },
      async (req) => ({ items: (await listBackups(contextOf(req), req.query.type as never)).map(({ manifest: _m, holder: _h, ...row }) => withIsoTimes(row)) }),
    );

    r.post(
      '/backups',
      {
        config: { permission: 'ops:backup' },
        schema: {
          body: Type.Object({ type: Type.Union([Type.Literal('full'), Type.Literal('schema'), Type.Literal('incremental')]) }, { additionalProperties: false }),
          response: { 202: JobSchema },
        },
      },
      async (req, reply) => {
        const ctx = contextOf(req);
        const { type } = req.body;
        const job = await deps.jobs.start(`backup.${type}`, req.actor, `backup:${type}`, (j) =>
          type === 'incremental' ? archiveBinlogs(ctx) : backupDatabase(ctx, { type, onProgress: j.progress }),
        );
        return reply.status(202).send(job);
      },
    );

    r.post('/backups/:id/verify', { config: { permission: 'ops:verify' }, schema: { params: Ref, response: { 202: JobSchema } } }, async (req, reply) => {
      const ctx = contextOf(req);
      return reply.status(202).send(await deps.jobs.start('backup.verify', req.actor, `backup:${req.params.id}`, (j) => verifyBackup(ctx, req.params.id, j.progress)));
    });

    r.post(
      '/restores',
      {
        config: { permission: 'ops:restore' },
        schema: {
          body: Type.Object(
            {
              backup: Type.String({ pattern: '^(latest|[A-Za-z0-9._-]{1,128})$' }),
              to: Type.Optional(DbTime),
              targetDb: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' })),
              force: Type.Optional(Type.Boolean()),
              confirm: Type.Optional(Type.String({ maxLength: 255 })),
            },
            { additionalProperties: false },
          ),
          response: { 202: JobSchema },
        },
      },
      async (req, reply) => {
        const ctx = contextOf(req);
        const { backup, to, targetDb, force, confirm } = req.body;
        // Overwriting the live database is its own, admin-only permission (SPEC SEC-4).
        if (targetDb === undefined) {
          req.requirePermission('ops:restore-live');
          requireLiveConfirmation(ctx.database, ctx.dbUrl, force, confirm);
        }
        const actor = req.actor;
        // Taken here so a second restore gets its 409 at once; the job releases it.
        const lease = await takeRestoreLease(ctx, targetDb);
        try {
          const job = await deps.jobs.start('restore', actor, `backup:${backup}`, (j) =>
            restoreBackup(ctx, {
              ref: backup,
              to: to ? new Date(`${to.replace(' ', 'T')}Z`) : undefined,
              targetDb,
              force,
              confirm,
              actor,
              job: j.id,
              lease,
              onProgress: j.progress,
              onStep: j.step,
            }),
          );
          return reply.status(202).send(job);
        } catch (e) {
          await lease.release();
          throw e;
        }
      },
    );

    r.post('/backups/catalog/rebuild', { config: { permission: 'ops:backup' }, schema: { response: { 202: JobSchema } } }, async (req, reply) => {
      const ctx = contextOf(req);
      return reply.status(202).send(await deps.jobs.start('backup.catalog', req.actor, 'backup:catalog', () => rebuildCatalog(ctx)));
    });

    r.get(
      '/backups/stream',
      {
        config: { permission: 'ops:read' },
        schema: {
          operationId: 'getBinlogStreamStatus',
          summary: "The binlog stream's last report (backup stream / the stream role): running, stale, stopped or never, with its RPO, position, source server and switches",
          response: {
            200: Type.Object({
              state: Type.Union([Type.Literal('running'), Type.Literal('stale'), Type.Literal('stopped'), Type.Literal('never')]),
              holder: Type.Union([Type.String(), Type.Null()]),
              reportedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
              status: Type.Union([
                Type.Object(
                  {
                    running: Type.Boolean(),
                    caughtUp: Type.Boolean(),
                    currentFile: Type.Optional(Type.String()),
                    lastEventAt: Type.Optional(Type.String()),
                    rpoSeconds: Type.Optional(Type.Number()),
                    restarts: Type.Integer(),
                    gaps: Type.Array(Type.String()),
                    lastError: Type.Optional(Type.String()),
                    source: Type.Optional(Type.String()),
                    sourceServerId: Type.Optional(Type.Integer()),
                    switches: Type.Array(Type.String()),
                  },
                  { additionalProperties: true },
                ),
                Type.Null(),
              ]),
            }),
          },
        },
      },
      async (req) => readStreamStatus(req.services.database.db, new Date(), STREAM_PUBLISH_MS),
    );

    r.get('/jobs', { config: { permission: 'ops:read' }, schema: { response: { 200: Type.Object({ items: Type.Array(JobSchema) }) } } }, async () => ({
      items: await deps.jobs.list(),
    }));
    r.get(
      '/jobs/:id',
      {
        config: { permission: 'ops:read' },
        schema: { params: Type.Object({ id: Type.String({ format: 'uuid' }) }, { additionalProperties: false }), response: { 200: JobSchema } },
      },
      async (req) => deps.jobs.get(req.params.id),
    );
  };
