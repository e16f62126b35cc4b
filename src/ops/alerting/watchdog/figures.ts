import { type Kysely, sql } from 'kysely';
import type { Registry } from 'prom-client';
import type { BackupsTable, Schema } from '../../../infra/db/schema.js';
import { fromDbTime } from '../../../infra/db/time.js';
import type { Figures, Sample } from './evaluate.js';
import { FULL_BACKUP_MAX_AGE_SECONDS, type FigureName } from './rules.js';

/**
 * The watchdog's figures, read from what the platform already has: its prom-client registry (HTTP
 * counters and histogram, host gauges), dependency pings, the DB pool, the MySQL server's status,
 * replicas, the cache's hit/miss counts and the backup catalog. Each source is a function handed in
 * (no platform here); a source left out is a figure the watchdog does not evaluate. Rates are
 * computed over the last 5 minutes from successive readings, as `rate(…[5m])` does.
 */
export type Dependency = 'app' | 'db' | 'cache' | 'bus';

export interface MysqlServerFigures {
  threadsConnected: number;
  maxConnections: number;
  /** The Slow_queries counter. */
  slowQueries: number;
  longQueryTime: number;
}

export interface ReplicaFigures {
  /** host:port of the replica (no credentials). */
  replica: string;
  /** Seconds_Behind_Master; null while the SQL thread does not run. */
  lagSeconds: number | null;
  /** Both the IO and the SQL thread run. */
  running: boolean;
}

export type BackupRow = Pick<BackupsTable, 'type' | 'status' | 'started_at' | 'finished_at'>;

export interface FigureSources {
  /** ms since epoch (the platform's clock). */
  now(): number;
  /** The registry holding http_requests_total, http_request_duration_seconds and mcp_host_*. */
  registry?: Registry;
  /** Each resolves when the dependency answers; a rejection or no answer within `pingTimeoutMs` is down. */
  pings?: Partial<Record<Dependency, () => Promise<unknown>>>;
  pingTimeoutMs?: number;
  cacheStats?: () => { hits: number; misses: number };
  poolStats?: () => { inUse: number; max: number };
  /** MySQL/MariaDB only (see `mysqlServerFigures`). */
  mysqlServer?: () => Promise<MysqlServerFigures>;
  /** Only when the platform knows replicas (MCP_DB_REPLICA_URLS). */
  replicas?: () => Promise<readonly ReplicaFigures[]>;
  backups?: () => Promise<readonly BackupRow[]>;
  /** Width of the rate window (default 5 minutes). */
  windowMs?: number;
}

export interface FigureReader {
  /** The figures now; a figure whose source failed is left out (undefined), so its alerts keep their state. */
  read(): Promise<Figures>;
}

const FIVE_MINUTES = 5 * 60_000;

/** Successive readings of counters; `increase` is what they grew by over the window (a drop counts as a reset). */
export class CounterWindow {
  private readings: { t: number; values: Record<string, number> }[] = [];
  constructor(private readonly windowMs: number) {}

  add(t: number, values: Record<string, number>): void {
    this.readings.push({ t, values });
    this.readings = this.readings.filter((r) => r.t >= t - this.windowMs);
  }

  /** Growth of each counter between the oldest reading in the window and the newest; undefined with fewer than two readings. */
  increase(): { seconds: number; inc: Record<string, number> } | undefined {
    const first = this.readings[0];
    const last = this.readings.at(-1);
    if (!first || !last || last.t <= first.t) return undefined;
    const inc: Record<string, number> = {};
    for (const [k, v] of Object.entries(last.values)) {
      const before = first.values[k] ?? 0;
      inc[k] = v >= before ? v - before : v;
    }
    return { seconds: (last.t - first.t) / 1000, inc };
  }
}

/** Prometheus's histogram_quantile over cumulative bucket counts by upper bound (Infinity for +Inf). */
export function histogramQuantile(q: number, buckets: ReadonlyMap<number, number>): number {
  const sorted = [...buckets.entries()].sort((a, b) => a[0] - b[0]);
  const total = sorted.at(-1);
  if (!total || total[0] !== Infinity || total[1] <= 0) return Number.NaN;
  const rank = q * total[1];
  let prevBound = 0;
  let prevCount = 0;
  for (const [i, [bound, count]] of sorted.entries()) {
    if (count >= rank) {
      if (bound === Infinity) return sorted.length > 1 ? sorted[sorted.length - 2]![0] : Number.NaN;
      if (i === 0 && bound <= 0) return bound;
      return prevBound + (bound - prevBound) * ((rank - prevCount) / (count - prevCount));
    }
    prevBound = bound;
    prevCount = count;
  }
  return Number.NaN;
}

async function metricValues(registry: Registry, name: string): Promise<{ labels: Record<string, string | number>; value: number; metricName?: string }[] | undefined> {
  const metric = registry.getSingleMetric(name);
  if (!metric) return undefined;
  return (await metric.get()).values as { labels: Record<string, string | number>; value: number; metricName?: string }[];
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

export function createFigureReader(src: FigureSources): FigureReader {
  const windowMs = src.windowMs ?? FIVE_MINUTES;
  const http = new CounterWindow(windowMs);
  const cache = new CounterWindow(windowMs);
  const slow = new CounterWindow(windowMs);
  let failures: { t: number; byType: Record<string, number> }[] = [];
  const watchingSince = src.now();

  const rate = (w: CounterWindow, values: Record<string, number>, t: number) => {
    w.add(t, values);
    return w.increase();
  };

  async function httpFigures(t: number, out: Figures): Promise<void> {
    if (!src.registry) return;
    const requests = await metricValues(src.registry, 'http_requests_total');
    const durations = await metricValues(src.registry, 'http_request_duration_seconds');
    if (!requests || !durations) return;
    const values: Record<string, number> = { total: 0, errors: 0, count: 0 };
    for (const v of requests) {
      values.total! += v.value;
      if (/^5\d\d$/.test(String(v.labels.status))) values.errors! += v.value;
    }
    for (const v of durations) {
      if (v.metricName?.endsWith('_count')) values.count! += v.value;
      else if (v.metricName?.endsWith('_bucket')) {
        const le = `le:${v.labels.le}`;
        values[le] = (values[le] ?? 0) + v.value;
      }
    }
    const w = rate(http, values, t);
    if (!w) {
      out.http_error_ratio = [];
      out.http_p95_seconds = [];
      out.http_requests_per_second = [];
      return;
    }
    const traffic = w.inc.total! / w.seconds;
    out.http_requests_per_second = [{ value: traffic }];
    out.http_error_ratio = w.inc.total! > 0 ? [{ value: w.inc.errors! / w.inc.total!, traffic }] : [];
    const buckets = new Map<number, number>();
    for (const [k, v] of Object.entries(w.inc)) if (k.startsWith('le:')) buckets.set(k === 'le:+Inf' ? Infinity : Number(k.slice(3)), v);
    const p95 = histogramQuantile(0.95, buckets);
    out.http_p95_seconds = Number.isNaN(p95) ? [] : [{ value: p95, traffic: w.inc.count! / w.seconds }];
  }

  async function hostFigures(out: Figures): Promise<void> {
    if (!src.registry) return;
    const one = async (name: string, figure: FigureName, label?: string) => {
      const values = await metricValues(src.registry!, name);
      if (values === undefined) return;
      out[figure] = values.filter((v) => Number.isFinite(v.value)).map((v): Sample => ({ value: v.value, ...(label ? { labels: { [label]: String(v.labels[label]) } } : {}) }));
    };
    await one('mcp_host_cpu_utilization_ratio', 'host_cpu_ratio');
    await one('mcp_host_memory_utilization_ratio', 'host_memory_ratio');
    await one('mcp_host_disk_utilization_ratio', 'host_disk_ratio', 'path');
    // not a host figure, but the same registry: every circuit breaker of this process
    await one('mcp_circuit_breaker_state', 'breaker_state', 'target');
  }

  async function backupFigures(t: number, out: Figures): Promise<void> {
    if (!src.backups) return;
    const rows = [...(await src.backups())].sort((a, b) => (a.started_at < b.started_at ? -1 : a.started_at > b.started_at ? 1 : 0));
    const lastOk = new Map<string, BackupRow>();
    for (const r of rows) if (r.status === 'complete' && r.finished_at) lastOk.set(r.type, r);
    const age = (r: BackupRow | undefined) => (r?.finished_at ? (t - fromDbTime(r.finished_at).getTime()) / 1000 : undefined);

    const full = age(lastOk.get('full'));
    // Never a complete full backup: alert once the watchdog has watched for as long as a backup may be late.
    out.backup_full_age_seconds =
      full !== undefined
        ? [{ labels: { type: 'full' }, value: full }]
        : t - watchingSince > FULL_BACKUP_MAX_AGE_SECONDS * 1000
          ? [{ labels: { type: 'full' }, value: Infinity }]
          : [];

    // Incremental and the stream's binlog archives both archive binlogs; checked only where incremental backups are used.
    const incremental = lastOk.has('incremental') ? Math.min(...(['incremental', 'binlog'] as const).map((k) => age(lastOk.get(k)) ?? Infinity)) : undefined;
    out.backup_incremental_age_seconds = incremental === undefined ? [] : [{ value: incremental }];

    // failures since the newest success, per type, at their highest over 2 minutes (a retry replaces a failed row with a running one)
    const byType: Record<string, number> = {};
    for (const r of rows) {
      const ok = lastOk.get(r.type);
      if (!(r.type in byType)) byType[r.type] = 0;
      if (r.status === 'failed' && (!ok || r.started_at > ok.started_at)) byType[r.type]! += 1;
    }
    failures.push({ t, byType });
    failures = failures.filter((f) => f.t >= t - 2 * 60_000);
    const max: Record<string, number> = {};
    for (const f of failures) for (const [type, n] of Object.entries(f.byType)) max[type] = Math.max(max[type] ?? 0, n);
    out.backup_failures = Object.entries(max).map(([type, value]) => ({ labels: { type }, value }));
  }

  async function mysqlFigures(t: number, out: Figures): Promise<void> {
    if (!src.mysqlServer) return;
    const s = await src.mysqlServer();
    out.db_connections_ratio = s.maxConnections > 0 ? [{ value: s.threadsConnected / s.maxConnections }] : [];
    out.db_long_query_time_seconds = [{ value: s.longQueryTime }];
    const w = rate(slow, { slow: s.slowQueries }, t);
    out.db_slow_queries_5m = w ? [{ value: w.inc.slow! }] : [];
  }

  async function replicaFigures(out: Figures): Promise<void> {
    if (!src.replicas) return;
    const list = await src.replicas();
    out.db_replication_lag_seconds = list.filter((r) => r.lagSeconds !== null).map((r) => ({ labels: { replica: r.replica }, value: r.lagSeconds! }));
    out.db_replication_running = list.map((r) => ({ labels: { replica: r.replica }, value: r.running ? 1 : 0 }));
  }

  return {
    async read() {
      const t = src.now();
      const out: Figures = {};
      const timeout = src.pingTimeoutMs ?? 1500;
      const pingFigure: Record<Dependency, FigureName> = { app: 'app_up', db: 'db_up', cache: 'cache_up', bus: 'bus_up' };
      const tasks: Promise<void>[] = [];
      for (const [dep, ping] of Object.entries(src.pings ?? {}) as [Dependency, () => Promise<unknown>][]) {
        tasks.push(
          withTimeout(Promise.resolve().then(ping), timeout).then(
            () => void (out[pingFigure[dep]] = [{ value: 1 }]),
            () => void (out[pingFigure[dep]] = [{ value: 0 }]),
          ),
        );
      }
      // a source that fails leaves its figures out: their alerts keep their state this round
      const guarded = (f: () => Promise<void>) => tasks.push(f().catch(() => undefined));
      guarded(() => httpFigures(t, out));
      guarded(() => hostFigures(out));
      guarded(() => backupFigures(t, out));
      guarded(() => mysqlFigures(t, out));
      guarded(() => replicaFigures(out));
      if (src.cacheStats) {
        const s = src.cacheStats();
        const w = rate(cache, { hits: s.hits, misses: s.misses }, t);
        const total = w ? w.inc.hits! + w.inc.misses! : 0;
        out.cache_hit_ratio = w && total > 0 ? [{ value: w.inc.hits! / total, traffic: total / w.seconds }] : [];
      }
      if (src.poolStats) {
        const p = src.poolStats();
        out.db_pool_ratio = p.max > 0 ? [{ value: p.inUse / p.max }] : [];
      }
      await Promise.all(tasks);
      return out;
    },
  };
}

/** Threads_connected, max_connections, Slow_queries and long_query_time of a MySQL/MariaDB server. */
export async function mysqlServerFigures(db: Kysely<Schema>): Promise<MysqlServerFigures> {
  const status = await sql<{ Variable_name: string; Value: string }>`SHOW GLOBAL STATUS WHERE Variable_name IN ('Threads_connected', 'Slow_queries')`.execute(db);
  const vars = await sql<{ Variable_name: string; Value: string }>`SHOW GLOBAL VARIABLES WHERE Variable_name IN ('max_connections', 'long_query_time')`.execute(db);
  const get = (rows: { Variable_name: string; Value: string }[], name: string) => {
    const v = Number(rows.find((r) => r.Variable_name.toLowerCase() === name.toLowerCase())?.Value);
    if (!Number.isFinite(v)) throw new Error(`the server reported no ${name}`);
    return v;
  };
  return {
    threadsConnected: get(status.rows, 'Threads_connected'),
    slowQueries: get(status.rows, 'Slow_queries'),
    maxConnections: get(vars.rows, 'max_connections'),
    longQueryTime: get(vars.rows, 'long_query_time'),
  };
}

/** A replica's replication state (SHOW REPLICA STATUS, or SHOW SLAVE STATUS on older servers); undefined when the server replicates from nobody. */
export async function replicaStatus(db: Kysely<Schema>, replica: string): Promise<ReplicaFigures | undefined> {
  let rows: Record<string, unknown>[];
  try {
    rows = (await sql<Record<string, unknown>>`SHOW REPLICA STATUS`.execute(db)).rows;
  } catch {
    rows = (await sql<Record<string, unknown>>`SHOW SLAVE STATUS`.execute(db)).rows;
  }
  const r = rows[0];
  if (!r) return undefined;
  const col = (...names: string[]) => names.map((n) => r[n]).find((v) => v !== undefined);
  const lag = col('Seconds_Behind_Master', 'Seconds_Behind_Source');
  const yes = (v: unknown) => String(v).toLowerCase() === 'yes';
  return {
    replica,
    lagSeconds: lag === null || lag === undefined ? null : Number(lag),
    running: yes(col('Slave_IO_Running', 'Replica_IO_Running')) && yes(col('Slave_SQL_Running', 'Replica_SQL_Running')),
  };
}

/** The backup catalog's rows the backup rules read (type, status, times). */
export function backupRows(db: Kysely<Schema>): Promise<BackupRow[]> {
  return db.selectFrom('backups').select(['type', 'status', 'started_at', 'finished_at']).execute();
}
