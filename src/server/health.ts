import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { FastifyInstance } from 'fastify';
import type { Platform } from '../app/platform.js';
import type { ModuleName } from '../config/modules.js';

/**
 * `/health` is liveness: it answers while the process and its event loop work, whatever the
 * database does, so a database outage never makes Kubernetes restart every pod (SPEC RES-1).
 * `/ready` is readiness: database, cache and bus each checked with a timeout; 503 with the detail
 * of each when one that is required fails, or while the server drains for shutdown.
 */
export type Dependency = 'db' | 'cache' | 'bus';

export interface DependencyCheck {
  ok: boolean;
  latencyMs: number;
  kind: string;
  error?: string;
}

export interface ReadinessState {
  draining: boolean;
}

const CHECK_TIMEOUT_MS = 1500;

async function timed(kind: string, probe: () => Promise<void>): Promise<DependencyCheck> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      probe(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
      }),
    ]);
    return { ok: true, kind, latencyMs: Math.round(performance.now() - started) };
  } catch (e) {
    return { ok: false, kind, latencyMs: Math.round(performance.now() - started), error: (e as Error).message };
  } finally {
    clearTimeout(timer);
  }
}

/** Checks every dependency concurrently and records the outcome in `mcp_dependency_up`. */
export async function checkDependencies(p: Pick<Platform, 'database' | 'cache' | 'bus' | 'metrics'>): Promise<Record<Dependency, DependencyCheck>> {
  const [db, cache, bus] = await Promise.all([
    timed(p.database.dialect, () => p.database.ping(CHECK_TIMEOUT_MS)),
    timed(p.cache.kind, () => p.cache.ping()),
    timed(p.bus.kind, () => p.bus.ping()),
  ]);
  const checks = { db, cache, bus };
  for (const d of ['db', 'cache', 'bus'] as const) p.metrics.dependencyUp(d, checks[d].ok);
  return checks;
}

/** Keeps `mcp_dependency_up` current between readiness probes; returns the stopper. */
export function watchDependencies(p: Pick<Platform, 'database' | 'cache' | 'bus' | 'metrics'>, everyMs = 10_000): () => void {
  const timer = setInterval(() => void checkDependencies(p), everyMs);
  timer.unref();
  void checkDependencies(p);
  return () => clearInterval(timer);
}

export function healthRoutes(app: FastifyInstance, platform: Platform, state: ReadinessState, required: readonly Dependency[], modules: readonly ModuleName[]): void {
  const loop = monitorEventLoopDelay({ resolution: 20 });
  loop.enable();
  app.addHook('onClose', async () => loop.disable());
  const startedAt = Date.now();

  app.get('/health', { config: { permission: 'public' } }, async () => {
    const lagMs = Math.round(loop.percentile(99) / 1e6);
    loop.reset();
    return { status: 'ok', modules, uptimeSeconds: Math.round((Date.now() - startedAt) / 1000), eventLoopLagP99Ms: lagMs };
  });

  app.get('/ready', { config: { permission: 'public' } }, async (_req, reply) => {
    const r = await readiness(platform, state, required);
    return reply.status(r.status === 'ready' ? 200 : 503).send(r);
  });
}

/** What `/ready` answers: ready, or why not (draining, maintenance, a required dependency down). */
export async function readiness(platform: Platform, state: ReadinessState, required: readonly Dependency[]) {
  const [checks, maintenance] = await Promise.all([checkDependencies(platform), platform.maintenance.current()]);
  const failed = required.filter((d) => !checks[d].ok);
  const status = state.draining ? 'draining' : maintenance ? 'maintenance' : failed.length ? 'not-ready' : 'ready';
  return { status, checks, pool: platform.database.poolStats(), ...(maintenance ? { maintenance } : {}) };
}
