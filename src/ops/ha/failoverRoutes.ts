import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { Logger } from 'pino';
import { invalid } from '../../errors/appError.js';
import type { Clock } from '../../infra/clock.js';
import type { AuditLog } from '../../services/system/contract.js';
import '../../services/requestState.js';
import { failover } from './failover.js';
import { ackFailover, monitorState, type RunningMonitor } from './monitor.js';
import type { HaConfig } from './servers.js';

export const FailoverBody = Type.Object(
  {
    to: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9._-]{1,253}:[0-9]{1,5}$', description: 'HOST:PORT of the replica to promote (default: the most advanced clean one)' })),
    confirm: Type.Boolean({ description: 'must be true: a failover promotes a replica without the old primary' }),
  },
  { additionalProperties: false },
);

/**
 * Failover by hand and the monitor's state (issue 12 item 4): POST /db/failover {to?, confirm}
 * and POST /ha/ack (`ops:failover`), GET /ha/monitor (`ops:read`). Mounted under /api/ops.
 */
export const failoverRoutes =
  (deps: {
    config: HaConfig;
    audit: AuditLog;
    clock: Clock;
    log?: Logger;
    announce?: (summary: string) => Promise<void>;
    /** The monitor running in this process, if any (its last decision). */
    localMonitor?: () => RunningMonitor | undefined;
  }): FastifyPluginAsync =>
  async (app) => {
    const r = app.withTypeProvider<TypeBoxTypeProvider>();
    r.post('/db/failover', { config: { permission: 'ops:failover' }, schema: { body: FailoverBody } }, async (req) => {
      if (req.body.confirm !== true) throw invalid('confirm: must be true (a failover promotes a replica and fences the old primary)', { field: 'confirm' });
      return failover(
        { config: deps.config, audit: deps.audit, clock: deps.clock, ...(deps.log ? { log: deps.log } : {}), ...(deps.announce ? { announce: deps.announce } : {}) },
        req.actor,
        { ...(req.body.to ? { to: req.body.to } : {}), reason: 'by hand' },
      );
    });
    r.post('/ha/ack', { config: { permission: 'ops:failover' }, schema: { body: Type.Optional(Type.Object({}, { additionalProperties: false })) } }, async (req) =>
      ackFailover({ database: req.services.database, audit: deps.audit }, req.actor),
    );
    r.get('/ha/monitor', { config: { permission: 'ops:read' } }, async (req) =>
      monitorState(req.services.database, deps.clock, { config: deps.config, local: deps.localMonitor?.() }),
    );
  };
