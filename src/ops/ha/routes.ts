import type { FastifyPluginAsync } from 'fastify';
import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Logger } from 'pino';
import type { Clock } from '../../infra/clock.js';
import type { AuditLog } from '../../services/system/contract.js';
import type { Maintenance } from '../maintenance.js';
import '../../services/requestState.js';
import type { HaConfig } from './servers.js';
import { switchover } from './switchover.js';
import { readTopology } from './topology.js';

export const SwitchoverBody = Type.Object(
  {
    to: Type.String({ pattern: '^[A-Za-z0-9._-]{1,253}:[0-9]{1,5}$', description: 'HOST:PORT of the replica to promote' }),
    timeoutSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 3600 })),
  },
  { additionalProperties: false },
);

const Open = { additionalProperties: true } as const;

/** One database server as it reports itself (topology.ts ServerState); replication details as the server gives them. */
const ServerStateSchema = Type.Object(
  {
    address: Type.String({ description: 'host:port' }),
    configuredAs: Type.Enum(['primary', 'replica']),
    reachable: Type.Boolean(),
    error: Type.Optional(Type.String()),
    role: Type.Enum(['primary', 'replica', 'read-only', 'unknown']),
    flavor: Type.Optional(Type.String()),
    version: Type.Optional(Type.String()),
    serverId: Type.Optional(Type.Number()),
    readOnly: Type.Optional(Type.Boolean()),
    gtid: Type.Optional(Type.String()),
    replication: Type.Optional(Type.Object({ source: Type.String() }, Open)),
    gtidBehind: Type.Optional(Type.Union([Type.Number(), Type.Null()])),
    errantGtids: Type.Optional(Type.String()),
    semiSync: Type.Optional(Type.Object({ primary: Type.Optional(Type.Boolean()), replica: Type.Optional(Type.Boolean()) })),
  },
  Open,
);

export const TopologySchema = Type.Object({
  applicable: Type.Literal(true),
  primary: Type.Union([Type.String(), Type.Null()]),
  splitBrain: Type.Boolean(),
  servers: Type.Array(ServerStateSchema),
  epoch: Type.Union([Type.Number(), Type.Null()]),
  readAt: Type.String(),
});

/**
 * /api/ops/db — the database topology (GET /db/topology, `ops:read`) and the planned switchover
 * (POST /db/switchover, `ops:failover`). On SQLite both answer 400 INVALID (no replication).
 */
export const dbTopologyRoutes =
  (deps: { config: HaConfig; audit: AuditLog; clock: Clock; log?: Logger; maintenance?: Maintenance; announce?: (summary: string) => Promise<void> }): FastifyPluginAsync =>
  async (app) => {
    const r = app.withTypeProvider<TypeBoxTypeProvider>();
    r.get('/db/topology', { config: { permission: 'ops:read' }, schema: { response: { 200: TopologySchema } } }, async () => readTopology({ config: deps.config }));
    r.post('/db/switchover', { config: { permission: 'ops:failover' }, schema: { body: SwitchoverBody } }, async (req) =>
      switchover(
        {
          config: deps.config,
          database: req.services.database,
          audit: deps.audit,
          clock: deps.clock,
          ...(deps.log ? { log: deps.log } : {}),
          ...(deps.maintenance ? { maintenance: deps.maintenance } : {}),
          ...(deps.announce ? { announce: deps.announce } : {}),
        },
        req.actor,
        req.body,
      ),
    );
  };
