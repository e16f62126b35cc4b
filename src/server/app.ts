import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyRequest } from 'fastify';
import { authRoutes } from '../services/auth/routes.js';
import { permissionRoutes } from '../services/permission/routes.js';
import { systemRoutes } from '../services/system/routes.js';
import { userRoutes } from '../services/user/routes.js';
import { AppError } from '../errors/appError.js';
import { createBackupContext, type BackupOpsContext } from '../ops/backup/context.js';
import { registerBackupMetrics } from '../ops/backup/metrics.js';
import { backupRoutes } from '../ops/backup/routes.js';
import { createJobs } from '../ops/jobs.js';
import { installAuthGuard } from './authGuard.js';
import { installErrorHandling } from './errorHandler.js';
import { healthRoutes, type ReadinessState } from './health.js';
import { installHttpTracing } from './httpTracing.js';
import { servicesOf } from './requestServices.js';
import { AVAILABLE_MODULES, type ModuleName } from './modules.js';
import type { Platform } from './platform.js';
import { validatorCompiler } from './validation.js';

/** Builds the HTTP server over a wired platform: the chosen service modules (default all), /health and /ready. */
export async function createApp(
  platform: Platform,
  state: ReadinessState = { draining: false },
  modules: readonly ModuleName[] = AVAILABLE_MODULES,
): Promise<FastifyInstance> {
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

  app.setValidatorCompiler(validatorCompiler);
  installErrorHandling(app);
  // Maintenance mode (a restore is running): reads go on, writes are refused with a clear 503.
  app.addHook('onRequest', (request, _reply, done) => {
    if (request.method === 'GET' || request.method === 'HEAD' || !request.url.startsWith('/api/')) return done();
    platform.maintenance.current().then(
      (m) =>
        m
          ? done(new AppError('MAINTENANCE', `the platform is in maintenance mode (${m.reason}, since ${m.since}); writes are refused until it ends`, { retryAfterSeconds: 30 }))
          : done(),
      done,
    );
  });
  const services = servicesOf(platform);
  // Tracing first: a recorded request's own services (request.tracedServices) are in place before the guard runs.
  if (platform.traced) installHttpTracing(app, platform.tracing, platform.traced);
  installAuthGuard(app, { auth: (req) => services(req).auth, audit: (req) => services(req).audit });
  healthRoutes(app, platform, state, config.http.readyRequires);
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
  app.get('/metrics', async (_req, reply) => {
    const body = await platform.metrics.registry.metrics();
    return reply.type(platform.metrics.registry.contentType).send(body);
  });

  if (modules.includes('auth')) await app.register(authRoutes((req) => services(req).auth), { prefix: '/api/auth' });
  if (modules.includes('user')) await app.register(userRoutes((req) => services(req).users), { prefix: '/api/users' });
  if (modules.includes('permission')) await app.register(permissionRoutes((req) => services(req).permissions), { prefix: '/api' });
  if (modules.includes('system')) {
    await app.register(systemRoutes(services), { prefix: '/api/system' });
    // The operations API lives in the system module (SPEC PLAT-5).
    let backupContext: BackupOpsContext | undefined;
    const jobs = createJobs({ database: platform.database, audit: platform.audit, log: platform.log, clock: platform.clock });
    const backupContextOf = (req: FastifyRequest): BackupOpsContext => {
      backupContext ??= createBackupContext(platform);
      // a recorded request's catalog statements are spans under it
      return req.tracedServices ? { ...backupContext, database: req.tracedServices.database } : backupContext;
    };
    await app.register(backupRoutes({ context: backupContextOf, jobs }), { prefix: '/api/ops' });
    registerBackupMetrics(platform.metrics.registry, platform.database);
  }
  await app.ready();
  return app;
}
