import { createDatabase, type Database } from '../infra/db/database.js';
import { backupRows, type FigureSources, mysqlServerFigures, type ReplicaFigures, replicaStatus } from '../ops/alerting/watchdog/figures.js';
import type { Platform } from './platform.js';

/**
 * The platform's figures (watchdog/figures.ts) read from what this process has: its metrics
 * registry, the cache's and the pool's counters, the MySQL server's status, the configured
 * replicas (each through its own one-connection pool, opened on first use) and the backup
 * catalog. The watchdog role and the console's overview both read through this; `close` ends the
 * replica pools.
 */
export function platformFigureSources(
  p: Pick<Platform, 'config' | 'database' | 'cache' | 'bus' | 'metrics' | 'clock'>,
  o: { appHealthUrl?: string; pings?: boolean; backups?: boolean } = {},
): { sources: FigureSources; close(): Promise<void> } {
  const { config, database } = p;
  const replicas = config.dbReplicaUrls.map((url) => ({ label: new URL(url).host, db: undefined as Database | undefined, url }));
  const appHealthUrl = o.appHealthUrl;
  const sources: FigureSources = {
    now: () => p.clock.now().getTime(),
    registry: p.metrics.registry,
    ...(o.pings === false
      ? {}
      : {
          pings: {
            ...(appHealthUrl
              ? {
                  app: async () => {
                    const res = await fetch(appHealthUrl, { signal: AbortSignal.timeout(1500) });
                    if (!res.ok) throw new Error(`/health answered ${res.status}`);
                  },
                }
              : {}),
            db: () => database.ping(1500),
            cache: () => p.cache.ping(),
            bus: () => p.bus.ping(),
          },
        }),
    cacheStats: () => p.cache.stats(),
    poolStats: () => database.poolStats(),
    ...(database.dialect === 'mysql' ? { mysqlServer: () => mysqlServerFigures(database.db) } : {}),
    ...(replicas.length
      ? {
          replicas: async () => {
            const out: ReplicaFigures[] = [];
            for (const r of replicas) {
              r.db ??= createDatabase(r.url, { size: 1, overflow: 0, timeoutSeconds: 5, recycleSeconds: 3600 });
              // a replica that does not answer has no figures this round (the database rules cover an unreachable server)
              const s = await replicaStatus(r.db.db, r.label).catch(() => undefined);
              if (s) out.push(s);
            }
            return out;
          },
        }
      : {}),
    ...(o.backups === false ? {} : { backups: () => backupRows(database.db) }),
  };
  return {
    sources,
    close: async () => {
      await Promise.allSettled(replicas.map((r) => r.db?.close()));
    },
  };
}
