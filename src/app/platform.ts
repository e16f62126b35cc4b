import { type Breaker, createBreaker } from '../infra/circuitBreaker.js';
import { breakerObserver } from '../observability/breakerMetrics.js';
import type { Context } from '@opentelemetry/api';
import type { Config } from '../config/config.js';
import { loadOrCreateSecret } from '../config/localSecrets.js';
import type { Bus } from '../infra/bus/bus.js';
import { createBus } from '../infra/bus/createBus.js';
import type { Cache } from '../infra/cache/cache.js';
import { createCache } from '../infra/cache/createCache.js';
import { systemClock, type Clock } from '../infra/clock.js';
import { createDatabase, ensureMysqlDatabase, type Database } from '../infra/db/database.js';
import { migrateToLatest, type MigrateResult } from '../infra/db/migrate.js';
import { readAuditCheckpoints, type Logging } from '../observability/logging.js';
import { createMetrics, type Metrics } from '../observability/metrics.js';
import { createMaintenance, type Maintenance } from '../ops/maintenance.js';
import { tracedBus, tracedCache, tracedDialect, tracedPeer, tracedQueries, tracingOff, type Tracing } from '../observability/tracing.js';
import { createAuthService } from '../services/auth/authService.js';
import type { AuthService } from '../services/auth/contract.js';
import { createAccessTokens } from '../services/auth/tokens.js';
import { createPermissionService, createRoleCache, syncBuiltinRbac } from '../services/permission/permissionService.js';
import { createAuditCheckpoints, createAuditLog, type AuditCheckpoints } from '../services/system/auditLog.js';
import { createSettingsService } from '../services/system/settingsService.js';
import type { Services } from '../services/requestState.js';
import { createUserService } from '../services/user/userService.js';
import { AVAILABLE_MODULES, type ModuleName } from '../config/modules.js';
import { type PeerClient, peerKey } from '../infra/peer/peerCall.js';
import { type AuthPeer, authPeerClient, remoteAuth } from '../services/auth/peer.js';
import { remoteUsers, type UserPeer, userPeerClient } from '../services/user/peer.js';

export type { Services };

/**
 * The platform's explicit wiring: adapters chosen by config, then the service modules, each
 * given exactly what it depends on. The CLI, the HTTP server and tests all start from here.
 */
export interface Platform extends Services {
  config: Config;
  logging: Logging;
  log: Logging['app'];
  clock: Clock;
  cache: Cache;
  bus: Bus;
  metrics: Metrics;
  tracing: Tracing;
  maintenance: Maintenance;
  /** Signed checkpoints of the audit chain in audit.log; `flush` writes the pending one now. */
  auditCheckpoints: AuditCheckpoints;
  /**
   * The same services for one recorded trace: wired over adapters that record their SQL, cache
   * and bus spans under `parent`, and a log that stamps its lines with the trace id (explicit
   * context propagation; see observability/tracing.ts). They share the platform's state (the
   * role cache, the pools). Only while tracing is on.
   */
  traced?: (parent: Context, traceId: string) => Services;
  /**
   * The circuit breaker of one external target (RES-3), made on first use with the configured
   * thresholds (MCP_BREAKER_FAILURES, MCP_BREAKER_OPEN_SECONDS) and the call timeout given here;
   * its state is in `mcp_circuit_breaker_state{target}` and the log.
   */
  breaker(target: string, o: { timeoutMs: number }): Breaker;
  /** Signs and checks calls between modules (split mode). */
  peerKey: Buffer;
  close(): Promise<void>;
}

/** Bound on one call to another module in split mode (ms). */
const PEER_TIMEOUT_MS = 5_000;

export const RBAC_CHANGED = 'rbac.changed';

/**
 * Everything wired. `logging` and `tracing` are owned by the platform from here on (closed by
 * `close`); tracing defaults to off.
 */
export function createPlatform(config: Config, deps: { logging: Logging; tracing?: Tracing; clock?: Clock; modules?: readonly ModuleName[] }): Platform {
  const { logging } = deps;
  const clock = deps.clock ?? systemClock;
  const tracing = deps.tracing ?? tracingOff();
  const log = logging.app;
  const database = createDatabase(
    config.dbUrl,
    config.pool,
    tracing.enabled ? (dialect, system) => tracedDialect(dialect, system, tracing.tracer) : undefined,
    // with replicas configured, the write pool follows the primary (switchover, failover) without a restart
    { replicaUrls: config.dbReplicaUrls, intervalMs: config.dbFollowIntervalMs, maxLagSeconds: config.dbReplicaMaxLagSeconds, log },
  );
  const rawCache = createCache(config.redisUrl, { keyPrefix: config.redisKeyPrefix });
  const rawBus = createBus(config.amqpUrl, { prefix: config.amqpPrefix, queueType: config.amqpQueueType, warn: (m) => log.warn(m) });
  const bus = tracing.enabled ? tracedBus(rawBus, tracing.tracer) : rawBus;
  const metrics = createMetrics({ database, cache: rawCache, bus, diskPaths: [config.dataDir, config.logDir] });
  const auditKey = config.auditKey ?? loadOrCreateSecret(config.dataDir, 'audit.key', 'MCP_AUDIT_KEY');
  const tokenSecret = config.jwtSecret ?? loadOrCreateSecret(config.dataDir, 'jwt.key', 'MCP_JWT_SECRET');
  const tokens = createAccessTokens(tokenSecret, config.auth.accessTokenTtlSeconds);
  // Split mode (serve --only): the modules this process does not serve are called over HTTP; an
  // embedded cache or bus is private to the process, so what other processes change is read from
  // the database (sessions, principals) and the role map is not kept between requests.
  const served = deps.modules ?? AVAILABLE_MODULES;
  const split = AVAILABLE_MODULES.some((m) => !served.includes(m));
  const privateCache = split && /^memory:/i.test(config.redisUrl);
  const privateBus = split && /^inprocess:/i.test(config.amqpUrl);
  const roleCache = createRoleCache(privateBus ? 0 : undefined);
  const breakers = new Map<string, Breaker>();
  let observer: ReturnType<typeof breakerObserver> | undefined;
  const breaker = (target: string, o: { timeoutMs: number }): Breaker => {
    let b = breakers.get(target);
    if (!b) {
      observer ??= breakerObserver(metrics.registry, log);
      observer.track(target);
      b = createBreaker(target, { timeoutMs: o.timeoutMs, failures: config.breaker.failures, openSeconds: config.breaker.openSeconds }, observer);
      breakers.set(target, b);
    }
    return b;
  };
  const key = peerKey(tokenSecret);
  const peerClients: PeerClient[] = [];
  const peer = (module: ModuleName, make: (o: Parameters<typeof userPeerClient>[0]) => PeerClient): PeerClient | undefined => {
    if (!split || served.includes(module)) return undefined;
    const client = make({ url: config.services.urls[module], caller: served[0] ?? 'cli', key, breaker: breaker(`module:${module}`, { timeoutMs: PEER_TIMEOUT_MS }) });
    peerClients.push(client);
    return client;
  };
  const userClient = peer('user', userPeerClient);
  const authClient = peer('auth', authPeerClient);
  // The audit chain's anchors outside the database: signed checkpoints in audit.log (SEC-3).
  const auditCheckpoints = createAuditCheckpoints({
    database,
    key: auditKey,
    store: { write: (cp) => logging.auditCheckpoint(cp), read: () => readAuditCheckpoints(config.logDir) },
    onError: (e) => log.warn({ err: (e as Error).message }, 'could not write an audit checkpoint'),
  });

  let lastCacheWarning = 0;
  const onCacheError = (e: unknown) => {
    // One line per 10 s at most: an outage must not flood the log.
    if (Date.now() - lastCacheWarning < 10_000) return;
    lastCacheWarning = Date.now();
    log.warn({ err: (e as Error).message }, 'cache unavailable; serving from the database');
  };

  const wire = (a: { database: Database; cache: Cache; bus: Bus; log: () => Logging['app']; peer?: (c: PeerClient, module: ModuleName) => PeerClient }): Services => {
    // the modules this process does not serve, over HTTP (a traced request's calls carry its trace)
    const through = (c: PeerClient, m: ModuleName) => (a.peer ? a.peer(c, m) : c);
    const remoteUser: UserPeer | undefined = userClient && remoteUsers(through(userClient, 'user'));
    const remoteAuthPeer: AuthPeer | undefined = authClient && remoteAuth(through(authClient, 'auth'));
    const audit = createAuditLog({ database: a.database, key: auditKey, clock, onRecord: (r) => logging.audit(r), checkpoints: auditCheckpoints });
    const permissions = createPermissionService({
      database: a.database,
      audit,
      clock,
      roleCache,
      onHoldersChanged: (userIds) => (remoteUser ?? users).forget(...userIds),
      onChange: () => {
        a.bus.publish(RBAC_CHANGED, {}).catch((e: unknown) => a.log().warn({ err: (e as Error).message }, 'could not announce a role change; other replicas catch up within 30 s'));
      },
    });
    let auth: AuthService | undefined;
    const users = createUserService({
      database: a.database,
      cache: a.cache,
      permissions,
      audit,
      clock,
      cacheTtlSeconds: config.cache.userTtlSeconds,
      revokeSessions: (userId, reason) => (remoteAuthPeer ?? auth!).revokeSessions(userId, reason),
      clearLoginFailures: (username) => (remoteAuthPeer ?? auth!).clearLoginFailures(username),
      forgetDerived: (ids) => (remoteAuthPeer ?? auth!).forgetPrincipals(ids),
      onCacheError,
    });
    auth = createAuthService({
      database: a.database,
      cache: a.cache,
      users: remoteUser ?? users,
      permissions,
      audit,
      clock,
      tokens,
      cacheShared: !privateCache,
      refreshTtlSeconds: config.auth.refreshTokenTtlSeconds,
      maxFailedLogins: config.auth.maxFailedLogins,
      lockoutSeconds: config.auth.lockoutSeconds,
      ipFailuresPerMinute: config.auth.ipFailuresPerMinute,
      cacheTtlSeconds: config.cache.userTtlSeconds,
      onCacheError,
      onLogin: (success) => metrics.login(success),
    });
    const settings = createSettingsService({ database: a.database, audit, clock });
    return { database: a.database, audit, permissions, users, auth, settings, userPeer: remoteUser ?? users };
  };

  const { tracer } = tracing;
  const services = wire({ database, cache: rawCache, bus, log: () => log });
  return {
    config,
    logging,
    log,
    clock,
    cache: rawCache,
    bus,
    ...services,
    peerKey: key,
    metrics,
    tracing,
    traced: tracing.enabled
      ? (parent, traceId) => {
          let traceLog: Logging['app'] | undefined; // made on first use: a child logger costs more than the rest of the wiring
          return wire({
            database: { ...database, db: tracedQueries(database.db, parent) },
            cache: tracedCache(rawCache, tracer, parent),
            bus: tracedBus(rawBus, tracer, parent),
            log: () => (traceLog ??= log.child({ trace_id: traceId })),
            peer: (c, m) => tracedPeer(c, m, tracer, parent),
          });
        }
      : undefined,
    auditCheckpoints,
    breaker,
    maintenance: createMaintenance({ cache: rawCache, dataDir: config.dataDir, now: () => clock.now() }),
    async close() {
      await auditCheckpoints.flush();
      const results = await Promise.allSettled([bus.close(), rawCache.close(), ...peerClients.map((c) => c.close())]);
      await database.close();
      for (const r of results) if (r.status === 'rejected') log.warn({ err: (r.reason as Error).message }, 'error while closing');
      await tracing.shutdown().catch((e: unknown) => log.warn({ err: (e as Error).message }, 'could not flush traces'));
      await logging.close();
    },
  };
}

/** Creates the database if needed, applies migrations and writes the built-in roles. */
export async function prepareSchema(platform: Pick<Platform, 'config' | 'database' | 'clock' | 'audit'>): Promise<MigrateResult> {
  if (platform.database.dialect === 'mysql') await ensureMysqlDatabase(platform.config.dbUrl);
  const result = await migrateToLatest(platform.database);
  // The audit key is outside the database, so the migration that adds the head's MAC cannot write it.
  if (result.applied.includes('006_audit_anchor')) await platform.audit.keyHead();
  await syncBuiltinRbac(platform.database, platform.clock);
  return result;
}
