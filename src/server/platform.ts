import type { Config } from '../config/config.js';
import { loadOrCreateSecret } from '../config/localSecrets.js';
import type { Bus } from '../infra/bus/bus.js';
import { createBus } from '../infra/bus/createBus.js';
import type { Cache } from '../infra/cache/cache.js';
import { createCache } from '../infra/cache/createCache.js';
import { systemClock, type Clock } from '../infra/clock.js';
import { createDatabase, ensureMysqlDatabase, type Database } from '../infra/db/database.js';
import { migrateToLatest, type MigrateResult } from '../infra/db/migrate.js';
import type { Logging } from '../observability/logging.js';
import { createMetrics, type Metrics } from '../observability/metrics.js';
import { createMaintenance, type Maintenance } from '../ops/maintenance.js';
import { tracedBus, tracingOff, tracedCache, type Tracing } from '../observability/tracing.js';
import { createAuthService, type AuthService } from '../services/auth/authService.js';
import { createAccessTokens } from '../services/auth/tokens.js';
import { createPermissionService, syncBuiltinRbac, type PermissionService } from '../services/permission/permissionService.js';
import { createAuditLog, type AuditLog } from '../services/system/auditLog.js';
import { createSettingsService, type SettingsService } from '../services/system/settingsService.js';
import { createUserService, type UserService } from '../services/user/userService.js';

/**
 * The platform's explicit wiring: adapters chosen by config, then the service modules, each
 * given exactly what it depends on. The CLI, the HTTP server and tests all start from here.
 */
export interface Platform {
  config: Config;
  logging: Logging;
  log: Logging['app'];
  clock: Clock;
  database: Database;
  cache: Cache;
  bus: Bus;
  audit: AuditLog;
  permissions: PermissionService;
  users: UserService;
  auth: AuthService;
  settings: SettingsService;
  metrics: Metrics;
  tracing: Tracing;
  maintenance: Maintenance;
  close(): Promise<void>;
}

export const RBAC_CHANGED = 'rbac.changed';

/**
 * Everything wired. `logging` and `tracing` are owned by the platform from here on (closed by
 * `close`); tracing defaults to off.
 */
export function createPlatform(config: Config, deps: { logging: Logging; tracing?: Tracing; clock?: Clock }): Platform {
  const { logging } = deps;
  const clock = deps.clock ?? systemClock;
  const tracing = deps.tracing ?? tracingOff();
  const log = logging.app;
  const database = createDatabase(config.dbUrl, config.pool, tracing.enabled ? tracing.tracer : undefined);
  const rawCache = createCache(config.redisUrl, { keyPrefix: config.redisKeyPrefix });
  const rawBus = createBus(config.amqpUrl);
  const cache = tracing.enabled ? tracedCache(rawCache, tracing.tracer) : rawCache;
  const bus = tracing.enabled ? tracedBus(rawBus, tracing.tracer) : rawBus;
  const metrics = createMetrics({ database, cache, bus, diskPaths: [config.dataDir, config.logDir] });
  const auditKey = config.auditKey ?? loadOrCreateSecret(config.dataDir, 'audit.key', 'MCP_AUDIT_KEY');
  const jwtSecret = config.jwtSecret ?? loadOrCreateSecret(config.dataDir, 'jwt.key', 'MCP_JWT_SECRET');

  let lastCacheWarning = 0;
  const onCacheError = (e: unknown) => {
    // One line per 10 s at most: an outage must not flood the log.
    if (Date.now() - lastCacheWarning < 10_000) return;
    lastCacheWarning = Date.now();
    log.warn({ err: (e as Error).message }, 'cache unavailable; serving from the database');
  };

  const audit = createAuditLog({ database, key: auditKey, clock, onRecord: (r) => logging.audit(r) });
  const permissions = createPermissionService({
    database,
    audit,
    clock,
    onChange: () => {
      bus.publish(RBAC_CHANGED, {}).catch((e: unknown) => log.warn({ err: (e as Error).message }, 'could not announce a role change; other replicas catch up within 30 s'));
    },
  });
  let auth: AuthService | undefined;
  const users = createUserService({
    database,
    cache,
    permissions,
    audit,
    clock,
    cacheTtlSeconds: config.cache.userTtlSeconds,
    revokeSessions: (userId, reason) => auth!.revokeSessions(userId, reason),
    onCacheError,
  });
  auth = createAuthService({
    database,
    cache,
    users,
    permissions,
    audit,
    clock,
    tokens: createAccessTokens(jwtSecret, config.auth.accessTokenTtlSeconds),
    refreshTtlSeconds: config.auth.refreshTokenTtlSeconds,
    maxFailedLogins: config.auth.maxFailedLogins,
    lockoutSeconds: config.auth.lockoutSeconds,
    ipFailuresPerMinute: config.auth.ipFailuresPerMinute,
    cacheTtlSeconds: config.cache.userTtlSeconds,
    onCacheError,
    onLogin: (success) => metrics.login(success),
  });
  const settings = createSettingsService({ database, audit, clock });

  return {
    config,
    logging,
    log,
    clock,
    database,
    cache,
    bus,
    audit,
    permissions,
    users,
    auth,
    settings,
    metrics,
    tracing,
    maintenance: createMaintenance({ cache, dataDir: config.dataDir, now: () => clock.now() }),
    async close() {
      const results = await Promise.allSettled([bus.close(), cache.close()]);
      await database.close();
      for (const r of results) if (r.status === 'rejected') log.warn({ err: (r.reason as Error).message }, 'error while closing');
      await tracing.shutdown().catch((e: unknown) => log.warn({ err: (e as Error).message }, 'could not flush traces'));
      await logging.close();
    },
  };
}

/** Creates the database if needed, applies migrations and writes the built-in roles. */
export async function prepareSchema(platform: Pick<Platform, 'config' | 'database' | 'clock'>): Promise<MigrateResult> {
  if (platform.database.dialect === 'mysql') await ensureMysqlDatabase(platform.config.dbUrl);
  const result = await migrateToLatest(platform.database);
  await syncBuiltinRbac(platform.database, platform.clock);
  return result;
}
