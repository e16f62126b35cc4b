/**
 * What the overview shows, read tolerantly from GET /api/ops/overview and
 * /api/ops/overview/series: dependencies up/down, figures against their thresholds with a
 * severity, and per-figure time series for the charts.
 */
export type Severity = 'ok' | 'warning' | 'critical' | 'unknown';

export interface DependencyState {
  name: string;
  up: boolean;
  detail?: string;
}

export interface Figure {
  name: string;
  value: number | null;
  unit?: string;
  severity: Severity;
  warning?: number;
  critical?: number;
}

export interface Series {
  name: string;
  unit?: string;
  points: [t: number, v: number | null][];
}

/** Text colours with at least 4.5:1 contrast on white. */
export const SEVERITY_COLOR: Record<Severity, string> = { ok: '#237804', warning: '#874d00', critical: '#cf1322', unknown: '#595959' };

/** The severity of a value against warning/critical thresholds (higher is worse unless `lowerIsWorse`). */
export function severityOf(value: number | null | undefined, warning?: number, critical?: number, lowerIsWorse = false): Severity {
  if (value === null || value === undefined || Number.isNaN(value)) return 'unknown';
  const worse = (a: number, b: number) => (lowerIsWorse ? a <= b : a >= b);
  if (critical !== undefined && worse(value, critical)) return 'critical';
  if (warning !== undefined && worse(value, warning)) return 'warning';
  return 'ok';
}

export function formatValue(value: number | null, unit?: string): string {
  if (value === null) return '—';
  const n = Math.abs(value) >= 100 ? value.toFixed(0) : Math.abs(value) >= 10 ? value.toFixed(1) : value.toFixed(2);
  if (!unit) return n;
  return unit === '%' ? `${n}%` : `${n} ${unit}`;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const SEVERITIES: readonly Severity[] = ['ok', 'warning', 'critical', 'unknown'];

/** Entries of a list of `{name,…}` or of a record keyed by name. */
function entries(v: unknown): [string, Obj][] {
  if (Array.isArray(v)) return v.filter(isObj).map((o) => [str(o.name) ?? str(o.key) ?? str(o.id) ?? '?', o]);
  if (isObj(v)) return Object.entries(v).map(([k, o]) => [k, isObj(o) ? o : { value: o }]);
  return [];
}

export function parseOverview(body: unknown): { at?: string; dependencies: DependencyState[]; figures: Figure[] } {
  const o = isObj(body) ? body : {};
  const dependencies = entries(o.dependencies).map(([name, d]): DependencyState => {
    const up = typeof d.up === 'boolean' ? d.up : d.status === 'up' || d.status === 'ok' || d.ok === true;
    const detail = str(d.detail) ?? str(d.error) ?? str(d.message) ?? (num(d.latencyMs) !== undefined ? `${num(d.latencyMs)} ms` : undefined);
    return detail === undefined ? { name, up } : { name, up, detail };
  });
  const figures = entries(o.figures).map(([name, f]): Figure => {
    const th = isObj(f.thresholds) ? f.thresholds : f;
    const value = num(f.value) ?? null;
    const warning = num(th.warning) ?? num(th.warn);
    const critical = num(th.critical) ?? num(th.crit);
    const given = str(f.severity) ?? str(f.level);
    const severity = given && (SEVERITIES as readonly string[]).includes(given) ? (given as Severity) : severityOf(value, warning, critical, f.lowerIsWorse === true);
    const out: Figure = { name, value, severity };
    const unit = str(f.unit);
    if (unit !== undefined) out.unit = unit;
    if (warning !== undefined) out.warning = warning;
    if (critical !== undefined) out.critical = critical;
    return out;
  });
  const at = str(o.at) ?? str(o.generatedAt) ?? str(o.time);
  return at === undefined ? { dependencies, figures } : { at, dependencies, figures };
}

function point(p: unknown): [number, number | null] | undefined {
  if (Array.isArray(p)) {
    const t = typeof p[0] === 'string' ? Date.parse(p[0]) : num(p[0]);
    return t === undefined || Number.isNaN(t) ? undefined : [t, num(p[1]) ?? null];
  }
  if (isObj(p)) {
    const raw = p.t ?? p.at ?? p.time ?? p.ts;
    const t = typeof raw === 'string' ? Date.parse(raw) : num(raw);
    return t === undefined || Number.isNaN(t) ? undefined : [t, num(p.v ?? p.value) ?? null];
  }
  return undefined;
}

export function parseSeries(body: unknown): Series[] {
  const o = isObj(body) ? body : {};
  const list = o.series ?? o.figures ?? o.items ?? body;
  return entries(list)
    .map(([name, s]): Series => {
      const raw = Array.isArray(s.points) ? s.points : Array.isArray(s.samples) ? s.samples : Array.isArray(s.value) ? s.value : [];
      const points = raw.map(point).filter((p): p is [number, number | null] => p !== undefined);
      const unit = str(s.unit);
      return unit === undefined ? { name, points } : { name, unit, points };
    })
    .filter((s) => s.points.length > 0);
}
