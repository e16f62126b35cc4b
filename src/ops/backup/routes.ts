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
import { verifyBackup } from './verify.js';

const Ref = Type.Object({ id: Type.String({ pattern: '^(latest|[A-Za-z0-9._-]{1,128})$' }) }, { additionalProperties: false });
const DbTime = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2}$' });

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
        },
      },
      async (req) => ({ items: (await listBackups(contextOf(req), req.query.type as never)).map(({ manifest: _m, holder: _h, ...row }) => withIsoTimes(row)) }),
    );

    r.post(
      '/backups',
      {
        config: { permission: 'ops:backup' },
        schema: { body: Type.Object({ type: Type.Union([Type.Literal('full'), Type.Literal('schema'), Type.Literal('incremental')]) }, { additionalProperties: false }) },
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

    r.post('/backups/:id/verify', { config: { permission: 'ops:verify' }, schema: { params: Ref } }, async (req, reply) => {
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

    r.post('/backups/catalog/rebuild', { config: { permission: 'ops:backup' } }, async (req, reply) => {
      const ctx = contextOf(req);
      return reply.status(202).send(await deps.jobs.start('backup.catalog', req.actor, 'backup:catalog', () => rebuildCatalog(ctx)));
    });

    r.get('/jobs', { config: { permission: 'ops:read' } }, async () => ({ items: await deps.jobs.list() }));
    r.get(
      '/jobs/:id',
      { config: { permission: 'ops:read' }, schema: { params: Type.Object({ id: Type.String({ format: 'uuid' }) }, { additionalProperties: false }) } },
      async (req) => deps.jobs.get(req.params.id),
    );
  };
