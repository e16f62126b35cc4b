import type { FastifyInstance } from 'fastify';
import type { Config } from '../config/config.js';
import { createLogging, loggingConfigFrom } from '../observability/logging.js';
import { startTracing } from '../observability/tracing.js';
import { ensureFirstAdmin, type IssuedPassword } from '../services/user/adminAccounts.js';
import { createApp } from './app.js';
import { AVAILABLE_MODULES, type ModuleName } from './modules.js';
import { startScheduler } from '../ops/scheduler.js';
import { recoverInterruptedOperations } from '../ops/restore/recovery.js';
import { watchDependencies, type ReadinessState } from './health.js';
import { RBAC_CHANGED, createPlatform, prepareSchema, type Platform } from '../app/platform.js';

export interface RunningServer {
  app: FastifyInstance;
  platform: Platform;
  url: string;
  state: ReadinessState;
  /** Graceful stop: readiness fails, wait the drain period, finish in-flight requests, close pools. */
  shutdown(): Promise<void>;
}

/**
 * Starts the platform: schema up to date, first administrator, bus subscriptions, HTTP server.
 * `announce` receives the first start's one-time admin password, to print once (never logged).
 */
export async function startServer(
  config: Config,
  announce: (issued: IssuedPassword) => void,
  modules: readonly ModuleName[] = AVAILABLE_MODULES,
): Promise<RunningServer> {
  const platform = createPlatform(config, { logging: createLogging(loggingConfigFrom(config, true)), tracing: await startTracing(process.env, { tracesPerSecond: config.tracesPerSecond }) });
  const log = platform.log;
  try {
    await prepareSchema(platform);
    const issued = await ensureFirstAdmin(platform, config.adminPassword);
    if (issued) announce(issued);
    // operations a crash interrupted (a live restore killed half-way) are reported and cleaned up
    await recoverInterruptedOperations(platform);
  } catch (e) {
    await platform.close();
    throw e;
  }
  subscribeWithRetry(platform);
  const stopWatching = watchDependencies(platform);
  const scheduler = config.schedules.enabled ? startScheduler(platform) : undefined;
  if (scheduler) log.info({ next: scheduler.next() }, 'scheduler started');

  const state: ReadinessState = { draining: false };
  const app = await createApp(platform, state, modules);
  const address = await app.listen({ host: config.host, port: config.port });
  log.info({ address, db: platform.database.label, cache: platform.cache.kind, bus: platform.bus.kind }, 'platform listening');

  let stopping: Promise<void> | undefined;
  const shutdown = () =>
    (stopping ??= (async () => {
      state.draining = true;
      stopWatching();
      scheduler?.stop();
      log.info({ drainSeconds: config.http.shutdownDrainSeconds }, 'draining: readiness now fails');
      await new Promise((r) => setTimeout(r, config.http.shutdownDrainSeconds * 1000));
      await app.close();
      log.info('stopped'); // before platform.close(), which flushes and closes the log files
      await platform.close();
    })());

  return { app, platform, url: address, state, shutdown };
}

/** Role changes made by another replica invalidate this one's role map; keeps trying while the bus is down. */
function subscribeWithRetry(platform: Platform): void {
  const attempt = () => {
    platform.bus
      .subscribe('platform.rbac', [RBAC_CHANGED], async () => platform.permissions.invalidate(), { broadcast: true })
      .catch((e: unknown) => {
        platform.log.warn({ err: (e as Error).message }, 'bus unavailable: role-change broadcasts not received yet; retrying in 5 s');
        setTimeout(attempt, 5000).unref();
      });
  };
  attempt();
}
