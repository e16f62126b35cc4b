import { unavailable } from '../../errors/appError.js';
import type { Figures, Sample } from '../alerting/watchdog/evaluate.js';
import { KEY_FIGURES, type KeyFigure, type KeyFigureSpec } from './overview.js';

/**
 * Time series of the overview's key figures, for the console's charts: one interface, two sources.
 *
 * - **embedded** (default): this process samples its own figures every 15 s into a ring buffer
 *   holding 75 minutes (`createFigureSampler`), so the last hour is there without any other
 *   component; it is per process and starts empty when the process starts.
 * - **prometheus** (when MCP_PROMETHEUS_URL is set): Prometheus' HTTP API (`query_range`) over the
 *   same metrics, across every instance and as far back as Prometheus keeps them.
 */
export interface Point {
  /** ms since the epoch */
  t: number;
  /** null: unknown at that time (no traffic yet, a source that failed) */
  v: number | null;
}

export interface OverviewSeries {
  source: 'embedded' | 'prometheus';
  stepSeconds: number;
  from: string;
  to: string;
  series: { key: KeyFigure; unit: KeyFigureSpec['unit']; points: Point[] }[];
}

export interface SeriesSource {
  readonly kind: OverviewSeries['source'];
  read(minutes: number): Promise<OverviewSeries>;
}

export const SAMPLE_EVERY_MS = 15_000;
const KEEP_MS = 75 * 60_000;

/** The worst value of each key figure in one reading (null when unknown). */
function keyValues(figures: Figures): Record<KeyFigure, number | null> {
  const out = {} as Record<KeyFigure, number | null>;
  for (const spec of KEY_FIGURES) {
    const values = (figures[spec.figure] ?? []).map((s: Sample) => s.value).filter(Number.isFinite);
    out[spec.key] = values.length ? (spec.worst === 'max' ? Math.max(...values) : Math.min(...values)) : null;
  }
  return out;
}

export interface FigureSampler extends SeriesSource {
  start(): void;
  stop(): void;
  /** Takes one sample into the ring now (the timer does this every `everyMs`). */
  sample(): Promise<void>;
}

/** The embedded source: own readings every `everyMs` in a fixed-size ring buffer covering `keepMs`. */
export function createFigureSampler(o: { read: () => Promise<Figures>; now: () => number; everyMs?: number; keepMs?: number; onError?: (e: unknown) => void }): FigureSampler {
  const everyMs = o.everyMs ?? SAMPLE_EVERY_MS;
  const capacity = Math.ceil((o.keepMs ?? KEEP_MS) / everyMs) + 1;
  const ring: ({ t: number; values: Record<KeyFigure, number | null> } | undefined)[] = new Array(capacity);
  let next = 0;
  let timer: NodeJS.Timeout | undefined;

  const sample = async () => {
    const t = o.now();
    const figures = await o.read();
    ring[next] = { t, values: keyValues(figures) };
    next = (next + 1) % capacity;
  };

  return {
    kind: 'embedded',
    start() {
      if (timer) return;
      void sample().catch((e: unknown) => o.onError?.(e));
      timer = setInterval(() => void sample().catch((e: unknown) => o.onError?.(e)), everyMs);
      timer.unref();
    },
    stop() {
      clearInterval(timer);
      timer = undefined;
    },
    sample,
    async read(minutes) {
      const to = o.now();
      const from = to - minutes * 60_000;
      const samples = [...ring.slice(next), ...ring.slice(0, next)].filter((s): s is NonNullable<typeof s> => s !== undefined && s.t >= from);
      return {
        source: 'embedded',
        stepSeconds: everyMs / 1000,
        from: new Date(from).toISOString(),
        to: new Date(to).toISOString(),
        series: KEY_FIGURES.map((spec) => ({ key: spec.key, unit: spec.unit, points: samples.map((s) => ({ t: s.t, v: s.values[spec.key] })) })),
      };
    },
  };
}

/**
 * The PromQL of each key figure: the platform's own metrics (job "mcp-platform" for the HTTP
 * ones, as in deploy/prometheus/rules), aggregated over its instances — the worst where the
 * overview takes the worst.
 */
export const PROMQL: Record<KeyFigure, string> = {
  qps: 'sum(rate(http_requests_total{job="mcp-platform"}[5m]))',
  p95: 'histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{job="mcp-platform"}[5m])))',
  errorRate: 'sum(rate(http_requests_total{job="mcp-platform",status=~"5.."}[5m])) / sum(rate(http_requests_total{job="mcp-platform"}[5m]))',
  cpu: 'max(mcp_host_cpu_utilization_ratio)',
  memory: 'max(mcp_host_memory_utilization_ratio)',
  disk: 'max(mcp_host_disk_utilization_ratio)',
  dbConnections: 'max(mysql_global_status_threads_connected / (mysql_global_variables_max_connections > 0))',
  dbPool: 'max(mcp_db_pool_in_use / (mcp_db_pool_max > 0))',
  cacheHitRate: 'sum(rate(mcp_cache_requests_total{result="hit"}[5m])) / sum(rate(mcp_cache_requests_total[5m]))',
  replicationLag: 'max(mcp_db_replication_lag_seconds)',
};

interface QueryRangeAnswer {
  status: 'success' | 'error';
  error?: string;
  data?: { resultType: string; result: { metric: Record<string, string>; values: [number, string][] }[] };
}

/** The prometheus source: `query_range` for each key figure, at about 240 points over the span. */
export function prometheusSeries(o: { url: string; now: () => number; timeoutMs?: number }): SeriesSource {
  const base = o.url.replace(/\/+$/, '');
  return {
    kind: 'prometheus',
    async read(minutes) {
      const to = o.now();
      const from = to - minutes * 60_000;
      const stepSeconds = Math.max(15, Math.round((minutes * 60) / 240));
      const series = await Promise.all(
        KEY_FIGURES.map(async (spec) => {
          const q = new URLSearchParams({ query: PROMQL[spec.key], start: String(from / 1000), end: String(to / 1000), step: String(stepSeconds) });
          let answer: QueryRangeAnswer;
          try {
            const res = await fetch(`${base}/api/v1/query_range?${q}`, { signal: AbortSignal.timeout(o.timeoutMs ?? 5_000) });
            answer = (await res.json()) as QueryRangeAnswer;
          } catch (e) {
            throw unavailable(`Prometheus (MCP_PROMETHEUS_URL) did not answer: ${(e as Error).message}`, e);
          }
          if (answer.status !== 'success' || !answer.data) throw unavailable(`Prometheus refused the query for ${spec.key}: ${answer.error ?? 'no data'}`);
          const values = answer.data.result[0]?.values ?? [];
          const points = values.map(([t, v]): Point => {
            const n = Number(v);
            return { t: Math.round(t * 1000), v: Number.isFinite(n) ? n : null };
          });
          return { key: spec.key, unit: spec.unit, points };
        }),
      );
      return { source: 'prometheus', stepSeconds, from: new Date(from).toISOString(), to: new Date(to).toISOString(), series };
    },
  };
}
