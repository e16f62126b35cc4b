import cookie from '@fastify/cookie';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyRequest } from 'fastify';
import { unavailable } from '../errors/appError.js';
import { authRoutes } from '../services/auth/routes.js';
import { permissionRoutes } from '../services/permission/routes.js';
import { systemRoutes } from '../services/system/routes.js';
import { alertOpsRoutes, outboxRoutes, supportRoutes } from '../services/support/routes.js';
import { notifyConfigRoutes } from '../services/support/notifyRoutes.js';
import { registerNotifyMetrics } from '../services/support/metrics.js';
import { userRoutes } from '../services/user/routes.js';
import { createBackupContext } from '../app/backupContext.js';
import type { BackupOpsContext } from '../ops/backup/context.js';
import { registerBackupMetrics } from '../ops/backup/metrics.js';
import { backupRoutes } from '../ops/backup/routes.js';
import { registerIncidentMetrics } from '../ops/incidents/metrics.js';
import { incidentRoutes } from '../ops/incidents/routes.js';
import { haAlerter, switchoverAnnouncer } from '../ops/ha/announce.js';
import { registerDbTopologyMetrics } from '../ops/ha/metrics.js';
import { dbTopologyRoutes } from '../ops/ha/routes.js';
import { FAILOVER_ALERT } from '../ops/ha/failover.js';
import { failoverRoutes } from '../ops/ha/failoverRoutes.js';
import { haConfigFrom } from '../ops/ha/servers.js';
import { notifyRoutes } from '../ops/alerting/routes.js';
import { createAlerting } from '../app/alerting.js';
import { maintenanceRefusal } from '../ops/audited.js';
import { createJobs } from '../ops/jobs.js';
import { createFigureReader } from '../ops/alerting/watchdog/figures.js';
import { readOverview } from '../ops/overview/overview.js';
import { overviewRoutes } from '../ops/overview/routes.js';
import { createFigureSampler, prometheusSeries } from '../ops/overview/series.js';
import { platformFigureSources } from '../app/figureSources.js';
import { guardedApi, refuseUnguardedApiRoutes } from './authGuard.js';
import { installConsole } from './console.js';
import { installErrorHandling } from './errorHandler.js';
import { checkDependencies, healthRoutes, type ReadinessState, readiness } from './health.js';
import { healthSweepRoutes } from '../ops/health/routes.js';
import { installHttpHygiene, requireBearer } from './httpHygiene.js';
import { installHttpTracing } from './httpTracing.js';
import { API_DOCS_PREFIX, installApiDocs, installOpenApi, OPENAPI_PATH } from './openapi.js';
import { PACKAGE_VERSION } from './packageRoot.js';
import { installSecurityHeaders } from './securityHeaders.js';
import { decorateRequestServices } from './requestServices.js';
import { AVAILABLE_MODULES, type ModuleName } from '../config/modules.js';
import type { Platform } from '../app/platform.js';
import { validatorCompiler } from './validation.js';
import { peerRoutes, type ServedPeer } from './peerRoutes.js';
import { authPeerSpec } from '../services/auth/peer.js';
import { userPeerSpec } from '../services/user/peer.js';

/** Writes that work during maintenance: starting, refreshing and ending a session. */
const MAINTENANCE_EXEMPT = new Set(['POST /api/auth/login', 'POST /api/auth/refresh', 'POST /api/auth/session', 'POST /api/auth/logout']);

/** Builds the HTTP server over a wired platform: the chosen service modules (default all), /health and /ready. */
export async function createApp(platform: Platform, state: ReadinessState = { draining: false }, modules: readonly ModuleName[] = AVAILABLE_MODULES): Promise<FastifyInstance> {
  const { config } = platform;
  const app: FastifyInstance = Fastify({
    loggerInstance: platform.log as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: config.http.bodyLimitBytes,
    trustProxy: config.http.trustProxy,
    // Requests on connections accepted before close() are served, not refused (graceful drain).
    return503OnClosing: false,
    forceCloseConnections: 'idle',
    requestIdHeader: 'x-request-id',
  });

  refuseUnguardedApiRoutes(app, [API_DOCS_PREFIX]);
  // Before any route: the generator collects every route registered after it.
  await installOpenApi(app, { version: PACKAGE_VERSION });
  app.setValidatorCompiler(validatorCompiler);
  installErrorHandling(app);
  await installSecurityHeaders(app);
  await app.register(cookie);
  installHttpHygiene(app, { maxJsonDepth: config.http.maxJsonDepth });
  // Maintenance mode (a live restore is running): reads go on, every write to an /api route is
  // refused with 503 MAINTENANCE. Decided by the route Fastify matched (after decoding the path:
  // `/%61pi/…` is `/api/…`), never by the raw URL. Sessions may still start and end: their rows
  // do not depend on the data being restored, and an operator must be able to log in to follow it.
  app.addHook('onRequest', (request, _reply, done) => {
    const route = request.routeOptions.url;
    if (
      request.method === 'GET' ||
      request.method === 'HEAD' ||
      request.method === 'OPTIONS' ||
      !route?.startsWith('/api/') ||
      MAINTENANCE_EXEMPT.has(`${request.method} ${route}`)
    )
      return done();
    platform.maintenance.current().then((m) => done(m ? maintenanceRefusal(m) : undefined), done);
  });
  decorateRequestServices(app, platform);
  // A recorded request's own services (request.tracedServices) are set here, in a root hook: before the guarded API's hooks.
  if (platform.traced) installHttpTracing(app, platform.tracing, platform.traced);
  healthRoutes(app, platform, state, config.http.readyRequires, modules);
  // One hook records each request in the metrics and in the access log (each can be turned off).
  const { httpMetrics } = config;
  const accessLog = config.log.access;
  if (httpMetrics || accessLog) {
    app.addHook('onResponse', (request, reply, done) => {
      const route = request.routeOptions.url ?? 'unmatched';
      const ms = reply.elapsedTime;
      if (httpMetrics) platform.metrics.observeHttp(request.method, route, reply.statusCode, ms / 1000);
      if (accessLog) {
        const ua = request.headers['user-agent'];
        platform.logging.access({
          method: request.method,
          url: request.url,
          route,
          status: reply.statusCode,
          durationMs: ms,
          ip: request.ip,
          userAgent: typeof ua === 'string' ? ua : undefined,
          requestId: request.id,
          user: request.principal?.username,
          traceId: request.traceId,
        });
      }
      done();
    });
  }
  app.get('/metrics', async (req, reply) => {
    // versions, paths and traffic: behind a bearer token when MCP_METRICS_TOKEN is set
    if (config.http.metricsToken) requireBearer(req, config.http.metricsToken, 'GET /metrics');
    const body = await platform.metrics.registry.metrics();
    return reply.type(platform.metrics.registry.contentType).send(body);
  });

  // Calls from the other modules in split mode only (signed, outside the guarded API).
  const served: ServedPeer<never>[] = [];
  const split = AVAILABLE_MODULES.some((m) => !modules.includes(m));
  if (split && modules.includes('user')) served.push({ spec: userPeerSpec, service: (s) => s.users } as ServedPeer<never>);
  if (split && modules.includes('auth')) served.push({ spec: authPeerSpec, service: (s) => s.auth } as ServedPeer<never>);
  if (served.length) await app.register(peerRoutes({ key: platform.peerKey, served }));

  // The API: every route in it behind the guard (authentication and permission in onRequest).
  await installApiDocs(app);
  await app.register(
    guardedApi(async (api) => {
      api.get(OPENAPI_PATH, { config: { permission: 'public' }, schema: { operationId: 'getOpenApiDocument', summary: 'The API contract (OpenAPI 3.1)' } }, async () =>
        app.swagger(),
      );
      if (modules.includes('auth')) await api.register(authRoutes, { prefix: '/api/auth', refreshTtlSeconds: config.auth.refreshTokenTtlSeconds });
      if (modules.includes('user')) await api.register(userRoutes, { prefix: '/api/users' });
      if (modules.includes('permission')) await api.register(permissionRoutes, { prefix: '/api' });
      if (modules.includes('system')) {
        await api.register(systemRoutes, { prefix: '/api/system' });
        // The operations API lives in the system module (SPEC PLAT-5).
        let backupContext: BackupOpsContext | undefined;
        const jobs = createJobs({ database: platform.database, audit: platform.audit, log: platform.log, clock: platform.clock });
        await api.register(backupRoutes({ context: () => (backupContext ??= createBackupContext(platform)), jobs }), { prefix: '/api/ops' });
        registerBackupMetrics(platform.metrics.registry, platform.database);
        await api.register(incidentRoutes({ audit: platform.audit, clock: platform.clock }), { prefix: '/api/ops' });
        registerIncidentMetrics(platform.metrics.registry, platform.database);
        const ha = haConfigFrom(platform.config);
        const announce = switchoverAnnouncer(createAlerting(platform).alerts);
        await api.register(dbTopologyRoutes({ config: ha, audit: platform.audit, clock: platform.clock, log: platform.log, maintenance: platform.maintenance, announce }), {
          prefix: '/api/ops',
        });
        await api.register(
          failoverRoutes({
            config: ha,
            audit: platform.audit,
            clock: platform.clock,
            log: platform.log,
            announce: (summary) => haAlerter(createAlerting(platform).alerts)(FAILOVER_ALERT, 'critical', 'firing', summary),
          }),
          { prefix: '/api/ops' },
        );
        registerDbTopologyMetrics(platform.metrics.registry, ha);
        await api.register(
          healthSweepRoutes({
            services: config.services,
            local: {
              modules,
              ready: async () => {
                const r = await readiness(platform, state, config.http.readyRequires);
                return r.status === 'ready' ? { ok: true } : { ok: false, error: r.status };
              },
            },
          }),
          { prefix: '/api/ops' },
        );
        // the console's 总览: figures sampled every 15 s by this process (series from Prometheus when configured)
        const figureSources = platformFigureSources(platform, { pings: false, backups: false });
        const figures = createFigureReader(figureSources.sources);
        const now = () => platform.clock.now().getTime();
        const sampler = createFigureSampler({ read: () => figures.read(), now, onError: (e) => platform.log.warn({ err: (e as Error).message }, 'overview sample failed') });
        sampler.start();
        app.addHook('onClose', async () => {
          sampler.stop();
          await figureSources.close();
        });
        await api.register(
          overviewRoutes({
            overview: () => readOverview({ dependencies: () => checkDependencies(platform), figures: () => figures.read(), now: () => platform.clock.now() }),
            series: config.prometheusUrl ? prometheusSeries({ url: config.prometheusUrl, now, breaker: platform.breaker('prometheus', { timeoutMs: 5_000 }) }) : sampler,
          }),
          { prefix: '/api/ops' },
        );
        await api.register(notifyRoutes({ audit: platform.audit, log: platform.log, notify: platform.config.notify, notifyConfig: createAlerting(platform).notifyConfig }), {
          prefix: '/api/ops',
        });
      }
      if (modules.includes('support')) {
        const { alerts, notifyConfig } = createAlerting(platform);
        const token = config.alerts.webhookToken;
        const authorizeWebhook = (req: FastifyRequest) => {
          if (!token) throw unavailable('the Alertmanager receiver is off: set MCP_ALERT_WEBHOOK_TOKEN (or MCP_ALERT_WEBHOOK_TOKEN_FILE)');
          requireBearer(req, token, 'POST /api/support/alerts/alertmanager');
        };
        await api.register(supportRoutes({ alerts, authorizeWebhook }), { prefix: '/api/support' });
        await api.register(notifyConfigRoutes({ notifyConfig }), { prefix: '/api/support' });
        await api.register(outboxRoutes({ audit: platform.audit, clock: platform.clock }), { prefix: '/api/support' });
        await api.register(alertOpsRoutes({ alerts, audit: platform.audit, clock: platform.clock }), { prefix: '/api/ops' });
        registerNotifyMetrics(platform.metrics.registry, platform.database);
      }
    }),
  );
  await installConsole(app, { dir: config.http.consoleDir });
  await app.ready();
  return app;
}
