import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { Config } from '../../config/config.js';
import { MODULES } from '../../config/modules.js';
import '../../services/requestState.js';
import { type SweepOptions, sweepModules } from './sweep.js';

const ProbeSchema = Type.Object({ ok: Type.Boolean(), status: Type.Optional(Type.Integer()), ms: Type.Integer(), error: Type.Optional(Type.String()) });

export const HealthSweepSchema = Type.Object({
  checkedAt: Type.String({ format: 'date-time' }),
  ok: Type.Boolean({ description: 'false when a module is down or not ready' }),
  modules: Type.Array(
    Type.Object({
      module: Type.Enum(Object.fromEntries(MODULES.map((m) => [m, m]))),
      url: Type.String({ description: "where it was checked, or 'in-process' for a module the answering process serves itself" }),
      state: Type.Enum({ up: 'up', 'not-ready': 'not-ready', down: 'down', 'not-available': 'not-available' }),
      live: Type.Union([ProbeSchema, Type.Null()]),
      ready: Type.Union([ProbeSchema, Type.Null()]),
    }),
  ),
});

/** GET /health (mounted under /api/ops): the same sweep as `mcp-platform health`, for the console (`ops:read`). */
export const healthSweepRoutes =
  (deps: { services: Config['services']; local?: SweepOptions['local'] }): FastifyPluginAsync =>
  async (app) => {
    app.withTypeProvider<TypeBoxTypeProvider>().get(
      '/health',
      {
        config: { permission: 'ops:read' },
        schema: {
          operationId: 'sweepModuleHealth',
          summary: "Every module's liveness and readiness at its MCP_SERVICE_URLS address, checked at once",
          querystring: Type.Object({ timeoutMs: Type.Optional(Type.Integer({ minimum: 100, maximum: 10_000 })) }, { additionalProperties: false }),
          response: { 200: HealthSweepSchema },
        },
      },
      async (req) => sweepModules(deps.services, { timeoutMs: req.query.timeoutMs ?? 2000, local: deps.local }),
    );
  };
