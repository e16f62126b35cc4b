import type { Figures, Sample } from '../alerting/watchdog/evaluate.js';
import { type FigureName, holds, type Severity, WATCHDOG_RULES, type WatchdogRule } from '../alerting/watchdog/rules.js';

/**
 * The console's overview (issue 13 "总览"): each dependency up or down with its detail, and the
 * platform's key figures, each against the manual's thresholds — the embedded watchdog's rules
 * (rules.ts), the same ones Prometheus evaluates, so the page and the alerts never disagree — with
 * the severity its value has now. The figures are the watchdog's (figures.ts).
 */
export type OverviewSeverity = 'ok' | Severity;

export type KeyFigure = 'qps' | 'p95' | 'errorRate' | 'cpu' | 'memory' | 'disk' | 'dbConnections' | 'dbPool' | 'cacheHitRate' | 'replicationLag';

export interface KeyFigureSpec {
  key: KeyFigure;
  figure: FigureName;
  unit: 'req/s' | 'seconds' | 'ratio';
  /** Several series (disk per path, lag per replica): the worst counts. */
  worst: 'max' | 'min';
  /** Shown only when the figure has series (replication lag: only with replicas). */
  optional?: boolean;
}

export const KEY_FIGURES: readonly KeyFigureSpec[] = [
  { key: 'qps', figure: 'http_requests_per_second', unit: 'req/s', worst: 'max' },
  { key: 'p95', figure: 'http_p95_seconds', unit: 'seconds', worst: 'max' },
  { key: 'errorRate', figure: 'http_error_ratio', unit: 'ratio', worst: 'max' },
  { key: 'cpu', figure: 'host_cpu_ratio', unit: 'ratio', worst: 'max' },
  { key: 'memory', figure: 'host_memory_ratio', unit: 'ratio', worst: 'max' },
  { key: 'disk', figure: 'host_disk_ratio', unit: 'ratio', worst: 'max' },
  // the database server's connections against max_connections (MySQL/MariaDB), and this process's pool
  { key: 'dbConnections', figure: 'db_connections_ratio', unit: 'ratio', worst: 'max', optional: true },
  { key: 'dbPool', figure: 'db_pool_ratio', unit: 'ratio', worst: 'max' },
  { key: 'cacheHitRate', figure: 'cache_hit_ratio', unit: 'ratio', worst: 'min' },
  { key: 'replicationLag', figure: 'db_replication_lag_seconds', unit: 'seconds', worst: 'max', optional: true },
];

export interface Threshold {
  severity: Severity;
  op: WatchdogRule['op'];
  value: number;
  /** The alert that fires when the condition holds for `forSeconds`. */
  alert: string;
  forSeconds: number;
  /** Requests per second below which the figure is not judged (too little traffic to mean anything). */
  trafficFloor?: number;
}

export interface FigureView {
  key: KeyFigure;
  unit: KeyFigureSpec['unit'];
  /** The worst series' value now; null while unknown (no traffic yet, or its source failed). */
  value: number | null;
  severity: OverviewSeverity;
  thresholds: Threshold[];
  /** Each series when there are several (disk per path, lag per replica). */
  series?: { labels: Record<string, string>; value: number }[];
}

export interface DependencyView {
  ok: boolean;
  kind: string;
  latencyMs: number;
  error?: string;
}

export interface Overview {
  at: string;
  /** The worst severity of the dependencies and the figures (ok when all are). */
  status: OverviewSeverity;
  /** Each with the severity of its "unavailable" rule while it is down (database critical, cache minor …). */
  dependencies: Record<'db' | 'cache' | 'bus', DependencyView & { severity: OverviewSeverity }>;
  figures: FigureView[];
}

const UP = { db: 'db_up', cache: 'cache_up', bus: 'bus_up' } as const satisfies Record<string, FigureName>;

const RANK: Record<OverviewSeverity, number> = { ok: 0, minor: 1, major: 2, critical: 3 };
export const worse = (a: OverviewSeverity, b: OverviewSeverity): OverviewSeverity => (RANK[b] > RANK[a] ? b : a);

/** The thresholds of a figure: its watchdog rules. */
export function thresholdsOf(figure: FigureName, rules: readonly WatchdogRule[] = WATCHDOG_RULES): Threshold[] {
  return rules
    .filter((r) => r.figure === figure)
    .map((r) => ({ severity: r.severity, op: r.op, value: r.threshold, alert: r.name, forSeconds: r.forSeconds, ...(r.trafficFloor ? { trafficFloor: r.trafficFloor } : {}) }));
}

/** The severity of one value now: the highest of the figure's rules whose condition holds (its traffic floor respected). */
export function severityOf(figure: FigureName, sample: Sample | undefined, rules: readonly WatchdogRule[] = WATCHDOG_RULES): OverviewSeverity {
  if (!sample) return 'ok';
  let s: OverviewSeverity = 'ok';
  for (const r of rules) {
    if (r.figure !== figure || !holds(r, sample.value)) continue;
    if (r.trafficFloor !== undefined && !((sample.traffic ?? 0) > r.trafficFloor)) continue;
    s = worse(s, r.severity);
  }
  return s;
}

function worstSample(spec: KeyFigureSpec, samples: readonly Sample[]): Sample | undefined {
  const finite = samples.filter((x) => Number.isFinite(x.value));
  if (!finite.length) return undefined;
  return finite.reduce((a, b) => (spec.worst === 'max' ? (b.value > a.value ? b : a) : b.value < a.value ? b : a));
}

/** The key figures of one reading, each with its thresholds and severity. */
export function figureViews(figures: Figures, rules: readonly WatchdogRule[] = WATCHDOG_RULES): FigureView[] {
  const out: FigureView[] = [];
  for (const spec of KEY_FIGURES) {
    const samples = figures[spec.figure];
    if (spec.optional && !samples?.length) continue;
    const worst = worstSample(spec, samples ?? []);
    out.push({
      key: spec.key,
      unit: spec.unit,
      value: worst ? worst.value : null,
      severity: severityOf(spec.figure, worst, rules),
      thresholds: thresholdsOf(spec.figure, rules),
      ...(samples && samples.length > 1 ? { series: samples.map((x) => ({ labels: x.labels ?? {}, value: x.value })) } : {}),
    });
  }
  return out;
}

/** The overview now: the dependencies (the /ready checks) and the key figures, read concurrently. */
export async function readOverview(deps: {
  dependencies: () => Promise<Record<'db' | 'cache' | 'bus', DependencyView>>;
  figures: () => Promise<Figures>;
  now: () => Date;
  rules?: readonly WatchdogRule[];
}): Promise<Overview> {
  const [dependencies, figures] = await Promise.all([deps.dependencies(), deps.figures()]);
  const views = figureViews(figures, deps.rules);
  const judged = Object.fromEntries(
    (Object.entries(dependencies) as [keyof typeof UP, DependencyView][]).map(([name, d]) => [name, { ...d, severity: severityOf(UP[name], { value: d.ok ? 1 : 0 }, deps.rules) }]),
  ) as Overview['dependencies'];
  let status: OverviewSeverity = 'ok';
  for (const x of [...Object.values(judged), ...views]) status = worse(status, x.severity);
  return { at: deps.now().toISOString(), status, dependencies: judged, figures: views };
}
