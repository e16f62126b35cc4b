/**
 * The platform metrics that rules and dashboards rely on are the ones the platform exports: a renamed metric
 * would silently disable its alerts. Checks every `http_request…` / `mcp_…` name used in deploy/ against the
 * metric names declared in src/ (prom-client `name: '…'` declarations).
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { dashboardTargets, loadDashboards, loadRules, ROOT } from './helpers.js';

/** Used by the rules ahead of the platform: exported later (replication monitoring, HA-1). */
const PENDING = new Set(['mcp_db_replication_lag_seconds']);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return e.name.endsWith('.ts') ? [p] : [];
  });
}

function declaredMetricNames(): Set<string> {
  const names = new Set<string>();
  for (const f of sourceFiles(path.join(ROOT, 'src'))) {
    for (const m of readFileSync(f, 'utf8').matchAll(/['"`]((?:mcp_|http_request)[a-z0-9_]+)['"`]/g)) names.add(m[1] as string);
  }
  return names;
}

function usedPlatformMetrics(): Map<string, string[]> {
  const used = new Map<string, string[]>();
  const note = (expr: string, where: string) => {
    for (const m of expr.matchAll(/\b((?:mcp_|http_request)[a-z0-9_]+)/g)) {
      const name = (m[1] as string).replace(/^(http_request_duration_seconds)_(bucket|count|sum)$/, '$1');
      used.set(name, [...(used.get(name) ?? []), where]);
    }
  };
  for (const a of loadRules().alerts) note(a.expr, `${a.file} › ${a.alert}`);
  for (const d of loadDashboards()) for (const t of dashboardTargets(d)) note(t.expr, `${d.file} › ${t.panel}`);
  return used;
}

describe('platform metric names used in deploy/', () => {
  it('are all exported by the platform (src/)', () => {
    const declared = declaredMetricNames();
    const used = usedPlatformMetrics();
    expect(used.size).toBeGreaterThan(10);
    const missing = [...used.entries()].filter(([name]) => !declared.has(name) && !PENDING.has(name));
    expect(
      missing.map(([name, where]) => `${name} (used in ${where[0]}${where.length > 1 ? ` and ${where.length - 1} more` : ''})`),
      'metric names not found in src/',
    ).toEqual([]);
  });
});
