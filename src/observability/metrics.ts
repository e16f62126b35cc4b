import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Bus } from '../infra/bus/bus.js';
import type { Cache } from '../infra/cache/cache.js';
import type { Database } from '../infra/db/database.js';
import { registerHostMetrics } from './hostMetrics.js';

/**
 * The platform's Prometheus metrics (SPEC MON-1, MON-4, MON-5), under the manual's names where it
 * names them (`http_requests_total`, `http_request_duration_seconds`). Rules and dashboards in
 * deploy/ depend on these names: rename nothing.
 */
export const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 10];

export type DependencyName = 'db' | 'cache' | 'bus';

export interface Metrics {
  readonly registry: Registry;
  observeHttp(method: string, route: string, status: number, seconds: number): void;
  login(success: boolean): void;
  dependencyUp(dependency: DependencyName, up: boolean): void;
}

interface Sources {
  database: Database;
  cache: Cache;
  bus: Bus;
  /** Directories whose file systems' use is reported (data and log dirs). */
  diskPaths: readonly string[];
}

export function createMetrics(src: Sources): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });

  const requests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests served, by method, route template and status code',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration in seconds, by method, route template and status code',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: HTTP_BUCKETS,
    registers: [registry],
  });
  // Children are cached per label set: hashing labels on every request is the costly part.
  const children = new Map<string, { count: ReturnType<typeof requests.labels>; time: ReturnType<typeof duration.labels> }>();

  const logins = new Counter({
    name: 'mcp_login_attempts_total',
    help: 'Password logins by result',
    labelNames: ['result'] as const,
    registers: [registry],
  });

  const dependency = new Gauge({
    name: 'mcp_dependency_up',
    help: 'Whether a dependency answered its last readiness check (1) or not (0)',
    labelNames: ['dependency'] as const,
    registers: [registry],
  });

  for (const [name, help, key] of [
    ['mcp_db_pool_in_use', 'Database connections lent out', 'inUse'],
    ['mcp_db_pool_idle', 'Database connections open and idle', 'idle'],
    ['mcp_db_pool_waiting', 'Requests waiting for a database connection', 'waiting'],
    ['mcp_db_pool_max', 'Most database connections the pool may open (size + overflow)', 'max'],
  ] as const) {
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(src.database.poolStats()[key]);
      },
    });
  }

  new Counter({
    name: 'mcp_cache_requests_total',
    help: 'Cache reads by result (hit or miss)',
    labelNames: ['result'] as const,
    registers: [registry],
    collect() {
      const s = src.cache.stats();
      this.reset();
      this.inc({ result: 'hit' }, s.hits);
      this.inc({ result: 'miss' }, s.misses);
    },
  });
  new Counter({
    name: 'mcp_cache_errors_total',
    help: 'Cache operations that failed (cache unreachable or timed out)',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(src.cache.stats().errors);
    },
  });
  new Counter({
    name: 'mcp_bus_messages_total',
    help: 'Bus messages by event: published, consumed, failed (handler threw), dead_lettered',
    labelNames: ['event'] as const,
    registers: [registry],
    collect() {
      const s = src.bus.stats();
      this.reset();
      this.inc({ event: 'published' }, s.published);
      this.inc({ event: 'consumed' }, s.consumed);
      this.inc({ event: 'failed' }, s.failed);
      this.inc({ event: 'dead_lettered' }, s.deadLettered);
    },
  });

  registerHostMetrics(registry, src.diskPaths);

  return {
    registry,
    observeHttp(method, route, status, seconds) {
      const key = `${method} ${status} ${route}`;
      let c = children.get(key);
      if (!c) {
        const labels = { method, route, status: String(status) };
        c = { count: requests.labels(labels), time: duration.labels(labels) };
        children.set(key, c);
      }
      c.count.inc();
      c.time.observe(seconds);
    },
    login(success) {
      logins.inc({ result: success ? 'success' : 'failure' });
    },
    dependencyUp(name, up) {
      dependency.set({ dependency: name }, up ? 1 : 0);
    },
  };
}
