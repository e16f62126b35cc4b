import type { FastifyPluginAsync } from 'fastify';
import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import '../../services/requestState.js';
import type { Overview } from './overview.js';
import type { SeriesSource } from './series.js';

const Severity = Type.Enum(['ok', 'minor', 'major', 'critical']);
const Unit = Type.Enum(['req/s', 'seconds', 'ratio']);
const FigureKey = Type.Enum(['qps', 'p95', 'errorRate', 'cpu', 'memory', 'disk', 'dbConnections', 'dbPool', 'cacheHitRate', 'replicationLag']);
const Dependency = Type.Object({
  ok: Type.Boolean(),
  kind: Type.String({ description: 'sqlite, mysql, memory, redis, inprocess, amqp …' }),
  latencyMs: Type.Number(),
  error: Type.Optional(Type.String()),
  severity: Severity,
});

export const OverviewSchema = Type.Object({
  at: Type.String(),
  status: Severity,
  dependencies: Type.Object({ db: Dependency, cache: Dependency, bus: Dependency }),
  figures: Type.Array(
    Type.Object({
      key: FigureKey,
      unit: Unit,
      value: Type.Union([Type.Number(), Type.Null()]),
      severity: Severity,
      thresholds: Type.Array(
        Type.Object({
          severity: Type.Enum(['minor', 'major', 'critical']),
          op: Type.Enum(['>', '<', '==']),
          value: Type.Number(),
          alert: Type.String(),
          forSeconds: Type.Integer(),
          trafficFloor: Type.Optional(Type.Number()),
        }),
      ),
      series: Type.Optional(Type.Array(Type.Object({ labels: Type.Object({}, { additionalProperties: Type.String() }), value: Type.Number() }))),
    }),
  ),
});

export const OverviewSeriesSchema = Type.Object({
  source: Type.Enum(['embedded', 'prometheus']),
  stepSeconds: Type.Number(),
  from: Type.String(),
  to: Type.String(),
  series: Type.Array(
    Type.Object({
      key: FigureKey,
      unit: Unit,
      points: Type.Array(Type.Object({ t: Type.Number({ description: 'ms since the epoch' }), v: Type.Union([Type.Number(), Type.Null()]) })),
    }),
  ),
});

/**
 * /api/ops/overview — the console's 总览: dependencies and key figures against their thresholds
 * now, and their time series (`?minutes=60`). Reading them needs `ops:read`, like every other
 * operations view (the viewer role has it).
 */
export const overviewRoutes =
  (deps: { overview: () => Promise<Overview>; series: SeriesSource }): FastifyPluginAsync =>
  async (app) => {
    const r = app.withTypeProvider<TypeBoxTypeProvider>();
    r.get('/overview', { config: { permission: 'ops:read' }, schema: { response: { 200: OverviewSchema } } }, async () => deps.overview());
    r.get(
      '/overview/series',
      {
        config: { permission: 'ops:read' },
        schema: {
          querystring: Type.Object({ minutes: Type.Integer({ minimum: 1, maximum: 1440, default: 60 }) }, { additionalProperties: false }),
          response: { 200: OverviewSeriesSchema },
        },
      },
      async (req) => deps.series.read(req.query.minutes),
    );
  };
