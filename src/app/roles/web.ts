import type { FastifyInstance } from 'fastify';
import { createApp } from '../../server/app.js';
import { watchDependencies, type ReadinessState } from '../../server/health.js';
import type { ModuleName } from '../../config/modules.js';
import { createAlerting } from '../alerting.js';
import { RBAC_CHANGED, type Platform } from '../platform.js';
import type { RunningRole } from './role.js';

export interface RunningWeb extends RunningRole {
  app: FastifyInstance;
  url: string;
  state: ReadinessState;
}

/**
 * The web role: the HTTP server of `modules`, its readiness watch, and the role-change broadcasts
 * its permission checks follow. `stop` drains: readiness fails for the drain period, then
 * in-flight requests finish.
 */
export async function startWebRole(platform: Platform, modules: readonly ModuleName[]): Promise<RunningWeb> {
  const { config, log } = platform;
  subscribeWithRetry(platform);
  const stopWatchingDeps = watchDependencies(platform);
  // alerts the receiver spooled while the database was down are stored once it answers again
  const spoolTimer = modules.includes('support') ? setInterval(() => void createAlerting(platform).replaySpool(), 5_000) : undefined;
  spoolTimer?.unref();
  const stopWatching = () => {
    stopWatchingDeps();
    clearInterval(spoolTimer);
  };
  const state: ReadinessState = { draining: false };
  let app: FastifyInstance;
  let url: string;
  try {
    app = await createApp(platform, state, modules);
    url = await app.listen({ host: config.host, port: config.port });
  } catch (e) {
    stopWatching();
    throw e;
  }
  log.info({ address: url, db: platform.database.label, cache: platform.cache.kind, bus: platform.bus.kind }, 'platform listening');
  let stopping: Promise<void> | undefined;
  let stopped!: () => void;
  const done = new Promise<void>((resolve) => (stopped = resolve));
  return {
    name: 'web',
    app,
    url,
    state,
    done,
    stop: () =>
      (stopping ??= (async () => {
        state.draining = true;
        stopWatching();
        log.info({ drainSeconds: config.http.shutdownDrainSeconds }, 'draining: readiness now fails');
        await new Promise((r) => setTimeout(r, config.http.shutdownDrainSeconds * 1000));
        await app.close();
        stopped();
      })()),
  };
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
