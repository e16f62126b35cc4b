import type { paths } from '../api/schema';

/**
 * The overview's data as the API types it (GET /api/ops/overview and /overview/series): a change
 * of those routes breaks this file's type check. Figures come with the watchdog's thresholds and
 * a severity now (ok, minor, major, critical); values are in the API's units (req/s, seconds, ratio).
 */
export type Overview = paths['/api/ops/overview']['get']['responses'][200]['content']['application/json'];
export type OverviewSeries = paths['/api/ops/overview/series']['get']['responses'][200]['content']['application/json'];
export type Figure = Overview['figures'][number];
export type Severity = Figure['severity'];
export type Unit = Figure['unit'];
export type Threshold = Figure['thresholds'][number];
export type DependencyName = keyof Overview['dependencies'];
export type Dependency = Overview['dependencies'][DependencyName];

/** Text colours with at least 4.5:1 contrast on white. */
export const SEVERITY_COLOR: Record<Severity | 'unknown', string> = { ok: '#237804', minor: '#874d00', major: '#ad4e00', critical: '#cf1322', unknown: '#595959' };
export const SEVERITY_TONE = { ok: 'ok', minor: 'warn', major: 'warn', critical: 'bad' } as const satisfies Record<Severity, string>;

/** A value in its unit as people read it: seconds below one as ms, ratios as per cent. */
export function formatValue(value: number | null | undefined, unit: Unit): string {
  if (value === null || value === undefined || Number.isNaN(value)) return '—';
  if (unit === 'ratio') return `${round(value * 100)}%`;
  if (unit === 'seconds') return Math.abs(value) < 1 ? `${round(value * 1000)} ms` : `${round(value)} s`;
  return `${round(value)} ${unit}`;
}

/** The number a chart plots for a value (per cent for ratios, ms for seconds) and its axis unit. */
export function chartScale(unit: Unit): { factor: number; unit: string } {
  return unit === 'ratio' ? { factor: 100, unit: '%' } : unit === 'seconds' ? { factor: 1000, unit: 'ms' } : { factor: 1, unit };
}

function round(n: number): string {
  const a = Math.abs(n);
  return a >= 100 ? n.toFixed(0) : a >= 10 ? n.toFixed(1) : n.toFixed(2);
}

/** The series' points as [ms, value in chart units] pairs. */
export function chartPoints(s: OverviewSeries['series'][number]): [number, number | null][] {
  const { factor } = chartScale(s.unit);
  return s.points.map((p) => [p.t, p.v === null ? null : p.v * factor]);
}
