import { MODULE_PORTS, MODULES, type ModuleName } from './modules.js';
import { readFileSync, statSync } from 'node:fs';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';

/**
 * The platform's one typed configuration, read from the environment; an optional YAML file named
 * by `MCP_CONFIG` supplies values the environment does not (same variable names as keys).
 * Every secret may also come from a file: `MCP_<NAME>_FILE=/run/secrets/...`.
 * A bad value throws a ConfigError naming the variable and what is wrong.
 */
export interface PoolConfig {
  /** Connections kept open (SQLAlchemy pool_size). */
  size: number;
  /** Extra connections allowed under load, closed when idle (max_overflow). */
  overflow: number;
  /** Seconds a request waits for a free connection before failing (pool_timeout). */
  timeoutSeconds: number;
  /** Seconds after which a connection is replaced (pool_recycle). */
  recycleSeconds: number;
}

export interface Config {
  env: 'development' | 'production' | 'test';
  lang: 'zh-CN' | 'en';
  host: string;
  port: number;
  dbUrl: string;
  dbReplicaUrls: string[];
  /** Milliseconds between checks of which configured server is the primary (MCP_DB_FOLLOW_INTERVAL_MS), with replicas configured. */
  dbFollowIntervalMs: number;
  /** Replication lag (seconds) a lag-tolerant read accepts on a replica (MCP_DB_REPLICA_MAX_LAG). */
  dbReplicaMaxLagSeconds: number;
  /** MCP_DB_REPLICATION_URL: the account HA reads, fences and repoints with (CHANGE MASTER); default MCP_DB_URL's. A secret. */
  dbReplicationUrl: string | undefined;
  /** The HA monitor (role `monitor`): milliseconds between checks of the primary (MCP_HA_CHECK_INTERVAL_MS). */
  haCheckIntervalMs: number;
  /** Consecutive failed checks before the primary counts as dead (MCP_HA_FAILURES). */
  haFailures: number;
  redisUrl: string;
  /** Prefix of every cache key, so environments can share one Redis. */
  redisKeyPrefix: string;
  amqpUrl: string;
  /** Prefix of every RabbitMQ exchange and queue name, so environments can share one broker. */
  amqpPrefix: string;
  /** Type of the durable queues the platform declares (MCP_AMQP_QUEUE_TYPE): quorum (default) or classic. */
  amqpQueueType: 'quorum' | 'classic';
  dataDir: string;
  logDir: string;
  backupDir: string;
  logLevel: 'debug' | 'info' | 'warn' | 'error' | 'silent';
  log: {
    /** One access-log line per request (MCP_ACCESS_LOG). */
    access: boolean;
    format: 'text' | 'json';
    console: 'off' | 'plain' | 'colour';
    maxBytes: Record<'app' | 'access' | 'error' | 'audit', number>;
    retentionDays: Record<'app' | 'access' | 'error' | 'audit', number>;
  };
  adminPassword: string | undefined;
  jwtSecret: string | undefined;
  auditKey: string | undefined;
  pool: PoolConfig;
  auth: {
    accessTokenTtlSeconds: number;
    refreshTokenTtlSeconds: number;
    /** Consecutive failed logins before the account is locked. */
    maxFailedLogins: number;
    lockoutSeconds: number;
    /** Failed logins per source IP per minute before 429. */
    ipFailuresPerMinute: number;
  };
  http: {
    bodyLimitBytes: number;
    /** Seconds /ready reports 503 before the server stops accepting connections on SIGTERM. */
    shutdownDrainSeconds: number;
    /** Seconds in-flight requests get to finish before the process exits anyway. */
    shutdownTimeoutSeconds: number;
    trustProxy: boolean;
    /** Dependencies whose failure makes /ready answer 503. */
    readyRequires: ('db' | 'cache' | 'bus')[];
    /** Deepest nesting of arrays and objects a JSON body may have (400 INVALID beyond). */
    maxJsonDepth: number;
    /** Bearer token GET /metrics requires (MCP_METRICS_TOKEN); open when unset. */
    metricsToken: string | undefined;
    /** The built console served at / (MCP_CONSOLE_DIR); unset: <package root>/web/dist. */
    consoleDir: string | undefined;
  };
  alerts: {
    /** Bearer token Alertmanager sends to POST /api/support/alerts/alertmanager (MCP_ALERT_WEBHOOK_TOKEN); the receiver answers 503 when unset. */
    webhookToken: string | undefined;
  };
  notify: {
    /** SMTP server of the e-mail channel (MCP_SMTP_URL, smtp:// or smtps://); the log channel is used when unset. */
    smtpUrl: string | undefined;
    /** Who receives e-mail notifications (MCP_NOTIFY_EMAIL_TO, comma-separated). */
    emailTo: string[];
    /** Language of notifications (MCP_NOTIFY_LANG: zh-CN, the default, or en). */
    lang: 'zh-CN' | 'en';
    /** Milliseconds between the relay's passes over the outbox (MCP_NOTIFY_RELAY_INTERVAL_MS). */
    relayIntervalMs: number;
    /** Key that encrypts stored channel secrets (MCP_NOTIFY_KEY, ≥ 32 characters); generated into the data dir when unset. */
    key: string | undefined;
  };
  cache: { userTtlSeconds: number };
  backup: {
    /** Files and directories of the weekly configuration archive. */
    configPaths: string[];
    /** Days each type of backup is kept (manual §5.1, §6.2.1). */
    retentionDays: Record<'full' | 'incremental' | 'binlog' | 'schema' | 'config' | 'logs', number>;
    /** Secret the archive key is derived from; generated into the data dir when unset. */
    key: string | undefined;
    /** Second copy in S3-compatible storage (AWS S3, Aliyun OSS, MinIO) when a bucket is set. */
    s3:
      | {
          bucket: string;
          prefix: string;
          endpoint?: string;
          region: string;
          accessKeyId?: string;
          secretAccessKey?: string;
          forcePathStyle: boolean;
        }
      | undefined;
  };
  /** The process roles `serve` runs (MCP_ROLES; MCP_SCHEDULER=false takes the scheduler out). */
  roles: RoleName[];
  /**
   * Scheduled operations (the scheduler role). Each task registers its own default schedule
   * (ops/scheduler.ts); `overrides` holds the `MCP_SCHEDULE_<TASK>` variables set, by variable
   * name: a croner pattern, or null for `off`.
   */
  schedules: { enabled: boolean; timezone: string | undefined; overrides: Record<string, string | null> };
  /** Per-request HTTP metrics (MCP_HTTP_METRICS); /metrics is served either way. */
  httpMetrics: boolean;
  /** New traces sampled per second at most (MCP_TRACES_PER_SECOND; 0 = no cap); tracing itself is set by OTEL_*. */
  tracesPerSecond: number;
  /** The Prometheus that watches this platform (MCP_PROMETHEUS_URL); when set, the embedded watchdog is off. */
  prometheusUrl: string | undefined;
  /** The embedded watchdog role (SPEC ALR-4): milliseconds between evaluations (MCP_WATCHDOG_INTERVAL_MS, default 30 s). */
  watchdog: { intervalMs: number };
  /**
   * Where each module answers in split mode (MCP_SERVICE_URLS `auth=http://h:8001,user=…`); a module
   * not named is on 127.0.0.1 at its manual port. `named` lists the modules the variable names.
   */
  services: { urls: Record<ModuleName, string>; named: ModuleName[] };
  /** Circuit breakers on external calls (RES-3): consecutive failures that open one, seconds it stays open. */
  breaker: { failures: number; openSeconds: number };
}

/**
 * Process roles (MCP_ROLES). `web` is the HTTP server, `scheduler` the scheduled operations,
 * `stream` the binlog streaming daemon (also `backup stream`), `watchdog` the embedded alert
 * evaluation used without Prometheus, `monitor` the HA monitor (also `ha monitor`; MySQL/MariaDB
 * with replicas, so named explicitly). The later roles are known names
 * that are refused with a clear error until they exist, so a deployment never silently runs less
 * than it asked for.
 */
export const AVAILABLE_ROLES = ['web', 'scheduler', 'stream', 'relay', 'watchdog', 'monitor'] as const;
/** Known names refused until they exist (none at the moment). */
export const LATER_ROLES: readonly string[] = [];
export type RoleName = (typeof AVAILABLE_ROLES)[number];
/**
 * What a process runs when MCP_ROLES is unset: every role that runs unattended on any set-up. The
 * stream needs MySQL/MariaDB and one instance per database, so it is named explicitly. The watchdog
 * is in, so the embedded default watches itself; it turns itself off when MCP_PROMETHEUS_URL is set.
 */
export const DEFAULT_ROLES: readonly RoleName[] = ['web', 'scheduler', 'relay', 'watchdog'];

/** `backup.full` → `MCP_SCHEDULE_BACKUP_FULL`: the variable that overrides a scheduled task's default. */
export function scheduleVariable(task: string): string {
  return `MCP_SCHEDULE_${task.toUpperCase().replace(/[^A-Z0-9]+/g, '_')}`;
}

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    readonly problem: string,
  ) {
    super(`${variable}: ${problem}`);
    this.name = 'ConfigError';
  }
}

type Source = Record<string, string | undefined>;

const SECRET_VARS = [
  'MCP_DB_URL',
  'MCP_DB_REPLICA_URLS',
  'MCP_DB_REPLICATION_URL',
  'MCP_REDIS_URL',
  'MCP_AMQP_URL',
  'MCP_ADMIN_PASSWORD',
  'MCP_JWT_SECRET',
  'MCP_AUDIT_KEY',
  'MCP_BACKUP_KEY',
  'MCP_BACKUP_S3_ACCESS_KEY_ID',
  'MCP_BACKUP_S3_SECRET_ACCESS_KEY',
  'MCP_METRICS_TOKEN',
  'MCP_ALERT_WEBHOOK_TOKEN',
  'MCP_SMTP_URL',
  'MCP_NOTIFY_KEY',
];

/** Reads `MCP_CONFIG` (YAML), then the environment over it, then `*_FILE` secrets. */
function collect(env: Source): Source {
  const merged: Source = {};
  const file = env.MCP_CONFIG;
  if (file) {
    let doc: unknown;
    try {
      doc = parseYaml(readFileSync(file, 'utf8'));
    } catch (e) {
      throw new ConfigError('MCP_CONFIG', `cannot read YAML file ${file}: ${(e as Error).message}`);
    }
    if (doc !== null && doc !== undefined) {
      if (typeof doc !== 'object' || Array.isArray(doc)) throw new ConfigError('MCP_CONFIG', `${file} must be a mapping of MCP_* names to values`);
      for (const [k, v] of Object.entries(doc as Record<string, unknown>)) {
        if (!/^(MCP|OTEL)_[A-Z0-9_]+$/.test(k)) throw new ConfigError('MCP_CONFIG', `unknown key "${k}" in ${file} (keys are variable names such as MCP_PORT)`);
        if (v !== null && typeof v === 'object') throw new ConfigError(k, `must be a scalar in ${file}`);
        merged[k] = v === null ? undefined : String(v);
      }
    }
  }
  for (const [k, v] of Object.entries(env)) if (v !== undefined && v !== '') merged[k] = v;
  for (const name of SECRET_VARS) {
    const path = merged[`${name}_FILE`];
    if (!path) continue;
    if (merged[name] !== undefined && env[name] !== undefined) throw new ConfigError(name, `set both ${name} and ${name}_FILE; choose one`);
    merged[name] = readSecretFile(`${name}_FILE`, path);
  }
  return merged;
}

function readSecretFile(variable: string, path: string): string {
  let mode: number;
  try {
    mode = statSync(path).mode;
  } catch {
    throw new ConfigError(variable, `secret file ${path} does not exist`);
  }
  if (mode & 0o077 && process.platform !== 'win32') {
    throw new ConfigError(variable, `secret file ${path} is readable by group or others (mode ${(mode & 0o777).toString(8)}); chmod 600 it`);
  }
  return readFileSync(path, 'utf8').trim();
}

function intVar(src: Source, name: string, def: number, min: number, max: number): number {
  const raw = src[name];
  if (raw === undefined) return def;
  if (!/^\d+$/.test(raw.trim())) throw new ConfigError(name, `must be an integer, got "${raw}"`);
  const n = Number(raw);
  if (n < min || n > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${n}`);
  return n;
}

function enumVar<T extends string>(src: Source, name: string, values: readonly T[], def: T): T {
  const raw = src[name];
  if (raw === undefined) return def;
  if (!(values as readonly string[]).includes(raw)) throw new ConfigError(name, `must be one of ${values.join(', ')}, got "${raw}"`);
  return raw as T;
}

function boolVar(src: Source, name: string, def: boolean): boolean {
  const raw = src[name];
  if (raw === undefined) return def;
  if (/^(1|true|yes|on)$/i.test(raw)) return true;
  if (/^(0|false|no|off)$/i.test(raw)) return false;
  throw new ConfigError(name, `must be true or false, got "${raw}"`);
}

/** MCP_SERVICE_URLS: `module=http(s)://host:port` pairs separated by commas; each module at most once. */
function serviceUrls(src: Source): Config['services'] {
  const urls = Object.fromEntries(MODULES.map((m) => [m, `http://127.0.0.1:${MODULE_PORTS[m]}`])) as Record<ModuleName, string>;
  const named: ModuleName[] = [];
  const raw = src.MCP_SERVICE_URLS?.trim();
  if (!raw) return { urls, named };
  for (const pair of raw.split(',')) {
    const eq = pair.indexOf('=');
    const name = pair.slice(0, eq).trim() as ModuleName;
    const url = pair
      .slice(eq + 1)
      .trim()
      .replace(/\/+$/, '');
    if (eq < 1 || !MODULES.includes(name)) {
      throw new ConfigError('MCP_SERVICE_URLS', `each entry is module=URL with a module of ${MODULES.join(', ')}; got "${pair.trim()}"`);
    }
    if (named.includes(name)) throw new ConfigError('MCP_SERVICE_URLS', `names ${name} twice`);
    checkUrl('MCP_SERVICE_URLS', url, ['http', 'https']);
    try {
      new URL(url);
    } catch {
      throw new ConfigError('MCP_SERVICE_URLS', `${name}: not a valid URL: "${url}"`);
    }
    urls[name] = url;
    named.push(name);
  }
  return { urls, named };
}

function urlVar(src: Source, name: string, def: string, schemes: readonly string[]): string {
  const raw = (src[name] ?? def).trim();
  checkUrl(name, raw, schemes);
  return raw;
}

function checkUrl(name: string, raw: string, schemes: readonly string[]): void {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(raw)?.[1]?.toLowerCase();
  if (!scheme || !schemes.includes(scheme)) {
    throw new ConfigError(name, `must start with ${schemes.map((s) => `${s}:`).join(' or ')}, got "${redactUrl(raw)}"`);
  }
  if (scheme === 'mysql') {
    let u: URL;
    try {
      u = new URL(raw);
    } catch {
      throw new ConfigError(name, `is not a valid URL: "${redactUrl(raw)}"`);
    }
    if (!u.hostname) throw new ConfigError(name, 'has no host');
    if (u.pathname.replace(/^\//, '') === '') throw new ConfigError(name, 'names no database (mysql://user:pass@host:3306/mcp_platform)');
  }
}

/** Names of config fields that hold a secret (matched on the last segment of the field's path). */
const SECRET_FIELD = /(password|secret|token|key|keyid)$/i;

/**
 * The effective configuration without any secret, as YAML (the weekly config backup archives it):
 * passwords, keys and tokens become `[redacted]` (or stay null when unset), and every URL loses its
 * credentials (`mysql://[redacted]@db1:3306/mcp_platform`), its query string kept only by name.
 */
export function redactedConfigYaml(config: Config): string {
  const scrub = (value: unknown, name: string): unknown => {
    if (value === undefined || value === null) return null;
    if (SECRET_FIELD.test(name)) return '[redacted]';
    if (typeof value === 'string') return scrubUrl(value);
    if (Array.isArray(value)) return value.map((v) => scrub(v, ''));
    if (typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, scrub(v, k)]));
    return value;
  };
  return `# mcp-platform effective configuration (secrets removed)\n${stringifyYaml(scrub(config, ''))}`;
}

/** Also each URL of a comma-separated list (`MCP_AMQP_URL` may name a cluster's nodes). */
function scrubUrl(value: string): string {
  return value.replace(/(^|,\s*)([a-z][a-z0-9+.-]*:\/\/)[^/?#\s]*@/gi, '$1$2[redacted]@').replace(/([?&][^=&#]+)=[^&#]*/g, '$1=[redacted]');
}

/** Hides the password of a URL (`mysql://u:***@h/db`), or of each URL of a comma-separated list, for messages and logs. */
export function redactUrl(raw: string): string {
  return raw.replace(/(^|,\s*)([a-z][a-z0-9+.-]*:\/\/)([^:@/]*):([^@/]*)@/gi, '$1$2$3:***@');
}

export function loadConfig(env: Source = process.env): Config {
  const src = collect(env);
  const dataDir = src.MCP_DATA_DIR ?? './data';
  const replicas = (src.MCP_DB_REPLICA_URLS ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const r of replicas) checkUrl('MCP_DB_REPLICA_URLS', r, ['mysql']);
  const dbUrl = urlVar(src, 'MCP_DB_URL', `sqlite:${dataDir.replace(/\/$/, '')}/mcp_platform.db`, ['sqlite', 'mysql']);
  if (replicas.length > 0 && dbUrl.startsWith('sqlite:')) throw new ConfigError('MCP_DB_REPLICA_URLS', 'replicas need MCP_DB_URL to be a mysql:// URL');
  const haCheckIntervalMs = intVar(src, 'MCP_HA_CHECK_INTERVAL_MS', 1000, 50, 60_000);
  const haFailures = intVar(src, 'MCP_HA_FAILURES', 5, 1, 100);
  // the monitor's lease lives in the database it watches and lapses 15 s after the primary dies:
  // the monitor must decide before that
  if (haCheckIntervalMs * haFailures > 10_000)
    throw new ConfigError('MCP_HA_FAILURES', `${haFailures} checks every ${haCheckIntervalMs} ms take more than 10 s; the monitor's lease (15 s) would lapse first`);
  const adminPassword = src.MCP_ADMIN_PASSWORD;
  if (adminPassword !== undefined && (adminPassword.length < 12 || adminPassword.length > 128)) {
    throw new ConfigError('MCP_ADMIN_PASSWORD', 'must be 12 to 128 characters long');
  }
  const env_ = enumVar(src, 'MCP_ENV', ['development', 'production', 'test'] as const, src.NODE_ENV === 'production' ? 'production' : 'development');
  const lang = enumVar(src, 'MCP_LANG', ['zh-CN', 'en'] as const, 'zh-CN');
  return {
    env: env_,
    lang,
    host: src.MCP_HOST ?? '0.0.0.0',
    port: intVar(src, 'MCP_PORT', 8000, 0, 65535),
    dbUrl,
    dbReplicaUrls: replicas,
    dbReplicationUrl: replicationUrlVar(src),
    dbFollowIntervalMs: intVar(src, 'MCP_DB_FOLLOW_INTERVAL_MS', 500, 50, 60_000),
    dbReplicaMaxLagSeconds: intVar(src, 'MCP_DB_REPLICA_MAX_LAG', 5, 0, 86_400),
    haCheckIntervalMs,
    haFailures,
    redisUrl: urlVar(src, 'MCP_REDIS_URL', 'memory:', ['memory', 'redis', 'rediss', 'redis-sentinel']),
    redisKeyPrefix: keyPrefixVar(src, 'MCP_REDIS_KEY_PREFIX', 'mcp:'),
    amqpUrl: urlVar(src, 'MCP_AMQP_URL', 'inprocess:', ['inprocess', 'amqp', 'amqps']),
    amqpPrefix: keyPrefixVar(src, 'MCP_AMQP_PREFIX', 'mcp.'),
    amqpQueueType: enumVar(src, 'MCP_AMQP_QUEUE_TYPE', ['quorum', 'classic'] as const, 'quorum'),
    dataDir,
    logDir: src.MCP_LOG_DIR ?? './logs',
    backupDir: src.MCP_BACKUP_DIR ?? `${dataDir.replace(/\/$/, '')}/backups`,
    logLevel: enumVar(src, 'MCP_LOG_LEVEL', ['debug', 'info', 'warn', 'error', 'silent'] as const, env_ === 'development' ? 'debug' : 'info'),
    log: {
      access: boolVar(src, 'MCP_ACCESS_LOG', true),
      format: enumVar(src, 'MCP_LOG_FORMAT', ['text', 'json'] as const, 'text'),
      console: enumVar(src, 'MCP_LOG_CONSOLE', ['off', 'plain', 'colour'] as const, env_ === 'development' ? 'colour' : env_ === 'test' ? 'off' : 'plain'),
      maxBytes: categoryMap(src, 'MCP_LOG_MAX_SIZE', { app: 100 * MB, access: 100 * MB, error: 50 * MB, audit: 100 * MB }, parseSize),
      retentionDays: categoryMap(src, 'MCP_LOG_RETENTION', { app: 30, access: 30, error: 90, audit: 180 }, parseDays),
    },
    adminPassword,
    jwtSecret: minLength(src, 'MCP_JWT_SECRET', 32),
    auditKey: minLength(src, 'MCP_AUDIT_KEY', 32),
    pool: {
      size: intVar(src, 'MCP_DB_POOL_SIZE', 10, 1, 1000),
      overflow: intVar(src, 'MCP_DB_POOL_OVERFLOW', 20, 0, 1000),
      timeoutSeconds: intVar(src, 'MCP_DB_POOL_TIMEOUT', 30, 1, 3600),
      recycleSeconds: intVar(src, 'MCP_DB_POOL_RECYCLE', 3600, 1, 86400 * 7),
    },
    auth: {
      accessTokenTtlSeconds: intVar(src, 'MCP_ACCESS_TOKEN_TTL', 900, 30, 86400),
      refreshTokenTtlSeconds: intVar(src, 'MCP_REFRESH_TOKEN_TTL', 7 * 86400, 60, 90 * 86400),
      maxFailedLogins: intVar(src, 'MCP_LOGIN_MAX_FAILURES', 5, 1, 100),
      lockoutSeconds: intVar(src, 'MCP_LOGIN_LOCKOUT', 900, 1, 86400),
      ipFailuresPerMinute: intVar(src, 'MCP_LOGIN_IP_FAILURES_PER_MINUTE', 30, 1, 100000),
    },
    http: {
      bodyLimitBytes: intVar(src, 'MCP_HTTP_BODY_LIMIT', 1024 * 1024, 1024, 100 * 1024 * 1024),
      shutdownDrainSeconds: intVar(src, 'MCP_SHUTDOWN_DRAIN', env_ === 'production' ? 5 : 0, 0, 300),
      shutdownTimeoutSeconds: intVar(src, 'MCP_SHUTDOWN_TIMEOUT', 25, 1, 600),
      trustProxy: boolVar(src, 'MCP_TRUST_PROXY', false),
      readyRequires: listVar(src, 'MCP_READY_REQUIRES', ['db', 'cache', 'bus'] as const, ['db', 'cache', 'bus']),
      maxJsonDepth: intVar(src, 'MCP_HTTP_JSON_DEPTH', 32, 2, 1000),
      metricsToken: minLength(src, 'MCP_METRICS_TOKEN', 16),
      consoleDir: src.MCP_CONSOLE_DIR || undefined,
    },
    alerts: { webhookToken: minLength(src, 'MCP_ALERT_WEBHOOK_TOKEN', 16) },
    notify: {
      smtpUrl: smtpUrlVar(src),
      emailTo: emailListVar(src, 'MCP_NOTIFY_EMAIL_TO'),
      lang: enumVar(src, 'MCP_NOTIFY_LANG', ['zh-CN', 'en'] as const, 'zh-CN'),
      relayIntervalMs: intVar(src, 'MCP_NOTIFY_RELAY_INTERVAL_MS', 250, 10, 60_000),
      key: minLength(src, 'MCP_NOTIFY_KEY', 32),
    },
    cache: { userTtlSeconds: intVar(src, 'MCP_CACHE_USER_TTL', 300, 1, 86400) },
    httpMetrics: boolVar(src, 'MCP_HTTP_METRICS', true),
    tracesPerSecond: intVar(src, 'MCP_TRACES_PER_SECOND', 10, 0, 1_000_000),
    prometheusUrl: src.MCP_PROMETHEUS_URL === undefined ? undefined : urlVar(src, 'MCP_PROMETHEUS_URL', '', ['http', 'https']),
    watchdog: { intervalMs: intVar(src, 'MCP_WATCHDOG_INTERVAL_MS', 30_000, 10, 3_600_000) },
    services: serviceUrls(src),
    breaker: { failures: intVar(src, 'MCP_BREAKER_FAILURES', 5, 1, 100), openSeconds: intVar(src, 'MCP_BREAKER_OPEN_SECONDS', 10, 1, 600) },
    roles: rolesVar(src, boolVar(src, 'MCP_SCHEDULER', true)),
    schedules: {
      enabled: boolVar(src, 'MCP_SCHEDULER', true),
      timezone: src.MCP_TIMEZONE,
      overrides: Object.fromEntries(
        Object.keys(src)
          .filter((variable) => variable.startsWith('MCP_SCHEDULE_') && src[variable] !== undefined)
          .map((variable) => {
            const raw = src[variable]!.trim();
            if (raw === 'off') return [variable, null];
            if (!/^[\d*/,\-? A-Za-z#LW]+$/.test(raw) || raw.split(/\s+/).length < 5 || raw.split(/\s+/).length > 6) {
              throw new ConfigError(variable, `must be a cron pattern such as "0 2 * * *" or "off", got "${raw}"`);
            }
            return [variable, raw];
          }),
      ),
    },
    backup: {
      configPaths: (src.MCP_BACKUP_CONFIG_PATHS ?? [src.MCP_CONFIG, './config'].filter(Boolean).join(','))
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean),
      retentionDays: categoryMap(src, 'MCP_BACKUP_RETENTION', { full: 30, incremental: 7, binlog: 7, schema: 90, config: 90, logs: 30 }, parseDays),
      key: minLength(src, 'MCP_BACKUP_KEY', 32),
      s3: src.MCP_BACKUP_S3_BUCKET
        ? {
            bucket: src.MCP_BACKUP_S3_BUCKET,
            prefix: (src.MCP_BACKUP_S3_PREFIX ?? 'mcp-platform').replace(/^\/+|\/+$/g, ''),
            endpoint: src.MCP_BACKUP_S3_ENDPOINT,
            region: src.MCP_BACKUP_S3_REGION ?? 'us-east-1',
            accessKeyId: src.MCP_BACKUP_S3_ACCESS_KEY_ID,
            secretAccessKey: src.MCP_BACKUP_S3_SECRET_ACCESS_KEY,
            forcePathStyle: boolVar(src, 'MCP_BACKUP_S3_FORCE_PATH_STYLE', false),
          }
        : undefined,
    },
  };
}

/** MCP_ROLES: a comma list of available roles (default DEFAULT_ROLES); MCP_SCHEDULER=false removes `scheduler`. */
function rolesVar(src: Source, scheduler: boolean): RoleName[] {
  const raw = src.MCP_ROLES;
  const names =
    raw === undefined
      ? [...DEFAULT_ROLES]
      : raw
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);
  for (const name of names) {
    if ((LATER_ROLES as readonly string[]).includes(name)) throw new ConfigError('MCP_ROLES', `role "${name}" is not available yet; available: ${AVAILABLE_ROLES.join(', ')}`);
    if (!(AVAILABLE_ROLES as readonly string[]).includes(name)) throw new ConfigError('MCP_ROLES', `unknown role "${name}"; available: ${AVAILABLE_ROLES.join(', ')}`);
  }
  const roles = [...new Set(names as RoleName[])].filter((r) => scheduler || r !== 'scheduler');
  if (!roles.length)
    throw new ConfigError('MCP_ROLES', scheduler ? `names no role; available: ${AVAILABLE_ROLES.join(', ')}` : 'names no role once MCP_SCHEDULER=false removes the scheduler');
  return roles;
}

function listVar<T extends string>(src: Source, name: string, values: readonly T[], def: T[]): T[] {
  const raw = src[name];
  if (raw === undefined) return def;
  const items = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const bad = items.filter((i) => !(values as readonly string[]).includes(i));
  if (bad.length) throw new ConfigError(name, `unknown ${bad.join(', ')}; allowed: ${values.join(', ')}`);
  return [...new Set(items)] as T[];
}

const MB = 1024 * 1024;

function parseSize(raw: string): number | undefined {
  const m = /^(\d+)\s*(B|KB|MB|GB)?$/i.exec(raw.trim());
  if (!m) return undefined;
  const unit = { B: 1, KB: 1024, MB, GB: 1024 * MB }[(m[2] ?? 'B').toUpperCase() as 'B'];
  const n = Number(m[1]) * unit;
  return n >= 1024 ? n : undefined;
}

function parseDays(raw: string): number | undefined {
  const m = /^(\d+)\s*d?$/i.exec(raw.trim());
  return m && Number(m[1]) >= 1 ? Number(m[1]) : undefined;
}

/** `app=100MB,error=50MB`: per log category, unspecified categories keep their default. */
function categoryMap<K extends string>(src: Source, name: string, def: Record<K, number>, parse: (raw: string) => number | undefined): Record<K, number> {
  const raw = src[name];
  if (raw === undefined) return def;
  const out = { ...def };
  for (const part of raw
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const [k, v] = part.split('=').map((x) => x.trim());
    if (!k || !(k in def)) throw new ConfigError(name, `unknown category "${k ?? ''}"; use ${Object.keys(def).join(', ')}`);
    const n = v === undefined ? undefined : parse(v);
    if (n === undefined) throw new ConfigError(name, `bad value for ${k}: "${v ?? ''}"`);
    out[k as K] = n;
  }
  return out;
}

function keyPrefixVar(src: Source, name: string, def: string): string {
  const raw = src[name] ?? def;
  if (!/^[A-Za-z0-9_.:-]{0,64}$/.test(raw)) throw new ConfigError(name, 'must be up to 64 letters, digits, "_", ".", ":" or "-"');
  return raw;
}

/** MCP_DB_REPLICATION_URL: mysql://user:pass@… (host and database, when given, are ignored: only the account is used). */
function replicationUrlVar(src: Source): string | undefined {
  const raw = src.MCP_DB_REPLICATION_URL?.trim();
  if (raw === undefined) return undefined;
  let u: URL | undefined;
  try {
    u = new URL(raw);
  } catch {
    u = undefined;
  }
  if (u?.protocol !== 'mysql:' || !u.username) throw new ConfigError('MCP_DB_REPLICATION_URL', `must be mysql://user:password@host, got "${redactUrl(raw)}"`);
  return raw;
}

function smtpUrlVar(src: Source): string | undefined {
  const raw = src.MCP_SMTP_URL?.trim();
  if (raw === undefined || raw === '') return undefined;
  checkUrl('MCP_SMTP_URL', raw, ['smtp', 'smtps']);
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new ConfigError('MCP_SMTP_URL', `is not a valid URL: "${redactUrl(raw)}"`);
  }
  if (!u.hostname) throw new ConfigError('MCP_SMTP_URL', 'has no host (smtp://user:pass@mail.example.com:587)');
  return raw;
}

const ADDRESS = /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;

/** A plain e-mail address (`ops@example.com`): no display name, no spaces, no line breaks (the notification channels' rule too). */
export function isEmailAddress(value: string): boolean {
  return value.length <= 254 && ADDRESS.test(value);
}

function emailListVar(src: Source, name: string): string[] {
  const items = (src[name] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const bad = items.filter((a) => !isEmailAddress(a));
  if (bad.length) throw new ConfigError(name, `not an e-mail address: ${bad.join(', ')}`);
  return [...new Set(items)];
}

function minLength(src: Source, name: string, min: number): string | undefined {
  const v = src[name];
  if (v !== undefined && v.length < min) throw new ConfigError(name, `must be at least ${min} characters long`);
  return v;
}
